package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"imagerepo/gallery"
)

func TestUserService_CreateUser(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.addUser(t, "taken", gallery.RoleUser)
	for _, tt := range []struct {
		name     string
		username string
		password string
		role     gallery.Role
		want     string // the stored name, or "" for an error
		code     string
	}{
		{"lower-cased", "Alice", "password", gallery.RoleUser, "alice", ""},
		{"trimmed", "  bob.b_2-x \t", "password", gallery.RoleAdmin, "bob.b_2-x", ""},
		{"shortest password", "carol", strings.Repeat("p", gallery.MinPasswordLen), gallery.RoleUser, "carol", ""},
		{"longest password", "dave", strings.Repeat("p", gallery.MaxPasswordLen), gallery.RoleUser, "dave", ""},
		{"taken", "taken", "password", gallery.RoleUser, "", gallery.ECONFLICT},
		{"taken in other case", " TAKEN ", "password", gallery.RoleUser, "", gallery.ECONFLICT},
		{"empty name", "  ", "password", gallery.RoleUser, "", gallery.EINVALID},
		{"space inside", "a b", "password", gallery.RoleUser, "", gallery.EINVALID},
		{"starts with a dot", ".x", "password", gallery.RoleUser, "", gallery.EINVALID},
		{"not ascii", "zoë", "password", gallery.RoleUser, "", gallery.EINVALID},
		{"NUL", "a\x00b", "password", gallery.RoleUser, "", gallery.EINVALID},
		{"name too long", strings.Repeat("n", 33), "password", gallery.RoleUser, "", gallery.EINVALID},
		{"password too short", "erin", strings.Repeat("p", gallery.MinPasswordLen-1), gallery.RoleUser, "", gallery.EINVALID},
		{"password too long", "erin", strings.Repeat("p", gallery.MaxPasswordLen+1), gallery.RoleUser, "", gallery.EINVALID},
		{"password not utf-8", "erin", "password\xff", gallery.RoleUser, "", gallery.EINVALID},
		{"unknown role", "erin", "password", gallery.Role("owner"), "", gallery.EINVALID},
	} {
		t.Run(tt.name, func(t *testing.T) {
			u, err := e.users.CreateUser(ctx, tt.username, tt.password, tt.role)
			if tt.code != "" {
				wantCode(t, err, tt.code)
				if u != nil {
					t.Errorf("user returned with an error: %+v", u)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if u.Username != tt.want || u.Role != tt.role || u.Disabled || !u.CreatedAt.Equal(e.clock.Now()) {
				t.Errorf("created %+v, want %q as %s", u, tt.want, tt.role)
			}
			if got, err := e.users.FindUser(ctx, tt.username); err != nil || *got != *u {
				t.Errorf("FindUser(%q) = %+v, %v; want %+v", tt.username, got, err, u)
			}
			if _, err := e.users.Authenticate(ctx, tt.want, tt.password); err != nil {
				t.Errorf("Authenticate with the new password: %v", err)
			}
		})
	}
	if n, err := e.users.CountUsers(ctx); err != nil || n != 5 {
		t.Errorf("CountUsers = %d, %v; want 5", n, err)
	}
}

func TestUserService_FindUser_ListUsers(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if users, err := e.users.ListUsers(ctx); err != nil || users == nil || len(users) != 0 {
		t.Errorf("ListUsers on no accounts = %#v, %v", users, err)
	}
	for _, name := range []string{"carol", "alice", "bob"} {
		e.addUser(t, name, gallery.RoleUser)
		e.clock.Add(time.Second)
	}
	users, err := e.users.ListUsers(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, u := range users {
		names = append(names, u.Username)
	}
	if !slices.Equal(names, []string{"alice", "bob", "carol"}) {
		t.Errorf("ListUsers = %v, want by name", names)
	}
	if n, err := e.users.CountUsers(ctx); err != nil || n != 3 {
		t.Errorf("CountUsers = %d, %v", n, err)
	}
	if u, err := e.users.FindUser(ctx, " BOB "); err != nil || u.Username != "bob" {
		t.Errorf("FindUser(BOB) = %+v, %v", u, err)
	}
	for _, name := range []string{"dave", "", "a\x00b", strings.Repeat("x", 100)} {
		_, err := e.users.FindUser(ctx, name)
		wantCode(t, err, gallery.ENOTFOUND)
	}
}

func TestUserService_CreateFirstAdmin_Once(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	_, err := e.users.CreateFirstAdmin(ctx, "root", "short")
	wantCode(t, err, gallery.EINVALID)

	u, err := e.users.CreateFirstAdmin(ctx, " Root ", "password")
	if err != nil {
		t.Fatal(err)
	}
	if u.Username != "root" || u.Role != gallery.RoleAdmin {
		t.Errorf("first admin = %+v", u)
	}
	_, err = e.users.CreateFirstAdmin(ctx, "other", "password")
	wantCode(t, err, gallery.ECONFLICT)
	if n, _ := e.users.CountUsers(ctx); n != 1 {
		t.Errorf("%d accounts, want 1", n)
	}

	// Any account at all closes the door, not only an admin.
	e2 := newEnv(t)
	e2.addUser(t, "plain", gallery.RoleUser)
	_, err = e2.users.CreateFirstAdmin(ctx, "root", "password")
	wantCode(t, err, gallery.ECONFLICT)
}

func TestUserService_CreateFirstAdmin_Concurrent(t *testing.T) {
	e := newEnv(t)
	const n = 8
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		winners []string
	)
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			name := fmt.Sprintf("admin%d", i)
			_, err := e.users.CreateFirstAdmin(context.Background(), name, "password")
			switch gallery.ErrorCode(err) {
			case "":
				mu.Lock()
				winners = append(winners, name)
				mu.Unlock()
			case gallery.ECONFLICT:
			default:
				t.Errorf("%s: %v", name, err)
			}
		})
	}
	close(start)
	wg.Wait()
	if len(winners) != 1 {
		t.Fatalf("winners = %v, want exactly one", winners)
	}
	users, err := e.users.ListUsers(context.Background())
	if err != nil || len(users) != 1 || users[0].Username != winners[0] {
		t.Errorf("accounts = %v, %v; want only %s", users, err, winners[0])
	}
}

func TestUserService_CreateFirstAdmin_AdoptsOwnerless(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	a := create(t, e.images, "", "before accounts 1", "sea")
	b := create(t, e.images, "", "before accounts 2")
	bobs := create(t, e.images, "bob", "bob's own")
	seq := writeSeqOf(t, e.db)

	e.clock.Add(time.Hour)
	if _, err := e.users.CreateFirstAdmin(ctx, "root", "password"); err != nil {
		t.Fatal(err)
	}
	for _, want := range []*gallery.Image{a, b} {
		got, err := e.images.FindImageByID(ctx, want.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Owner != "root" {
			t.Errorf("image %s owner = %q, want root", want.ID, got.Owner)
		}
		want.Owner = "root"
		if !sameImage(got, want) {
			t.Errorf("adoption changed more than the owner: %+v, want %+v", got, want)
		}
	}
	if got, _ := e.images.FindImageByID(ctx, bobs.ID); got.Owner != "bob" {
		t.Errorf("bob's image went to %q", got.Owner)
	}
	if got := writeSeqOf(t, e.db); got != seq+2 {
		t.Errorf("WriteSeq = %d, want %d (two images rewritten)", got, seq+2)
	}
	if all, _ := allPages(t, e.images, gallery.ImageFilter{All: true, Owner: ptr("root")}); !slices.Equal(all, []string{b.ID, a.ID}) {
		t.Errorf("root's images = %v", all)
	}
	if all, _ := allPages(t, e.images, gallery.ImageFilter{All: true, Owner: ptr("")}); len(all) != 0 {
		t.Errorf("ownerless images left: %v", all)
	}
	// The owner+sha index followed: the admin uploading the same bytes is a
	// duplicate of the adopted image, and the sha filter finds it as theirs.
	again, dup, err := e.images.CreateImage(ctx, newImage("root"), strings.NewReader("before accounts 1"))
	if err != nil || !dup || again.ID != a.ID {
		t.Errorf("admin re-upload = %v, dup=%v, %v; want image %s as a duplicate", again, dup, err, a.ID)
	}
	if all, _ := allPages(t, e.images, gallery.ImageFilter{All: true, SHA256: a.SHA256, Owner: ptr("root")}); !slices.Equal(all, []string{a.ID}) {
		t.Errorf("sha256 filter for root = %v", all)
	}
	if all, _ := allPages(t, e.images, gallery.ImageFilter{All: true, Tag: "sea"}); !slices.Equal(all, []string{a.ID}) {
		t.Errorf("tag index after adoption = %v", all)
	}

	// Adoption happens once: an image stored without an owner later keeps none.
	later := create(t, e.images, "", "after accounts")
	e.addUser(t, "second", gallery.RoleAdmin)
	if got, _ := e.images.FindImageByID(ctx, later.ID); got.Owner != "" {
		t.Errorf("a second admin adopted %s", later.ID)
	}
}

func TestUserService_CreateUser_FirstAdminAdopts(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	img := create(t, e.images, "", "old bytes")
	e.addUser(t, "plain", gallery.RoleUser)
	if got, _ := e.images.FindImageByID(ctx, img.ID); got.Owner != "" {
		t.Fatalf("a plain user adopted the image")
	}
	e.addUser(t, "boss", gallery.RoleAdmin)
	if got, _ := e.images.FindImageByID(ctx, img.ID); got.Owner != "boss" {
		t.Errorf("owner = %q, want the first admin", got.Owner)
	}
}

func TestUserService_Authenticate(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.addUser(t, "alice", gallery.RoleUser)
	e.addUser(t, "gone", gallery.RoleUser)
	if err := e.users.SetDisabled(ctx, "gone", true); err != nil {
		t.Fatal(err)
	}
	refused := gallery.Errorf(gallery.EUNAUTHORIZED, "wrong username or password")
	for _, tt := range []struct {
		name, username, password string
		ok                       bool
	}{
		{"right", "alice", password("alice"), true},
		{"name in other case", " ALICE ", password("alice"), true},
		{"wrong password", "alice", password("bob"), false},
		{"password in other case", "alice", strings.ToUpper(password("alice")), false},
		{"password prefix", "alice", password("alice")[:10], false},
		{"empty password", "alice", "", false},
		{"password too long", "alice", password("alice") + strings.Repeat("x", gallery.MaxPasswordLen), false},
		{"unknown user", "mallory", password("mallory"), false},
		{"malformed name", "../alice", password("alice"), false},
		{"empty name", "", password("alice"), false},
		{"disabled", "gone", password("gone"), false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			u, err := e.users.Authenticate(ctx, tt.username, tt.password)
			if tt.ok {
				if err != nil || u.Username != "alice" {
					t.Fatalf("Authenticate = %+v, %v", u, err)
				}
				return
			}
			if u != nil || err == nil || err.Error() != refused.Error() {
				t.Errorf("Authenticate = %+v, %v; want exactly %v", u, err, refused)
			}
		})
	}
}

// Every hash waits for a slot; a caller that gives up while waiting gets its
// context's error and computes nothing.
func TestUserService_Authenticate_HashSlots(t *testing.T) {
	clock := newTestClock()
	db := mustOpenDB(t, t.TempDir(), withFastHashes(Options{Now: clock.Now, MaxHashes: 1}))
	e := envOf(db, clock)
	e.addUser(t, "alice", gallery.RoleUser)
	e.addUser(t, "gone", gallery.RoleUser)
	if err := e.users.SetDisabled(context.Background(), "gone", true); err != nil {
		t.Fatal(err)
	}
	if cap(db.hashSem) != 1 {
		t.Fatalf("hash slots = %d, want 1", cap(db.hashSem))
	}
	release, err := db.acquireHash(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// Every sign-in pays for a hash, whether the name is known or not.
	for _, name := range []string{"alice", "mallory", "../bad", "gone"} {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		_, err = e.users.Authenticate(ctx, name, password(name))
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Authenticate(%q) with every slot taken = %v, want it to wait for a slot until the deadline", name, err)
		}
		cancel()
	}
	release()
	if _, err := e.users.Authenticate(context.Background(), "alice", password("alice")); err != nil {
		t.Errorf("after the slot came free: %v", err)
	}
	if n := cap(mustOpenDB(t, t.TempDir(), Options{}).hashSem); n != DefaultMaxHashes {
		t.Errorf("default hash slots = %d, want %d", n, DefaultMaxHashes)
	}
}

func TestUserService_ChangePassword(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.addUser(t, "alice", gallery.RoleUser)
	e.addUser(t, "bob", gallery.RoleUser)
	s1, s2, s3 := e.signIn(t, "alice"), e.signIn(t, "alice"), e.signIn(t, "alice")
	bobs := e.signIn(t, "bob")
	tok, _ := e.addToken(t, "alice", "script")

	err := e.users.ChangePassword(ctx, "alice", "wrong password", "new password", s2)
	wantCode(t, err, gallery.EUNAUTHORIZED)
	err = e.users.ChangePassword(ctx, "mallory", "whatever1", "new password", "")
	wantCode(t, err, gallery.EUNAUTHORIZED)
	err = e.users.ChangePassword(ctx, "alice", password("alice"), "short", s2)
	wantCode(t, err, gallery.EINVALID)
	for _, s := range []string{s1, s2, s3} {
		if !e.sessionWorks(t, s) {
			t.Fatal("a refused change ended a session")
		}
	}

	if err := e.users.ChangePassword(ctx, "Alice", password("alice"), "new password", s2); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name  string
		token string
		want  bool
	}{{"other session 1", s1, false}, {"kept session", s2, true}, {"other session 3", s3, false}, {"bob's session", bobs, true}} {
		if got := e.sessionWorks(t, tt.token); got != tt.want {
			t.Errorf("%s works = %v, want %v", tt.name, got, tt.want)
		}
	}
	if !e.tokenWorks(t, tok) {
		t.Error("a password change revoked an API token")
	}
	if _, err := e.users.Authenticate(ctx, "alice", password("alice")); gallery.ErrorCode(err) != gallery.EUNAUTHORIZED {
		t.Errorf("old password after the change: %v", err)
	}
	if _, err := e.users.Authenticate(ctx, "alice", "new password"); err != nil {
		t.Errorf("new password: %v", err)
	}

	// An empty keepSession ends them all.
	if err := e.users.ChangePassword(ctx, "alice", "new password", "newer password", ""); err != nil {
		t.Fatal(err)
	}
	if e.sessionWorks(t, s2) {
		t.Error("the session survived a change without keepSession")
	}
}

func TestUserService_SetDisabled(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.addUser(t, "alice", gallery.RoleUser)
	e.addUser(t, "bob", gallery.RoleUser)
	sess := e.signIn(t, "alice")
	tok, _ := e.addToken(t, "alice", "script")
	bobSess := e.signIn(t, "bob")
	img := createAs(t, e.images, "alice", "alice's", gallery.Private)

	if err := e.users.SetDisabled(ctx, "ALICE", true); err != nil {
		t.Fatal(err)
	}
	if e.sessionWorks(t, sess) || e.tokenWorks(t, tok) {
		t.Error("a disabled account's session or token still works")
	}
	if !e.sessionWorks(t, bobSess) {
		t.Error("disabling alice ended bob's session")
	}
	if n := bucketLen(t, e.db, sessionsBucket); n != 1 {
		t.Errorf("%d sessions stored, want only bob's", n)
	}
	if u, _ := e.users.FindUser(ctx, "alice"); !u.Disabled {
		t.Error("FindUser does not say disabled")
	}
	_, _, err := e.sessions.CreateSession(ctx, "alice", time.Hour)
	wantCode(t, err, gallery.EUNAUTHORIZED)
	_, _, err = e.tokens.CreateToken(ctx, "alice", "another")
	wantCode(t, err, gallery.EUNAUTHORIZED)
	if _, err := e.images.FindImageByID(ctx, img.ID); err != nil {
		t.Errorf("a disabled account's image went: %v", err)
	}

	// Enabled again: tokens work again, the ended sessions stay ended.
	if err := e.users.SetDisabled(ctx, "alice", false); err != nil {
		t.Fatal(err)
	}
	if !e.tokenWorks(t, tok) {
		t.Error("token refused after enabling")
	}
	if e.sessionWorks(t, sess) {
		t.Error("a session ended by disabling came back")
	}
	if _, err := e.users.Authenticate(ctx, "alice", password("alice")); err != nil {
		t.Errorf("sign-in after enabling: %v", err)
	}
	wantCode(t, e.users.SetDisabled(ctx, "mallory", true), gallery.ENOTFOUND)
}

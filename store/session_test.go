package store

import (
	"context"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"imagerepo/gallery"
)

func TestSessionService_CreateSession(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.addUser(t, "alice", gallery.RoleUser)

	token, sess, err := e.sessions.CreateSession(ctx, " Alice ", 2*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if raw, err := base64.RawURLEncoding.DecodeString(token); err != nil || len(raw) != 32 {
		t.Errorf("token %q: %d bytes of base64url, %v; want 32", token, len(raw), err)
	}
	now := e.clock.Now()
	if sess.Username != "alice" || !sess.CreatedAt.Equal(now) || !sess.ExpiresAt.Equal(now.Add(2*time.Hour)) {
		t.Errorf("session = %+v", sess)
	}
	u, found, err := e.sessions.FindSession(ctx, token)
	if err != nil || u.Username != "alice" || *found != *sess {
		t.Errorf("FindSession = %+v, %+v, %v", u, found, err)
	}
	// A fresh token at every sign-in.
	if again := e.signIn(t, "alice"); again == token {
		t.Error("two sessions share a token")
	}

	for _, tt := range []struct {
		name, user string
		ttl        time.Duration
		code       string
	}{
		{"unknown user", "mallory", time.Hour, gallery.ENOTFOUND},
		{"zero ttl", "alice", 0, gallery.EINVALID},
		{"negative ttl", "alice", -time.Second, gallery.EINVALID},
	} {
		t.Run(tt.name, func(t *testing.T) {
			token, _, err := e.sessions.CreateSession(ctx, tt.user, tt.ttl)
			wantCode(t, err, tt.code)
			if token != "" {
				t.Errorf("token %q returned with an error", token)
			}
		})
	}
}

func TestSessionService_FindSession_Refused(t *testing.T) {
	e := newEnv(t)
	e.addUser(t, "alice", gallery.RoleUser)
	good := e.signIn(t, "alice")
	other := newEnv(t)
	other.addUser(t, "alice", gallery.RoleUser)
	foreign := other.signIn(t, "alice")
	for _, tt := range []struct{ name, token string }{
		{"empty", ""},
		{"garbage", "not a token"},
		{"one character off", good[:len(good)-1] + string(good[len(good)-1]^1)},
		{"prefix", good[:20]},
		{"huge", strings.Repeat("a", 1<<20)},
		{"another store's", foreign},
		{"the stored key as a token", string(secretKey(good))},
	} {
		t.Run(tt.name, func(t *testing.T) {
			u, s, err := e.sessions.FindSession(context.Background(), tt.token)
			wantCode(t, err, gallery.EUNAUTHORIZED)
			if msg := gallery.ErrorMessage(err); msg != "session expired or signed out" {
				t.Errorf("message %q", msg)
			}
			if u != nil || s != nil {
				t.Errorf("returned %+v, %+v with an error", u, s)
			}
		})
	}
}

func TestSessionService_FindSession_Expired(t *testing.T) {
	e := newEnv(t)
	e.addUser(t, "alice", gallery.RoleUser)
	token, _, err := e.sessions.CreateSession(context.Background(), "alice", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	e.clock.Add(time.Hour - time.Nanosecond)
	if !e.sessionWorks(t, token) {
		t.Fatal("refused before its expiry")
	}
	e.clock.Add(time.Nanosecond)
	if e.sessionWorks(t, token) {
		t.Fatal("accepted at its expiry")
	}
	// Seen expired, it is gone: stepping the clock back does not revive it.
	if n := bucketLen(t, e.db, sessionsBucket) + bucketLen(t, e.db, userSessionsBucket); n != 0 {
		t.Errorf("%d session entries left after an expired look-up", n)
	}
	e.clock.Add(-time.Hour)
	if e.sessionWorks(t, token) {
		t.Error("an expired session came back")
	}
}

func TestSessionService_DeleteSession(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.addUser(t, "alice", gallery.RoleUser)
	a, b := e.signIn(t, "alice"), e.signIn(t, "alice")
	if err := e.sessions.DeleteSession(ctx, a); err != nil {
		t.Fatal(err)
	}
	if e.sessionWorks(t, a) || !e.sessionWorks(t, b) {
		t.Error("sign-out ended the wrong session")
	}
	for _, token := range []string{a, "", "unknown", strings.Repeat("x", 1000)} {
		if err := e.sessions.DeleteSession(ctx, token); err != nil {
			t.Errorf("DeleteSession(%.10q) = %v, want nil", token, err)
		}
	}
}

func TestSessionService_DeleteExpired(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.addUser(t, "alice", gallery.RoleUser)
	e.addUser(t, "bob", gallery.RoleUser)
	var short []string
	for _, user := range []string{"alice", "bob", "alice"} {
		tok, _, err := e.sessions.CreateSession(ctx, user, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		short = append(short, tok)
	}
	long := e.signIn(t, "bob")
	e.clock.Add(time.Minute)

	n, err := e.sessions.DeleteExpired(ctx)
	if err != nil || n != 3 {
		t.Fatalf("DeleteExpired = %d, %v; want 3", n, err)
	}
	if got := bucketLen(t, e.db, sessionsBucket); got != 1 {
		t.Errorf("%d sessions left, want 1", got)
	}
	if !e.sessionWorks(t, long) {
		t.Error("the live session went")
	}
	if n, err := e.sessions.DeleteExpired(ctx); err != nil || n != 0 {
		t.Errorf("second DeleteExpired = %d, %v", n, err)
	}
	// The index entries went with the sessions (the cleanup Verify checks
	// it too); bob's user index holds only the live one.
	err = e.db.bolt.View(func(tx *bbolt.Tx) error {
		if k, _ := tx.Bucket(userSessionsBucket).Cursor().First(); k == nil || !strings.HasPrefix(string(k), "bob\x00") {
			t.Errorf("first index entry %q, want bob's", k)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

package store

import (
	"context"
	"encoding/base64"
	"slices"
	"strings"
	"testing"
	"time"

	"imagerepo/gallery"
)

func TestTokenService_CreateToken(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.addUser(t, "alice", gallery.RoleUser)

	secret, tok, err := e.tokens.CreateToken(ctx, "ALICE", "  laptop backup  ")
	if err != nil {
		t.Fatal(err)
	}
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(secret, "ir_"))
	if !strings.HasPrefix(secret, "ir_") || err != nil || len(raw) != 32 {
		t.Errorf("secret %q: want ir_ and 32 bytes of base64url (%v)", secret, err)
	}
	if tok.Name != "laptop backup" || tok.Username != "alice" || !tok.CreatedAt.Equal(e.clock.Now()) || !tok.LastUsedAt.IsZero() {
		t.Errorf("token = %+v", tok)
	}
	if _, err := base64.RawURLEncoding.DecodeString(tok.ID); err != nil || len(tok.ID) < 8 || len(tok.ID) > 16 {
		t.Errorf("id %q is not a short URL-safe string", tok.ID)
	}

	for _, tt := range []struct {
		name, token string
		code        string
	}{
		{"64 characters", strings.Repeat("é", MaxTokenNameLen), ""},
		{"empty", "", gallery.EINVALID},
		{"blank", " \t ", gallery.EINVALID},
		{"65 characters", strings.Repeat("n", MaxTokenNameLen+1), gallery.EINVALID},
		{"newline", "a\nb", gallery.EINVALID},
		{"NUL", "a\x00b", gallery.EINVALID},
		{"not utf-8", "a\xffb", gallery.EINVALID},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := e.tokens.CreateToken(ctx, "alice", tt.token)
			wantCode(t, err, tt.code)
		})
	}
	_, _, err = e.tokens.CreateToken(ctx, "mallory", "x")
	wantCode(t, err, gallery.ENOTFOUND)
}

func TestTokenService_ListTokens(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.addUser(t, "alice", gallery.RoleUser)
	e.addUser(t, "bob", gallery.RoleUser)
	var want []string
	for _, name := range []string{"first", "second", "third"} {
		_, id := e.addToken(t, "alice", name)
		want = append([]string{id}, want...)
		e.clock.Add(time.Second)
	}
	e.addToken(t, "bob", "bob's")

	tokens, err := e.tokens.ListTokens(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, tok := range tokens {
		got = append(got, tok.ID)
		if tok.Username != "alice" {
			t.Errorf("alice's list holds %+v", tok)
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("ListTokens = %v, want newest first %v", got, want)
	}
	if tokens, err := e.tokens.ListTokens(ctx, "nobody"); err != nil || tokens == nil || len(tokens) != 0 {
		t.Errorf("ListTokens of an unknown account = %#v, %v", tokens, err)
	}
}

func TestTokenService_FindToken(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.addUser(t, "alice", gallery.RoleUser)
	secret, id := e.addToken(t, "alice", "ci")

	u, tok, err := e.tokens.FindToken(ctx, secret)
	if err != nil || u.Username != "alice" || tok.ID != id || tok.Name != "ci" {
		t.Fatalf("FindToken = %+v, %+v, %v", u, tok, err)
	}
	for _, tt := range []struct{ name, secret string }{
		{"empty", ""},
		{"no prefix", strings.TrimPrefix(secret, "ir_")},
		{"one character off", secret[:len(secret)-1] + string(secret[len(secret)-1]^1)},
		{"prefix only", "ir_"},
		{"huge", "ir_" + strings.Repeat("a", 1<<20)},
		{"a session token", e.signIn(t, "alice")},
	} {
		t.Run(tt.name, func(t *testing.T) {
			u, tok, err := e.tokens.FindToken(ctx, tt.secret)
			wantCode(t, err, gallery.EUNAUTHORIZED)
			if u != nil || tok != nil {
				t.Errorf("returned %+v, %+v with an error", u, tok)
			}
		})
	}
}

// A token's last use is written when it is a minute stale, not on every
// request.
func TestTokenService_FindToken_LastUsedLazily(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.addUser(t, "alice", gallery.RoleUser)
	secret, _ := e.addToken(t, "alice", "ci")
	stored := func() time.Time {
		t.Helper()
		tokens, err := e.tokens.ListTokens(ctx, "alice")
		if err != nil || len(tokens) != 1 {
			t.Fatalf("ListTokens = %v, %v", tokens, err)
		}
		return tokens[0].LastUsedAt
	}
	find := func() time.Time {
		t.Helper()
		_, tok, err := e.tokens.FindToken(ctx, secret)
		if err != nil {
			t.Fatal(err)
		}
		return tok.LastUsedAt
	}

	t0 := e.clock.Now()
	if got := find(); !got.Equal(t0) || !stored().Equal(t0) {
		t.Fatalf("first use: returned %v, stored %v; want %v", got, stored(), t0)
	}
	e.clock.Add(59 * time.Second)
	if got := find(); !got.Equal(t0) || !stored().Equal(t0) {
		t.Errorf("use within the minute: returned %v, stored %v; want both left at %v", got, stored(), t0)
	}
	// Within the minute a look-up needs no write transaction: it answers
	// while another writer holds bbolt.
	tx, err := e.db.bolt.Begin(true)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, _, err := e.tokens.FindToken(ctx, secret)
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Error(err)
		}
	case <-time.After(5 * time.Second):
		t.Error("FindToken within the minute waits for bbolt's writer")
		defer func() { <-done }() // after the rollback lets it through
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}

	e.clock.Add(time.Second)
	if got := find(); !got.Equal(e.clock.Now()) || !stored().Equal(e.clock.Now()) {
		t.Errorf("use a minute later: returned %v, stored %v; want %v", got, stored(), e.clock.Now())
	}
}

func TestTokenService_DeleteToken(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.addUser(t, "alice", gallery.RoleUser)
	e.addUser(t, "bob", gallery.RoleUser)
	e.addUser(t, "root", gallery.RoleAdmin)
	secret, id := e.addToken(t, "alice", "ci")
	keep, _ := e.addToken(t, "alice", "other")

	// No one else deletes it, not even an admin through this method: the
	// id is only looked up among the caller's own tokens.
	for _, who := range []string{"bob", "root", "mallory", "alice\x00"} {
		wantCode(t, e.tokens.DeleteToken(ctx, who, id), gallery.ENOTFOUND)
	}
	if !e.tokenWorks(t, secret) {
		t.Fatal("another account's delete revoked the token")
	}
	for _, bad := range []string{"", "nope", id + "x", secret} {
		wantCode(t, e.tokens.DeleteToken(ctx, "alice", bad), gallery.ENOTFOUND)
	}

	if err := e.tokens.DeleteToken(ctx, "Alice", id); err != nil {
		t.Fatal(err)
	}
	if e.tokenWorks(t, secret) {
		t.Error("a revoked token still works")
	}
	if !e.tokenWorks(t, keep) {
		t.Error("revoking one token revoked another")
	}
	wantCode(t, e.tokens.DeleteToken(ctx, "alice", id), gallery.ENOTFOUND)
	if tokens, _ := e.tokens.ListTokens(ctx, "alice"); len(tokens) != 1 || tokens[0].Name != "other" {
		t.Errorf("tokens left = %+v", tokens)
	}
}

package store

import (
	"context"
	"strings"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"imagerepo/gallery"
)

// env is a checked store in a temp dir, with fast password hashes, a test
// clock and every service.
type env struct {
	db       *DB
	clock    *testClock
	users    *UserService
	sessions *SessionService
	tokens   *TokenService
	images   *ImageService
}

func newEnv(tb testing.TB) *env {
	tb.Helper()
	clock := newTestClock()
	db := mustOpenDB(tb, tb.TempDir(), withFastHashes(Options{Now: clock.Now}))
	return envOf(db, clock)
}

func envOf(db *DB, clock *testClock) *env {
	return &env{
		db: db, clock: clock,
		users: NewUserService(db), sessions: NewSessionService(db),
		tokens: NewTokenService(db), images: NewImageService(db),
	}
}

// password is each test account's password.
func password(name string) string { return "secret-of-" + name }

// addUser creates an account with password(name) and fails the test on error.
func (e *env) addUser(tb testing.TB, name string, role gallery.Role) *gallery.User {
	tb.Helper()
	u, err := e.users.CreateUser(context.Background(), name, password(name), role)
	if err != nil {
		tb.Fatalf("CreateUser(%q): %v", name, err)
	}
	return u
}

// signIn starts a session of an hour and returns its token.
func (e *env) signIn(tb testing.TB, name string) string {
	tb.Helper()
	token, _, err := e.sessions.CreateSession(context.Background(), name, time.Hour)
	if err != nil {
		tb.Fatalf("CreateSession(%q): %v", name, err)
	}
	return token
}

// addToken makes an API token and returns its secret and id.
func (e *env) addToken(tb testing.TB, user, name string) (string, string) {
	tb.Helper()
	secret, tok, err := e.tokens.CreateToken(context.Background(), user, name)
	if err != nil {
		tb.Fatalf("CreateToken(%q, %q): %v", user, name, err)
	}
	return secret, tok.ID
}

// sessionWorks reports whether FindSession accepts token, and fails the test
// on any error but EUNAUTHORIZED.
func (e *env) sessionWorks(tb testing.TB, token string) bool {
	tb.Helper()
	_, _, err := e.sessions.FindSession(context.Background(), token)
	if err != nil && gallery.ErrorCode(err) != gallery.EUNAUTHORIZED {
		tb.Fatalf("FindSession: %v", err)
	}
	return err == nil
}

// tokenWorks is sessionWorks for an API token.
func (e *env) tokenWorks(tb testing.TB, secret string) bool {
	tb.Helper()
	_, _, err := e.tokens.FindToken(context.Background(), secret)
	if err != nil && gallery.ErrorCode(err) != gallery.EUNAUTHORIZED {
		tb.Fatalf("FindToken: %v", err)
	}
	return err == nil
}

// bucketLen counts the keys of a bucket.
func bucketLen(tb testing.TB, db *DB, name []byte) int {
	tb.Helper()
	n := 0
	if err := db.bolt.View(func(tx *bbolt.Tx) error {
		return tx.Bucket(name).ForEach(func(_, _ []byte) error { n++; return nil })
	}); err != nil {
		tb.Fatal(err)
	}
	return n
}

func writeSeqOf(tb testing.TB, db *DB) uint64 {
	tb.Helper()
	n, err := db.WriteSeq()
	if err != nil {
		tb.Fatal(err)
	}
	return n
}

// createAs stores body for owner with a visibility.
func createAs(tb testing.TB, s *ImageService, owner, body string, vis gallery.Visibility, tags ...string) *gallery.Image {
	tb.Helper()
	in := newImage(owner, tags...)
	in.Visibility = vis
	img, dup, err := s.CreateImage(context.Background(), in, strings.NewReader(body))
	if err != nil || dup {
		tb.Fatalf("CreateImage(%q, %q): dup=%v err=%v", owner, body, dup, err)
	}
	return img
}

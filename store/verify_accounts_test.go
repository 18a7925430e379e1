package store

import (
	"context"
	"strings"
	"testing"

	"go.etcd.io/bbolt"

	"imagerepo/gallery"
)

func TestDB_Verify_AccountProblems(t *testing.T) {
	for _, tt := range []struct {
		name    string
		corrupt func(tx *bbolt.Tx, sessKey, tokKey []byte) error
		want    string
	}{
		{"session without index entry", func(tx *bbolt.Tx, sessKey, _ []byte) error {
			return tx.Bucket(userSessionsBucket).Delete(userKey("alice", sessKey))
		}, "not in the user's index"},
		{"index entry without session", func(tx *bbolt.Tx, sessKey, _ []byte) error {
			return tx.Bucket(sessionsBucket).Delete(sessKey)
		}, "no such session"},
		{"session of an unknown user", func(tx *bbolt.Tx, sessKey, _ []byte) error {
			return tx.Bucket(userSessionsBucket).Put(userKey("ghost", secretKey("x")), nil)
		}, `session index "ghost": user does not exist`},
		{"token without index entry", func(tx *bbolt.Tx, _, tokKey []byte) error {
			c := tx.Bucket(userTokensBucket).Cursor()
			k, _ := c.First()
			return tx.Bucket(userTokensBucket).Delete(k)
		}, "the user's index has"},
		{"index entry without token", func(tx *bbolt.Tx, _, tokKey []byte) error {
			return tx.Bucket(tokensBucket).Delete(tokKey)
		}, "no such token"},
		{"token of an unknown user", func(tx *bbolt.Tx, _, tokKey []byte) error {
			return tx.Bucket(userTokensBucket).Put(userKey("ghost", []byte("id")), tokKey)
		}, `token index "ghost": user does not exist`},
		{"bad password hash", func(tx *bbolt.Tx, _, _ []byte) error {
			d, err := getUser(tx, "alice")
			if err != nil {
				return err
			}
			d.PasswordHash = "plain"
			return putUser(tx, d)
		}, "password hash"},
		{"user under another name", func(tx *bbolt.Tx, _, _ []byte) error {
			return tx.Bucket(usersBucket).Put([]byte("bob"), tx.Bucket(usersBucket).Get([]byte("alice")))
		}, `user "bob": malformed key or name "alice"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			clock := newTestClock()
			db := openDB(t, t.TempDir(), withFastHashes(Options{Now: clock.Now}))
			e := envOf(db, clock)
			e.addUser(t, "alice", gallery.RoleUser)
			sess := e.signIn(t, "alice")
			secret, _ := e.addToken(t, "alice", "ci")
			if err := db.Verify(context.Background()); err != nil {
				t.Fatalf("Verify before breaking: %v", err)
			}
			update(t, db, func(tx *bbolt.Tx) error { return tt.corrupt(tx, secretKey(sess), secretKey(secret)) })
			if err := db.Verify(context.Background()); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Verify = %v, want a problem with %q", err, tt.want)
			}
		})
	}
}

package store

import (
	"bytes"
	"context"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.etcd.io/bbolt"

	"imagerepo/gallery"
)

// No password, session token or token secret is ever stored as it is: not
// in any bbolt key or value, and not anywhere in the file (freed pages
// included).
func TestDB_NoPlainSecrets(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	const (
		adminPW = "Correct-Horse-Battery-Staple"
		userPW  = "hunter2-but-longer"
		newPW   = "an entirely new passphrase"
	)
	if _, err := e.users.CreateFirstAdmin(ctx, "root", adminPW); err != nil {
		t.Fatal(err)
	}
	if _, err := e.users.CreateUser(ctx, "alice", userPW, gallery.RoleUser); err != nil {
		t.Fatal(err)
	}
	if _, err := e.users.Authenticate(ctx, "alice", userPW); err != nil {
		t.Fatal(err)
	}
	sess := e.signIn(t, "alice")
	kept := e.signIn(t, "alice")
	secret, _ := e.addToken(t, "alice", "ci")
	if _, _, err := e.tokens.FindToken(ctx, secret); err != nil {
		t.Fatal(err)
	}
	if err := e.users.ChangePassword(ctx, "alice", userPW, newPW, kept); err != nil {
		t.Fatal(err)
	}

	needles := map[string][]byte{}
	for name, s := range map[string]string{
		"admin password": adminPW, "old password": userPW, "new password": newPW,
		"session token": sess, "kept session token": kept, "token secret": secret,
		"token secret without prefix": strings.TrimPrefix(secret, tokenPrefix),
	} {
		needles[name] = []byte(s)
	}
	for name, s := range map[string]string{"session": sess, "kept session": kept, "token": strings.TrimPrefix(secret, tokenPrefix)} {
		raw, err := base64.RawURLEncoding.DecodeString(s)
		if err != nil {
			t.Fatal(err)
		}
		needles[name+" bytes"] = raw
	}

	scanned := 0
	err := e.db.bolt.View(func(tx *bbolt.Tx) error {
		return tx.ForEach(func(bucket []byte, b *bbolt.Bucket) error {
			return b.ForEach(func(k, v []byte) error {
				scanned++
				for name, needle := range needles {
					if bytes.Contains(k, needle) || bytes.Contains(v, needle) {
						t.Errorf("bucket %s, key %q holds the %s", bucket, k, name)
					}
				}
				return nil
			})
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	if scanned < 8 {
		t.Fatalf("scanned only %d entries", scanned)
	}
	file, err := os.ReadFile(filepath.Join(e.db.dir, dbFile))
	if err != nil {
		t.Fatal(err)
	}
	for name, needle := range needles {
		if bytes.Contains(file, needle) {
			t.Errorf("the bbolt file holds the %s", name)
		}
	}
	// The scan can find what it looks for: the hash and the name are there.
	if !bytes.Contains(file, []byte("$argon2id$v=19$")) || !bytes.Contains(file, []byte(`"username":"alice"`)) {
		t.Error("the file does not hold the account as expected; the scan proves nothing")
	}
}

package store

import (
	"bytes"
	"context"
	"crypto/sha256"

	"imagerepo/gallery"
)

// The account checks of Verify: users, sessions and tokens.

func (v *verifier) users(ctx context.Context) error {
	c := v.tx.Bucket(usersBucket).Cursor()
	for k, _ := c.First(); k != nil; k, _ = c.Next() {
		name := string(k)
		d, err := getUser(v.tx, name)
		if err != nil {
			v.problem("user %q: %v", name, err)
			continue
		}
		if gallery.ValidateUsername(name) != nil || d.Username != name {
			v.problem("user %q: malformed key or name %q", name, d.Username)
		}
		if d.Role != string(gallery.RoleAdmin) && d.Role != string(gallery.RoleUser) {
			v.problem("user %q: unknown role %q", name, d.Role)
		}
		if _, err := parsePasswordHash(d.PasswordHash); err != nil {
			v.problem("user %q: password hash: %v", name, err)
		}
	}
	return ctx.Err()
}

// userExists reports whether the account is stored.
func (v *verifier) userExists(name string) bool {
	return v.tx.Bucket(usersBucket).Get([]byte(name)) != nil
}

func (v *verifier) sessions(ctx context.Context) error {
	c := v.tx.Bucket(sessionsBucket).Cursor()
	for k, _ := c.First(); k != nil; k, _ = c.Next() {
		if len(k) != sha256.Size {
			v.problem("session %x: malformed key", k)
			continue
		}
		d, err := getSession(v.tx, k)
		if err != nil {
			v.problem("session %x: %v", k, err)
			continue
		}
		if !v.userExists(d.Username) {
			v.problem("session %x: user %q does not exist", k, d.Username)
		}
		if v.tx.Bucket(userSessionsBucket).Get(userKey(d.Username, k)) == nil {
			v.problem("session %x of %q is not in the user's index", k, d.Username)
		}
	}
	return ctx.Err()
}

func (v *verifier) sessionIndex(ctx context.Context) error {
	c := v.tx.Bucket(userSessionsBucket).Cursor()
	for k, _ := c.First(); k != nil; k, _ = c.Next() {
		name, key, ok := splitUserKey(k)
		if !ok || len(key) != sha256.Size {
			v.problem("session index: malformed key %q", k)
			continue
		}
		if !v.userExists(name) {
			v.problem("session index %q: user does not exist", name)
		}
		d, err := getSession(v.tx, key)
		if err != nil {
			v.problem("session index %q %x: %v", name, key, err)
		} else if d == nil {
			v.problem("session index %q %x: no such session", name, key)
		} else if d.Username != name {
			v.problem("session index %q %x: the session is %q's", name, key, d.Username)
		}
	}
	return ctx.Err()
}

func (v *verifier) tokens(ctx context.Context) error {
	c := v.tx.Bucket(tokensBucket).Cursor()
	for k, _ := c.First(); k != nil; k, _ = c.Next() {
		if len(k) != sha256.Size {
			v.problem("token %x: malformed key", k)
			continue
		}
		d, err := getToken(v.tx, k)
		if err != nil {
			v.problem("token %x: %v", k, err)
			continue
		}
		if !v.userExists(d.Username) {
			v.problem("token %s: user %q does not exist", d.ID, d.Username)
		}
		if got := v.tx.Bucket(userTokensBucket).Get(userKey(d.Username, []byte(d.ID))); !bytes.Equal(got, k) {
			v.problem("token %s of %q: the user's index has %x", d.ID, d.Username, got)
		}
	}
	return ctx.Err()
}

func (v *verifier) tokenIndex(ctx context.Context) error {
	c := v.tx.Bucket(userTokensBucket).Cursor()
	for k, key := c.First(); k != nil; k, key = c.Next() {
		name, id, ok := splitUserKey(k)
		if !ok || len(id) == 0 {
			v.problem("token index: malformed key %q", k)
			continue
		}
		if !v.userExists(name) {
			v.problem("token index %q: user does not exist", name)
		}
		d, err := getToken(v.tx, key)
		if err != nil {
			v.problem("token index %q %s: %v", name, id, err)
		} else if d == nil {
			v.problem("token index %q %s: no such token", name, id)
		} else if d.Username != name || d.ID != string(id) {
			v.problem("token index %q %s: the token is %q's %s", name, id, d.Username, d.ID)
		}
	}
	return ctx.Err()
}

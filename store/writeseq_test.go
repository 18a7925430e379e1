package store

import (
	"context"
	"strings"
	"testing"

	"imagerepo/gallery"
)

func TestDB_WriteSeq(t *testing.T) {
	dir := t.TempDir()
	clock := newTestClock()
	db := openDB(t, dir, withFastHashes(Options{Now: clock.Now}))
	e := envOf(db, clock)
	ctx := context.Background()
	step := func(name string, want uint64, do func() error) {
		t.Helper()
		if err := do(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got := writeSeqOf(t, db); got != want {
			t.Errorf("after %s: WriteSeq = %d, want %d", name, got, want)
		}
	}
	step("open", 0, func() error { return nil })
	a := create(t, e.images, "", "one")
	step("create", 1, func() error { return nil })
	step("duplicate", 1, func() error {
		_, dup, err := e.images.CreateImage(ctx, newImage(""), strings.NewReader("one"))
		if !dup {
			t.Error("not a duplicate")
		}
		return err
	})
	step("update", 2, func() error {
		_, err := e.images.UpdateImage(ctx, a.ID, gallery.ImageUpdate{Title: ptr("new")})
		return err
	})
	step("refused update", 2, func() error {
		_, err := e.images.UpdateImage(ctx, a.ID, gallery.ImageUpdate{Title: ptr(" ")})
		wantCode(t, err, gallery.EINVALID)
		return nil
	})
	b := create(t, e.images, "", "two")
	create(t, e.images, "alice", "three")
	step("two creates", 4, func() error { return nil })
	step("delete", 5, func() error { return e.images.DeleteImage(ctx, b.ID) })
	step("refused delete", 5, func() error {
		wantCode(t, e.images.DeleteImage(ctx, b.ID), gallery.ENOTFOUND)
		return nil
	})
	step("account writes", 5, func() error {
		e.addUser(t, "bob", gallery.RoleUser)
		e.signIn(t, "bob")
		e.addToken(t, "bob", "x")
		return nil
	})
	// One ownerless image left (a); the first admin takes it: one write.
	step("first admin", 6, func() error {
		_, err := e.users.CreateUser(ctx, "root", "password", gallery.RoleAdmin)
		return err
	})

	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	_, err := db.WriteSeq()
	if err != errClosed {
		t.Errorf("WriteSeq after Close: %v", err)
	}
	db = mustOpenDB(t, dir, withFastHashes(Options{Now: clock.Now}))
	if got := writeSeqOf(t, db); got != 6 {
		t.Errorf("WriteSeq after reopen = %d, want 6", got)
	}
}

package store

import (
	"context"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"imagerepo/gallery"
)

// toSchema1 turns a closed data dir into what schema 1 would have left:
// version 1, none of the account buckets (unless keepUsers, for data that
// has accounts but never had its ownerless images handed over) and no
// schema 2 meta keys.
func toSchema1(t *testing.T, dir string, keepUsers bool) {
	t.Helper()
	bdb, err := bbolt.Open(filepath.Join(dir, dbFile), 0o600, &bbolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer bdb.Close()
	err = bdb.Update(func(tx *bbolt.Tx) error {
		drop := [][]byte{sessionsBucket, userSessionsBucket, tokensBucket, userTokensBucket, thumbRefBucket}
		if !keepUsers {
			drop = append(drop, usersBucket)
		}
		for _, b := range drop {
			if err := tx.DeleteBucket(b); err != nil {
				return err
			}
		}
		for _, k := range [][]byte{writeSeqKey, adoptedKey} {
			if err := tx.Bucket(metaBucket).Delete(k); err != nil {
				return err
			}
		}
		return putSchemaVersion(tx, 1)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestOpen_MigrateSchema1(t *testing.T) {
	dir := t.TempDir()
	clock := newTestClock()
	opts := withFastHashes(Options{Now: clock.Now})
	db := openDB(t, dir, opts)
	a := create(t, NewImageService(db), "", "from before accounts", "old")
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	toSchema1(t, dir, false)

	var logs syncBuffer
	opts.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	db = mustOpenDB(t, dir, opts)
	e := envOf(db, clock)
	if !strings.Contains(logs.String(), "from=1 to=2") {
		t.Errorf("migration log:\n%s", logs.String())
	}
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		if v := schemaVersion(tx); v != SchemaVersion {
			t.Errorf("schema version %d, want %d", v, SchemaVersion)
		}
		for _, b := range [][]byte{usersBucket, sessionsBucket, userSessionsBucket, tokensBucket, userTokensBucket, thumbRefBucket} {
			if tx.Bucket(b) == nil {
				t.Errorf("bucket %s missing after the migration", b)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// No account yet: the image waits for the first admin, who gets it.
	if got, _ := e.images.FindImageByID(context.Background(), a.ID); got.Owner != "" {
		t.Errorf("owner %q before any account", got.Owner)
	}
	if _, err := e.users.CreateFirstAdmin(context.Background(), "root", "password"); err != nil {
		t.Fatal(err)
	}
	if got, _ := e.images.FindImageByID(context.Background(), a.ID); got.Owner != "root" {
		t.Errorf("owner %q after the first admin, want root", got.Owner)
	}
}

// A data dir with accounts whose ownerless images were never handed over
// gets them handed to the oldest enabled admin at Open.
func TestOpen_AdoptsOwnerless(t *testing.T) {
	dir := t.TempDir()
	clock := newTestClock()
	opts := withFastHashes(Options{Now: clock.Now})
	db := openDB(t, dir, opts)
	e := envOf(db, clock)
	ctx := context.Background()
	for _, name := range []string{"old", "zed", "adam"} { // oldest first
		e.addUser(t, name, gallery.RoleAdmin)
		clock.Add(time.Minute)
	}
	e.addUser(t, "aaron", gallery.RoleUser)
	if err := e.users.SetDisabled(ctx, "old", true); err != nil {
		t.Fatal(err)
	}
	a := create(t, e.images, "", "one", "x")
	b := create(t, e.images, "", "two")
	mine := create(t, e.images, "zed", "same bytes")
	dupe := create(t, e.images, "", "same bytes")
	bobs := create(t, e.images, "bob", "bob's")
	seq := writeSeqOf(t, db)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	toSchema1(t, dir, true)

	var logs syncBuffer
	opts.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	db = mustOpenDB(t, dir, opts)
	e = envOf(db, clock)
	for _, tt := range []struct {
		img   *gallery.Image
		owner string
	}{{a, "zed"}, {b, "zed"}, {mine, "zed"}, {bobs, "bob"}} {
		if got, err := e.images.FindImageByID(ctx, tt.img.ID); err != nil || got.Owner != tt.owner {
			t.Errorf("image %s: %+v, %v; want owner %q", tt.img.ID, got, err, tt.owner)
		}
	}
	// The ownerless copy of bytes zed already had merged into zed's image.
	_, err := e.images.FindImageByID(ctx, dupe.ID)
	wantCode(t, err, gallery.ENOTFOUND)
	if got := readBlob(t, e.images, mine.SHA256); got != "same bytes" {
		t.Errorf("zed's bytes = %q", got)
	}
	// write_seq was dropped with schema 1, so it counts from 0: three
	// ownerless images, each one write.
	if got := writeSeqOf(t, db); got != 3 {
		t.Errorf("WriteSeq = %d, want 3 (it was %d before the downgrade)", got, seq)
	}
	if !strings.Contains(logs.String(), "images=3") {
		t.Errorf("adoption log:\n%s", logs.String())
	}
	again, dup, err := e.images.CreateImage(ctx, newImage("zed"), strings.NewReader("one"))
	if err != nil || !dup || again.ID != a.ID {
		t.Errorf("zed re-uploads adopted bytes: %v dup=%v %v", again, dup, err)
	}
	if all, _ := allPages(t, e.images, gallery.ImageFilter{All: true, Owner: ptr("zed")}); !slices.Equal(all, []string{mine.ID, b.ID, a.ID}) {
		t.Errorf("zed's images = %v", all)
	}
}

// Without an admin nothing is handed over and nothing is recorded, so the
// first admin still gets the images later.
func TestOpen_NoAdminNoAdoption(t *testing.T) {
	dir := t.TempDir()
	clock := newTestClock()
	opts := withFastHashes(Options{Now: clock.Now})
	db := openDB(t, dir, opts)
	e := envOf(db, clock)
	e.addUser(t, "plain", gallery.RoleUser)
	img := create(t, e.images, "", "x")
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db = mustOpenDB(t, dir, opts)
	e = envOf(db, clock)
	if got, _ := e.images.FindImageByID(context.Background(), img.ID); got.Owner != "" {
		t.Errorf("owner %q without an admin", got.Owner)
	}
	e.addUser(t, "boss", gallery.RoleAdmin)
	if got, _ := e.images.FindImageByID(context.Background(), img.ID); got.Owner != "boss" {
		t.Errorf("owner %q, want the first admin", got.Owner)
	}
}

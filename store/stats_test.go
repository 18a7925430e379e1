package store

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"
	"time"

	"go.etcd.io/bbolt"
)

func wantStats(tb testing.TB, db *DB, images, size uint64) {
	tb.Helper()
	n, b, err := db.ImageStats(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	if n != images || b != size {
		tb.Errorf("ImageStats = %d images, %d bytes; want %d, %d", n, b, images, size)
	}
}

func TestDB_ImageStats_FollowsCreatesAndDeletes(t *testing.T) {
	s, db, _ := newService(t)
	ctx := context.Background()
	wantStats(t, db, 0, 0)
	a := create(t, s, "alice", "aaaa")
	create(t, s, "alice", "bbbbbb")
	create(t, s, "bob", "aaaa") // the same bytes, another owner: a second document
	wantStats(t, db, 3, 14)

	// A duplicate of the owner's own bytes stores nothing.
	if _, dup, err := s.CreateImage(ctx, newImage("alice"), bytes.NewBufferString("aaaa")); err != nil || !dup {
		t.Fatalf("duplicate: dup=%v err=%v", dup, err)
	}
	wantStats(t, db, 3, 14)

	if err := s.DeleteImage(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	wantStats(t, db, 2, 10)
	// A failed delete changes nothing.
	if err := s.DeleteImage(ctx, a.ID); err == nil {
		t.Fatal("second delete succeeded")
	}
	wantStats(t, db, 2, 10)
}

func TestOpen_MigrateSchema3_CountsImages(t *testing.T) {
	dir := t.TempDir()
	db := openDB(t, dir, Options{})
	s := NewImageService(db)
	create(t, s, "", "12345")
	create(t, s, "", "1234567")
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	// What schema 3 left: no stats.
	bdb, err := bbolt.Open(filepath.Join(dir, dbFile), 0o600, &bbolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	err = bdb.Update(func(tx *bbolt.Tx) error {
		if err := tx.Bucket(metaBucket).Delete(imageStatsKey); err != nil {
			return err
		}
		return putSchemaVersion(tx, 3)
	})
	bdb.Close()
	if err != nil {
		t.Fatal(err)
	}

	db = mustOpenDB(t, dir, Options{})
	wantStats(t, db, 2, 12)
}

func TestDB_Verify_ReportsWrongImageStats(t *testing.T) {
	s, db, _ := newService(t)
	create(t, s, "", "12345")
	if err := db.Verify(context.Background()); err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if err := db.bolt.Update(func(tx *bbolt.Tx) error { return putImageStats(tx, 7, 5) }); err != nil {
		t.Fatal(err)
	}
	err := db.Verify(context.Background())
	if err == nil || !bytes.Contains([]byte(err.Error()), []byte("image stats say 7 images")) {
		t.Fatalf("Verify = %v, want the image stats problem", err)
	}
	// Put it right again for the cleanup's check.
	if err := db.bolt.Update(func(tx *bbolt.Tx) error { return putImageStats(tx, 1, 5) }); err != nil {
		t.Fatal(err)
	}
}

func TestDB_Ping(t *testing.T) {
	_, db, _ := newService(t)
	if err := db.Ping(context.Background()); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	db2 := openDB(t, t.TempDir(), Options{})
	if err := db2.Close(); err != nil {
		t.Fatal(err)
	}
	if err := db2.Ping(context.Background()); err == nil {
		t.Fatal("Ping of a closed store succeeded")
	}
}

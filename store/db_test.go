package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"imagerepo/gallery"
)

func TestOpen_Layout(t *testing.T) {
	dir := t.TempDir()
	db := mustOpenDB(t, dir, Options{})
	for _, name := range []string{dbFile, markerFile, filepath.Join(blobsDir, tmpDir)} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		for _, b := range [][]byte{
			metaBucket, imagesBucket, shaBucket, tagBucket,
			usersBucket, sessionsBucket, userSessionsBucket, tokensBucket, userTokensBucket,
		} {
			if tx.Bucket(b) == nil {
				t.Errorf("bucket %s missing", b)
			}
		}
		if v := schemaVersion(tx); v != SchemaVersion {
			t.Errorf("schema version %d, want %d", v, SchemaVersion)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestOpen_InUse(t *testing.T) {
	dir := t.TempDir()
	mustOpenDB(t, dir, Options{})
	// An upload in flight in the first process must survive the second Open.
	inflight := filepath.Join(dir, blobsDir, tmpDir, "upload-1")
	if err := os.WriteFile(inflight, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	defer os.Remove(inflight)

	db2, err := Open(dir, Options{LockTimeout: 50 * time.Millisecond, Logger: slog.New(slog.DiscardHandler)})
	if err == nil {
		db2.Close()
		t.Fatal("second Open of the same dir succeeded")
	}
	if want := "data dir " + `"` + dir + `"` + " is in use by another imagerepo process"; err.Error() != want {
		t.Errorf("err = %q, want %q", err, want)
	}
	if _, err := os.Stat(inflight); err != nil {
		t.Errorf("the failed Open touched the first process's temp files: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, markerFile)); err != nil {
		t.Errorf("the failed Open touched the run marker: %v", err)
	}
}

func TestOpen_NewerSchema(t *testing.T) {
	dir := t.TempDir()
	db := openDB(t, dir, Options{})
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	setSchemaVersion(t, dir, SchemaVersion+1)

	_, err := Open(dir, Options{Logger: slog.New(slog.DiscardHandler)})
	if err == nil || !strings.Contains(err.Error(), "newer than this imagerepo understands") {
		t.Fatalf("Open of a newer schema: %v", err)
	}
	// The refusal leaves the data as it was.
	setSchemaVersion(t, dir, SchemaVersion)
	mustOpenDB(t, dir, Options{})
}

func setSchemaVersion(t *testing.T, dir string, v uint64) {
	t.Helper()
	bdb, err := bbolt.Open(filepath.Join(dir, dbFile), 0o600, &bbolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer bdb.Close()
	if err := bdb.Update(func(tx *bbolt.Tx) error { return putSchemaVersion(tx, v) }); err != nil {
		t.Fatal(err)
	}
}

func TestOpen_EmptiesTemp(t *testing.T) {
	dir := t.TempDir()
	tmp := filepath.Join(dir, blobsDir, tmpDir)
	if err := os.MkdirAll(filepath.Join(tmp, "sub"), 0o750); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"upload-1", "sub/x"} {
		if err := os.WriteFile(filepath.Join(tmp, name), []byte("partial"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	mustOpenDB(t, dir, Options{})
	if entries, err := os.ReadDir(tmp); err != nil || len(entries) != 0 {
		t.Errorf("temp dir after Open: %v entries, %v", len(entries), err)
	}
}

func TestDB_Reopen(t *testing.T) {
	dir := t.TempDir()
	clock := newTestClock()
	db := openDB(t, dir, Options{Now: clock.Now})
	s := NewImageService(db)
	a := create(t, s, "alice", "one", "cat")
	b := create(t, s, "bob", "two", "dog")
	b, err := s.UpdateImage(context.Background(), b.ID, gallery.ImageUpdate{Title: ptr("renamed")})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := s.FindImageByID(context.Background(), a.ID); !errors.Is(err, errClosed) {
		t.Errorf("FindImageByID after Close: %v", err)
	}

	// The clock steps back across the restart; new ids must still sort last.
	clock.Add(-time.Hour)
	db = mustOpenDB(t, dir, Options{Now: clock.Now})
	s = NewImageService(db)
	for _, want := range []*gallery.Image{a, b} {
		got, err := s.FindImageByID(context.Background(), want.ID)
		if err != nil || !sameImage(got, want) {
			t.Errorf("after reopen: %+v, %v; want %+v", got, err, want)
		}
	}
	if all, _ := allPages(t, s, gallery.ImageFilter{All: true, Tag: "dog"}); !slices.Equal(all, []string{b.ID}) {
		t.Errorf("tag index after reopen: %v", all)
	}
	if readBlob(t, s, a.SHA256) != "one" {
		t.Error("bytes lost across reopen")
	}
	c := create(t, s, "alice", "three")
	if all, _ := allPages(t, s, gallery.ImageFilter{All: true}); !slices.Equal(all, []string{c.ID, b.ID, a.ID}) {
		t.Errorf("after reopen with the clock behind: %v, want the new image first", all)
	}
}

// syncBuffer is a log sink the sweep goroutine and the test can share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (w *syncBuffer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func (w *syncBuffer) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

// writeOrphan puts bytes in the blob folder with no document, as a crash
// between rename and commit would, and dates the file.
func writeOrphan(t *testing.T, db *DB, body string, mtime time.Time) string {
	t.Helper()
	sha := shaOf(body)
	path := db.blobPath(sha)
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(path, mtime, mtime); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestOpen_CrashSweep(t *testing.T) {
	dir := t.TempDir()
	db := openDB(t, dir, Options{})
	s := NewImageService(db)
	kept := create(t, s, "alice", "referenced")
	keptPath := db.blobPath(kept.SHA256)
	old := time.Now().Add(-time.Hour)
	if err := os.Chtimes(keptPath, old, old); err != nil {
		t.Fatal(err)
	}
	orphan := writeOrphan(t, db, "orphan", old)
	fresh := writeOrphan(t, db, "written after open", time.Now().Add(time.Hour))
	stray := filepath.Join(db.blobDir, "README")
	if err := os.WriteFile(stray, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	// A crash is a run that never got to Close: its marker stays.
	if err := os.WriteFile(filepath.Join(dir, markerFile), nil, 0o600); err != nil {
		t.Fatal(err)
	}

	var logs syncBuffer
	db = mustOpenDB(t, dir, Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	s = NewImageService(db)
	db.WaitSweep()

	if _, err := os.Stat(orphan); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("orphan blob after the sweep: %v", err)
	}
	for _, path := range []string{keptPath, fresh, stray} {
		if _, err := os.Stat(path); err != nil {
			t.Errorf("%s after the sweep: %v", filepath.Base(path), err)
		}
	}
	if readBlob(t, s, kept.SHA256) != "referenced" {
		t.Error("referenced bytes changed")
	}
	if out := logs.String(); !strings.Contains(out, "sweeping unreferenced blobs") ||
		!strings.Contains(out, "sweep done") || !strings.Contains(out, "removed=1") {
		t.Errorf("sweep log:\n%s", out)
	}
	// The fresh blob only stood for an upload in flight; drop it so the
	// cleanup check passes.
	if err := os.Remove(fresh); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(stray); err != nil {
		t.Fatal(err)
	}
}

func TestOpen_CleanStopNoSweep(t *testing.T) {
	dir := t.TempDir()
	db := openDB(t, dir, Options{})
	orphan := writeOrphan(t, db, "orphan", time.Now().Add(-time.Hour))
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db = openDB(t, dir, Options{})
	db.WaitSweep()
	if _, err := os.Stat(orphan); err != nil {
		t.Errorf("a clean stop swept anyway: %v", err)
	}
	if err := db.Verify(context.Background()); err == nil || !strings.Contains(err.Error(), "referenced by no image") {
		t.Errorf("Verify with an orphan: %v", err)
	}
}

func TestDB_Verify_Problems(t *testing.T) {
	for _, tt := range []struct {
		name    string
		corrupt func(t *testing.T, db *DB, img *gallery.Image)
		want    string
	}{
		{"missing blob", func(t *testing.T, db *DB, img *gallery.Image) {
			if err := os.Remove(db.blobPath(img.SHA256)); err != nil {
				t.Fatal(err)
			}
		}, "are missing"},
		{"truncated blob", func(t *testing.T, db *DB, img *gallery.Image) {
			if err := os.WriteFile(db.blobPath(img.SHA256), []byte("x"), 0o600); err != nil {
				t.Fatal(err)
			}
		}, "hold 1 bytes"},
		{"dangling tag entry", func(t *testing.T, db *DB, img *gallery.Image) {
			update(t, db, func(tx *bbolt.Tx) error {
				return tx.Bucket(tagBucket).Put(tagKey("ghost", strings.Repeat("0", idLen)), nil)
			})
		}, "tag index"},
		{"missing sha entry", func(t *testing.T, db *DB, img *gallery.Image) {
			update(t, db, func(tx *bbolt.Tx) error {
				return tx.Bucket(shaBucket).Delete(shaKey(img.SHA256, img.Owner))
			})
		}, "sha index"},
		{"missing tag entry", func(t *testing.T, db *DB, img *gallery.Image) {
			update(t, db, func(tx *bbolt.Tx) error {
				return tx.Bucket(tagBucket).Delete(tagKey("t", img.ID))
			})
		}, "is not indexed"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			db := openDB(t, t.TempDir(), Options{})
			img := create(t, NewImageService(db), "alice", "body", "t")
			if err := db.Verify(context.Background()); err != nil {
				t.Fatalf("Verify before breaking: %v", err)
			}
			tt.corrupt(t, db, img)
			if err := db.Verify(context.Background()); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Verify = %v, want a problem with %q", err, tt.want)
			}
		})
	}
}

func update(t *testing.T, db *DB, fn func(tx *bbolt.Tx) error) {
	t.Helper()
	if err := db.bolt.Update(fn); err != nil {
		t.Fatal(err)
	}
}

func TestDB_NewID_Order(t *testing.T) {
	clock := newTestClock()
	db := mustOpenDB(t, t.TempDir(), Options{Now: clock.Now})
	seen := map[string]bool{}
	prev, prevT := "", time.Time{}
	for i := range 1000 {
		if i == 500 {
			clock.Add(-time.Minute) // the clock steps back
		}
		id, at := db.newID()
		if !validID(id) || len(id) != idLen || seen[id] {
			t.Fatalf("id %q: valid=%v len=%d repeat=%v", id, validID(id), len(id), seen[id])
		}
		if id <= prev || !at.After(prevT) {
			t.Fatalf("id %d = %q at %v after %q at %v: not increasing", i, id, at, prev, prevT)
		}
		seen[id], prev, prevT = true, id, at
	}
	b, err := idEncoding.DecodeString(prev)
	if err != nil || !time.Unix(0, int64(binary.BigEndian.Uint64(b[:8]))).Equal(prevT) {
		t.Errorf("id %q does not encode its time %v: %v", prev, prevT, err)
	}
}

func TestValidID(t *testing.T) {
	db := openDB(t, t.TempDir(), Options{})
	id, _ := db.newID()
	for _, tt := range []struct {
		id   string
		want bool
	}{
		{id, true},
		{strings.Repeat("0", idLen), true},
		{strings.Repeat("v", idLen-1) + "s", true},
		{strings.Repeat("v", idLen), false}, // bits past the 128 set
		{strings.ToUpper(id), false},
		{id[:idLen-1], false},
		{id + "0", false},
		{strings.Repeat("w", idLen), false},
		{strings.Repeat("-", idLen), false},
		{"", false},
	} {
		if got := validID(tt.id); got != tt.want {
			t.Errorf("validID(%q) = %v, want %v", tt.id, got, tt.want)
		}
	}
}

package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"imagerepo/gallery"
)

// damagedDir makes a data directory of 300 images, closed, and returns it
// with the size its bbolt file's pages need (the file may be longer: bbolt
// grows it in steps).
func damagedDir(t *testing.T) (string, int64) {
	t.Helper()
	dir := t.TempDir()
	db := openDB(t, dir, Options{})
	batch := make([]NewImage, 300)
	for i := range batch {
		img := newImage("alice")
		img.Title = fmt.Sprintf("image %d with a title long enough to fill pages", i)
		batch[i] = NewImage{Image: img, Body: fmt.Appendf(nil, "bytes %d", i)}
	}
	if _, err := NewImageService(db).CreateImages(context.Background(), batch); err != nil {
		t.Fatal(err)
	}
	var need int64
	db.bolt.View(func(tx *bbolt.Tx) error {
		need = tx.Size()
		return nil
	})
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	return dir, need
}

// TestOpen_DamagedFile: a bbolt file cut short, with its meta pages or its
// other pages overwritten, is refused with a message that says it is
// damaged and how to restore, never with a panic or a crash (bbolt
// panics, or faults reading past the end of the mapped file); the stored
// bytes are left alone.
func TestOpen_DamagedFile(t *testing.T) {
	dir, size := damagedDir(t)
	pristine := t.TempDir()
	if err := os.CopyFS(pristine, os.DirFS(dir)); err != nil {
		t.Fatal(err)
	}
	blobs := countFiles(t, filepath.Join(dir, blobsDir))
	overwrite := func(off, n int64) func(f *os.File) error {
		return func(f *os.File) error {
			_, err := f.WriteAt([]byte(strings.Repeat("\xa5", int(n))), off)
			return err
		}
	}
	damage := map[string]func(f *os.File) error{
		"cut to half":          func(f *os.File) error { return f.Truncate(size / 2) },
		"cut off page-aligned": func(f *os.File) error { return f.Truncate(size - 4096) },
		"cut mid-page":         func(f *os.File) error { return f.Truncate(size - 5000) },
		"cut to 5000 bytes":    func(f *os.File) error { return f.Truncate(5000) },
		"meta pages":           overwrite(0, 8192),
		"other pages":          overwrite(8192, size-8192),
	}
	for name, hurt := range damage {
		for _, readOnly := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s, read-only %v", name, readOnly), func(t *testing.T) {
				os.RemoveAll(dir)
				if err := os.CopyFS(dir, os.DirFS(pristine)); err != nil {
					t.Fatal(err)
				}
				f, err := os.OpenFile(filepath.Join(dir, dbFile), os.O_RDWR, 0)
				if err != nil {
					t.Fatal(err)
				}
				if err := hurt(f); err != nil {
					t.Fatal(err)
				}
				f.Close()
				db, err := Open(dir, Options{ReadOnly: readOnly, Logger: slog.New(slog.DiscardHandler)})
				if err == nil {
					// Open reads only what it needs; the check reads every page.
					_, err = db.Check(context.Background(), CheckOptions{})
					db.Close()
				}
				if err == nil || !strings.Contains(err.Error(), "is damaged") || !strings.Contains(err.Error(), "imagerepo restore --data") {
					t.Fatalf("err = %v; want it called damaged, with how to restore", err)
				}
				if n := countFiles(t, filepath.Join(dir, blobsDir)); n != blobs {
					t.Fatalf("%d blob files left of %d", n, blobs)
				}
			})
		}
	}
}

// TestOpen_LostDatabase: a bbolt file that is missing or empty beside
// stored bytes is refused, in both modes, rather than made anew (every
// stored byte would then look unreferenced, for the sweep to delete); a
// new data directory, or one whose blob folder holds nothing, opens.
func TestOpen_LostDatabase(t *testing.T) {
	dir, _ := damagedDir(t)
	blobs := countFiles(t, filepath.Join(dir, blobsDir))
	for _, what := range []string{"missing", "empty"} {
		for _, readOnly := range []bool{false, true} {
			if what == "missing" {
				os.Remove(filepath.Join(dir, dbFile))
			} else if err := os.WriteFile(filepath.Join(dir, dbFile), nil, 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := Open(dir, Options{ReadOnly: readOnly, Logger: slog.New(slog.DiscardHandler)})
			if err == nil || !strings.Contains(err.Error(), "holds stored images") || !strings.Contains(err.Error(), "is "+what) {
				t.Fatalf("%s, read-only %v: err = %v", what, readOnly, err)
			}
			if n := countFiles(t, filepath.Join(dir, blobsDir)); n != blobs {
				t.Fatalf("%s: %d blob files left of %d", what, n, blobs)
			}
		}
	}
	if err := os.RemoveAll(filepath.Join(dir, blobsDir)); err != nil {
		t.Fatal(err)
	}
	openDB(t, dir, Options{}) // moved away: a fresh start
	openDB(t, t.TempDir(), Options{})
}

// TestDB_DamageWhileOpen: pages damaged under a running store make its
// reads fail with an error, not a panic that would end the process (the
// search rebuild and the media migration read from goroutines of their
// own), and a write that panics is rolled back.
func TestDB_DamageWhileOpen(t *testing.T) {
	dir, need := damagedDir(t)
	db := openDB(t, dir, Options{})
	s := NewImageService(db)
	ctx := context.Background()
	if _, _, err := s.FindImages(ctx, gallery.ImageFilter{All: true}); err != nil {
		t.Fatal(err)
	}
	var p *txPanic
	before, _ := db.WriteSeq()
	err := db.updateTx(func(tx *bbolt.Tx) error {
		if err := bumpWriteSeq(tx, 1); err != nil {
			return err
		}
		panic("a bug")
	})
	if !errors.As(err, &p) {
		t.Fatalf("a panicking write: %v", err)
	}
	if after, _ := db.WriteSeq(); after != before {
		t.Fatalf("the panicking write went in: write seq %d → %d", before, after)
	}

	f, err := os.OpenFile(filepath.Join(dir, dbFile), os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt([]byte(strings.Repeat("\xa5", int(need-8192))), 8192); err != nil {
		t.Fatal(err)
	}
	f.Close()
	_, _, err = s.FindImages(ctx, gallery.ImageFilter{All: true})
	if !errors.As(err, &p) || !strings.Contains(err.Error(), "imagerepo verify") {
		t.Fatalf("listing over damaged pages: %v", err)
	}
	if _, err := db.Check(ctx, CheckOptions{}); err == nil || !strings.Contains(err.Error(), "is damaged") {
		t.Fatalf("check over damaged pages: %v", err)
	}
}

// TestDB_WriteOverDamage: a write transaction that faults on pages cut off
// while serving fails, and the next ones fail too, at once, while Close
// still closes: bbolt's own rollback would fault again on the freelist
// page and keep its write lock, so that every later write, and Close,
// waited for ever. A commit that faulted part way stops writes: its list
// of free pages may be half made, and a write after it could hand out a
// page in use.
func TestDB_WriteOverDamage(t *testing.T) {
	dir, _ := damagedDir(t)
	db, err := Open(dir, Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(filepath.Join(dir, dbFile), 4*4096); err != nil {
		t.Fatal(err)
	}
	readAll := func(tx *bbolt.Tx) error {
		c := tx.Bucket(imagesBucket).Cursor()
		for k, _ := c.First(); k != nil; k, _ = c.Next() {
		}
		return nil
	}
	within := func(what string, fn func() error) error {
		t.Helper()
		done := make(chan error, 1)
		go func() { done <- fn() }()
		select {
		case err := <-done:
			return err
		case <-time.After(5 * time.Second):
			t.Fatalf("%s waits for ever", what)
			return nil
		}
	}
	var p *txPanic
	if err := within("a write over the cut-off pages", func() error { return db.updateTx(readAll) }); !errors.As(err, &p) {
		t.Fatalf("a write over the cut-off pages: %v", err)
	}
	// Its commit frees the freelist page, which is cut off.
	if err := within("the next write", func() error { return db.updateTx(func(*bbolt.Tx) error { return nil }) }); !errors.As(err, &p) {
		t.Fatalf("the next write: %v", err)
	}
	err = within("a write after that", func() error { return db.updateTx(func(*bbolt.Tx) error { return nil }) })
	if err == nil || !strings.Contains(err.Error(), "writes are stopped until imagerepo restarts") {
		t.Fatalf("a write after a commit failed part way: %v", err)
	}
	if err := db.Ping(context.Background()); err == nil || !strings.Contains(err.Error(), "writes are stopped") {
		t.Fatalf("Ping, which the health check asks, after writes stopped: %v", err)
	}
	if err := within("a read", func() error { return db.viewTx(readAll) }); !errors.As(err, &p) {
		t.Fatalf("a read over the cut-off pages: %v", err)
	}
	if err := within("Close", db.Close); err != nil {
		t.Fatalf("Close: %v", err)
	}
}

// TestDB_StopWritesHoldsForWaitingWrites: a write that was waiting while a
// commit faulted does not run after it, and Close does not wait for one
// that would wait for ever on bbolt's write lock.
func TestDB_StopWritesHoldsForWaitingWrites(t *testing.T) {
	t.Run("a commit faults", func(t *testing.T) {
		dir, _ := damagedDir(t)
		db, err := Open(dir, Options{Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		// As in TestDB_WriteOverDamage: a commit faults on the cut-off freelist page.
		if err := os.Truncate(filepath.Join(dir, dbFile), 4*4096); err != nil {
			t.Fatal(err)
		}
		inA, releaseA := make(chan struct{}), make(chan struct{})
		errA := make(chan error, 1)
		go func() {
			errA <- db.updateTx(func(*bbolt.Tx) error {
				close(inA)
				<-releaseA
				return nil
			})
		}()
		<-inA
		var bRan atomic.Bool
		errB := make(chan error, 1)
		go func() {
			errB <- db.updateTx(func(*bbolt.Tx) error {
				bRan.Store(true)
				return nil
			})
		}()
		time.Sleep(100 * time.Millisecond) // B waits for A
		close(releaseA)
		var p *txPanic
		if err := <-errA; !errors.As(err, &p) {
			t.Fatalf("A's commit: %v", err)
		}
		if err := <-errB; err == nil || !strings.Contains(err.Error(), "writes are stopped") || bRan.Load() {
			t.Fatalf("the write that waited for A: ran %v, %v", bRan.Load(), err)
		}
	})
	t.Run("a rollback fails", func(t *testing.T) {
		db, err := Open(t.TempDir(), Options{Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		// A write whose rollback panics: bbolt's write lock is never let
		// go of, and its end (below) only does what rollback then does.
		if _, _, err := db.beginTx(true); err != nil {
			t.Fatal(err)
		}
		waiting := make(chan error, 1)
		go func() { waiting <- db.update(t.Context(), "waiting", func(*bbolt.Tx) error { return nil }) }()
		time.Sleep(100 * time.Millisecond)
		db.boltHeld.Store(true) // what rollback does, and end after it
		db.stopWrites(&txPanic{"a rollback that panicked"})
		db.writeMu.Unlock()

		select {
		case err := <-waiting:
			if err == nil || !strings.Contains(err.Error(), "writes are stopped") {
				t.Fatalf("the write that waited: %v", err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("the write that waited waits for ever, on bbolt's write lock")
		}
		done := make(chan error, 1)
		go func() { done <- db.Close() }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatal("Close waits for ever")
		}
	})
}

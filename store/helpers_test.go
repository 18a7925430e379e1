package store

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"imagerepo/gallery"
)

// testClock is an injectable clock that moves only when told.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func newTestClock() *testClock {
	return &testClock{t: time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)}
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// openDB opens dir with quiet defaults and closes it at cleanup, without a
// consistency check (for tests that break consistency on purpose).
func openDB(tb testing.TB, dir string, opts Options) *DB {
	tb.Helper()
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.LockTimeout == 0 {
		opts.LockTimeout = 100 * time.Millisecond
	}
	db, err := Open(dir, opts)
	if err != nil {
		tb.Fatalf("Open(%q): %v", dir, err)
	}
	tb.Cleanup(func() { _ = db.Close() })
	return db
}

// mustOpenDB opens dir and, at cleanup, checks the store with Verify (bbolt's
// page check, every document's bytes present, every index entry pointing at
// a matching document, no unreferenced blob), closes it and checks that the
// clean Close removed the run marker. A DB the test already closed is left
// to the test, which reopens it with this helper when it wants the check.
func mustOpenDB(tb testing.TB, dir string, opts Options) *DB {
	tb.Helper()
	db := openDB(tb, dir, opts)
	tb.Cleanup(func() {
		db.gate.RLock()
		closed := db.closed
		db.gate.RUnlock()
		if closed {
			return
		}
		db.WaitSweep()
		if err := db.Verify(context.Background()); err != nil {
			tb.Errorf("Verify at cleanup:\n%v", err)
		}
		if err := db.Close(); err != nil {
			tb.Errorf("Close: %v", err)
		}
		if _, err := os.Lstat(filepath.Join(dir, markerFile)); !errors.Is(err, fs.ErrNotExist) {
			tb.Errorf("run marker after a clean Close: %v", err)
		}
	})
	return db
}

// newService opens a checked store in a fresh temp dir with a test clock.
func newService(tb testing.TB) (*ImageService, *DB, *testClock) {
	tb.Helper()
	clock := newTestClock()
	db := mustOpenDB(tb, tb.TempDir(), Options{Now: clock.Now})
	return NewImageService(db), db, clock
}

// create stores body for owner with the given tags and fails the test on error.
func create(tb testing.TB, s *ImageService, owner, body string, tags ...string) *gallery.Image {
	tb.Helper()
	img, dup, err := s.CreateImage(context.Background(), newImage(owner, tags...), bytes.NewBufferString(body))
	if err != nil {
		tb.Fatalf("CreateImage(%q, %q): %v", owner, body, err)
	} else if dup {
		tb.Fatalf("CreateImage(%q, %q): unexpected duplicate", owner, body)
	}
	return img
}

func newImage(owner string, tags ...string) *gallery.Image {
	return &gallery.Image{
		Title:       "photo",
		Owner:       owner,
		Tags:        tags,
		Visibility:  gallery.Public,
		Filename:    "photo.png",
		ContentType: "image/png",
		Width:       3,
		Height:      2,
	}
}

// ids returns the ids of imgs, for comparing pages.
func ids(imgs []*gallery.Image) []string {
	out := make([]string, len(imgs))
	for i, img := range imgs {
		out[i] = img.ID
	}
	return out
}

// reverse returns the ids of imgs newest first.
func reverse(imgs []*gallery.Image) []string {
	out := ids(imgs)
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out
}

// allPages walks every page of filter and returns the ids in order and the
// number of pages.
func allPages(tb testing.TB, s *ImageService, filter gallery.ImageFilter) ([]string, int) {
	tb.Helper()
	var all []string
	for pages := 1; ; pages++ {
		imgs, next, err := s.FindImages(context.Background(), filter)
		if err != nil {
			tb.Fatalf("FindImages(%+v): %v", filter, err)
		}
		if imgs == nil {
			tb.Fatalf("FindImages(%+v) returned a nil slice", filter)
		}
		all = append(all, ids(imgs)...)
		if next == "" {
			return all, pages
		}
		if pages > 1000 {
			tb.Fatal("FindImages never ends")
		}
		filter.Cursor = next
	}
}

func wantCode(tb testing.TB, err error, code string) {
	tb.Helper()
	if got := gallery.ErrorCode(err); got != code {
		tb.Fatalf("error code = %q (%v), want %q", got, err, code)
	}
}

// readBlob returns the stored bytes with that sha.
func readBlob(tb testing.TB, s *ImageService, sha string) string {
	tb.Helper()
	f, err := s.OpenBlob(context.Background(), sha)
	if err != nil {
		tb.Fatalf("OpenBlob(%s): %v", sha, err)
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}

// countFiles returns the number of regular files under dir.
func countFiles(tb testing.TB, dir string) int {
	tb.Helper()
	n := 0
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			n++
		}
		return err
	})
	if err != nil {
		tb.Fatal(err)
	}
	return n
}

func ptr[T any](v T) *T { return &v }

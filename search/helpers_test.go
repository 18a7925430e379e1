package search_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"imagerepo/gallery"
	"imagerepo/search"
)

// memSource is an in-memory, read-only gallery.ImageService holding
// documents only: the source of rebuilds for tests that need no store.
type memSource struct {
	imgs  map[string]*gallery.Image
	order []string // ids, newest (greatest) first
}

func newMemSource(imgs ...*gallery.Image) *memSource {
	m := &memSource{imgs: map[string]*gallery.Image{}}
	for _, img := range imgs {
		m.imgs[img.ID] = img.Clone()
		m.order = append(m.order, img.ID)
	}
	slices.Sort(m.order)
	slices.Reverse(m.order)
	return m
}

func (m *memSource) FindImageByID(_ context.Context, id string) (*gallery.Image, error) {
	img, ok := m.imgs[id]
	if !ok {
		return nil, gallery.Errorf(gallery.ENOTFOUND, "image not found")
	}
	return img.Clone(), nil
}

// FindImages supports what rebuilds use: All, Limit and Cursor.
func (m *memSource) FindImages(_ context.Context, f gallery.ImageFilter) ([]*gallery.Image, string, error) {
	if !f.All || f.Limit <= 0 {
		return nil, "", fmt.Errorf("memSource: only All with a limit is supported")
	}
	start := 0
	if f.Cursor != "" {
		// The first id older (smaller) than the cursor.
		start, _ = slices.BinarySearchFunc(m.order, f.Cursor, func(id, c string) int { return strings.Compare(c, id) })
		if start < len(m.order) && m.order[start] == f.Cursor {
			start++
		}
	}
	ids := m.order[start:]
	next := ""
	if len(ids) > f.Limit {
		ids = ids[:f.Limit]
		next = ids[len(ids)-1]
	}
	out := make([]*gallery.Image, len(ids))
	for i, id := range ids {
		out[i] = m.imgs[id].Clone()
	}
	return out, next, nil
}

func (m *memSource) CreateImage(context.Context, *gallery.Image, io.Reader, ...gallery.ThumbData) (*gallery.Image, bool, error) {
	return nil, false, fmt.Errorf("memSource: read only")
}

func (m *memSource) UpdateImage(context.Context, string, gallery.ImageUpdate) (*gallery.Image, error) {
	return nil, fmt.Errorf("memSource: read only")
}

func (m *memSource) DeleteImage(context.Context, string) error {
	return fmt.Errorf("memSource: read only")
}

func (m *memSource) OpenBlob(context.Context, string) (io.ReadSeekCloser, error) {
	return nil, gallery.Errorf(gallery.ENOTFOUND, "no blobs")
}

// base is the creation time of the first fixture image; each next one is a
// minute newer, and ids sort as creation times do.
var base = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

func fixtureImage(i int, title string) *gallery.Image {
	t := base.Add(time.Duration(i) * time.Minute)
	return &gallery.Image{
		ID:          fmt.Sprintf("img%07d", i),
		Title:       title,
		Tags:        []string{},
		Visibility:  gallery.Public,
		Owner:       "alice",
		Filename:    fmt.Sprintf("IMG_%04d.jpg", i),
		ContentType: "image/jpeg",
		CreatedAt:   t,
		UpdatedAt:   t,
	}
}

// readLines returns the non-empty lines of a fixture file.
func readLines(tb testing.TB, path string) []string {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" {
			lines = append(lines, l)
		}
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	return lines
}

// openIndex opens an index over src in dir, waits for its rebuild and
// closes it at cleanup.
func openIndex(tb testing.TB, dir string, opts search.Options) *search.Index {
	tb.Helper()
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	idx, err := search.Open(dir, opts)
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() { _ = idx.Close() })
	idx.WaitRebuild()
	return idx
}

// logBuffer collects log lines from any goroutine.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func (l *logBuffer) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(l, nil))
}

func mustSearch(tb testing.TB, idx *search.Index, q gallery.SearchQuery) *gallery.SearchResult {
	tb.Helper()
	res, err := idx.SearchImages(context.Background(), q)
	if err != nil {
		tb.Fatalf("SearchImages(%+v): %v", q, err)
	}
	return res
}

// shared holds what tests share across the test binary, closed by TestMain.
var shared struct {
	mu       sync.Mutex
	cleanups []func()
}

func TestMain(m *testing.M) {
	code := m.Run()
	for _, f := range slices.Backward(shared.cleanups) {
		f()
	}
	os.Exit(code)
}

// openSharedIndex opens an index in a fresh directory that outlives the
// test, for fixtures built once per test binary.
func openSharedIndex(tb testing.TB, opts search.Options) *search.Index {
	tb.Helper()
	dir, err := os.MkdirTemp("", "imagerepo-search-")
	if err != nil {
		tb.Fatal(err)
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	idx, err := search.Open(dir, opts)
	if err != nil {
		_ = os.RemoveAll(dir)
		tb.Fatalf("Open: %v", err)
	}
	shared.mu.Lock()
	shared.cleanups = append(shared.cleanups, func() {
		_ = idx.Close()
		_ = os.RemoveAll(dir)
	})
	shared.mu.Unlock()
	idx.WaitRebuild()
	return idx
}

func writeFile(path, s string) error { return os.WriteFile(path, []byte(s), 0o600) }

func readFile(path string) (string, error) {
	b, err := os.ReadFile(path)
	return string(b), err
}

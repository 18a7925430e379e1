// Package importer walks folders and uploads the images in them to a
// running imagerepo server through its HTTP API, the one code path for
// every write. It uses only net/http and the rest of the standard library.
//
// Each file is recognised by its magic bytes, hashed, and looked up on the
// server by sha256 first, so bytes the server already has are never sent
// again: a second run adds nothing, and an interrupted run can simply be
// run again to finish.
//
// # Caveats
//
// Symbolic links to folders are not followed (they could make loops);
// symbolic links to files are. A file that changes between its hash and
// its upload is stored as uploaded; the server keeps its own sha256.
package importer

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"
)

// DefaultConcurrency is how many files are worked on at once by default.
const DefaultConcurrency = 4

// Options is what Run is told.
type Options struct {
	Server      string   // base URL of the server, e.g. http://localhost:8080
	Token       string   // an API token (POST /api/tokens)
	Dirs        []string // folders to walk, recursively (files are taken as they are)
	Concurrency int      // files at once; DefaultConcurrency when 0
	Visibility  string   // public or private; the server's default when empty
	Tags        string   // comma separated, added to every image
	Progress    io.Writer
	Terminal    bool // Progress is a terminal: redraw one line
	HTTPClient  *http.Client

	// Retries of one request after the first try, and the first wait
	// between tries; 2 and 500ms when zero.
	Retries int
	Backoff time.Duration
}

// Summary is what a run did.
type Summary struct {
	Uploaded    int           `json:"uploaded"`
	Duplicates  int           `json:"duplicates"` // already on the server, or twice in the folders
	Skipped     []Skipped     `json:"skipped"`    // not images
	Failed      []Failed      `json:"failed"`
	Bytes       int64         `json:"bytes"` // of the files uploaded
	Elapsed     time.Duration `json:"-"`
	Interrupted bool          `json:"interrupted,omitempty"`
}

// Skipped is a file that was not sent, and why.
type Skipped struct {
	Path   string `json:"path"`
	Reason string `json:"reason"`
}

// Failed is a file that did not go in, and why.
type Failed struct {
	Path  string `json:"path"`
	Error string `json:"error"`
}

// MarshalJSON adds the elapsed time in seconds.
func (s Summary) MarshalJSON() ([]byte, error) {
	type plain Summary
	return json.Marshal(struct {
		plain
		ElapsedSeconds float64 `json:"elapsed_seconds"`
	}{plain(s), s.Elapsed.Seconds()})
}

// file is one regular file found by the walk.
type file struct {
	path string
	size int64
}

// Run imports the folders. It returns the summary so far with an error
// when the run could not go on: the server is unreachable, the token is
// refused, or ctx ended (the error is then ctx's). Files that failed on
// their own are in the summary, not the error.
func Run(ctx context.Context, o Options) (*Summary, error) {
	start := time.Now()
	sum := &Summary{Skipped: []Skipped{}, Failed: []Failed{}}
	defer func() { sum.Elapsed = time.Since(start) }()
	if o.Concurrency <= 0 {
		o.Concurrency = DefaultConcurrency
	}
	if o.Progress == nil {
		o.Progress = io.Discard
	}
	c := &client{base: strings.TrimRight(o.Server, "/"), token: o.Token, http: o.HTTPClient, attempts: 3, backoff: 500 * time.Millisecond}
	if c.http == nil {
		c.http = http.DefaultClient
	}
	if o.Retries > 0 {
		c.attempts = o.Retries + 1
	}
	if o.Backoff > 0 {
		c.backoff = o.Backoff
	}
	if c.base == "" || c.token == "" {
		return sum, errors.New("a server URL and a token are needed")
	}
	if _, err := c.me(ctx); err != nil {
		return sum, err
	}

	files, skipped, err := walk(ctx, o.Dirs)
	sum.Skipped = append(sum.Skipped, skipped...)
	if err != nil {
		return sum, err
	}
	var total int64
	for _, f := range files {
		total += f.size
	}
	p := newProgress(o.Progress, o.Terminal, len(files), total)
	p.start()

	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	r := &run{c: c, sum: sum, seen: map[string]bool{}, fields: map[string]string{
		"visibility": o.Visibility,
		"tags":       o.Tags,
	}}
	queue := make(chan file)
	var wg sync.WaitGroup
	for range o.Concurrency {
		wg.Go(func() {
			for f := range queue {
				if err := r.one(ctx, f); err != nil {
					cancel(err)
				}
				p.add(f.size)
			}
		})
	}
feed:
	for _, f := range files {
		select {
		case queue <- f:
		case <-ctx.Done():
			break feed
		}
	}
	close(queue)
	wg.Wait()
	p.stop()

	sort.Slice(sum.Skipped, func(i, j int) bool { return sum.Skipped[i].Path < sum.Skipped[j].Path })
	sort.Slice(sum.Failed, func(i, j int) bool { return sum.Failed[i].Path < sum.Failed[j].Path })
	if err := context.Cause(ctx); err != nil {
		sum.Interrupted = true
		return sum, err
	}
	return sum, nil
}

// run is the shared state of the workers.
type run struct {
	c      *client
	fields map[string]string

	mu   sync.Mutex
	sum  *Summary
	seen map[string]bool // sha256 of the files already taken in this run
}

// one imports one file. Its own failures go in the summary; the error is
// for what stops the whole run (a refused token, ctx ending).
func (r *run) one(ctx context.Context, f file) error {
	kind, sum, err := inspect(f.path)
	if err != nil {
		r.fail(f.path, err)
		return nil
	}
	if kind == "" {
		r.record(func(s *Summary) {
			s.Skipped = append(s.Skipped, Skipped{Path: f.path, Reason: "not an image (JPEG, PNG, GIF, WebP, HEIC or AVIF)"})
		})
		return nil
	}
	r.mu.Lock()
	again := r.seen[sum]
	r.seen[sum] = true
	r.mu.Unlock()
	if again {
		r.record(func(s *Summary) { s.Duplicates++ })
		return nil
	}
	has, err := r.c.has(ctx, sum)
	if err == nil && !has {
		var dup bool
		dup, err = r.c.upload(ctx, f.path, kind, r.fields)
		has = dup
		if err == nil && !dup {
			r.record(func(s *Summary) { s.Uploaded++; s.Bytes += f.size })
			return nil
		}
	}
	switch {
	case err == nil && has:
		r.record(func(s *Summary) { s.Duplicates++ })
	case errors.Is(err, ErrTokenRefused), ctx.Err() != nil:
		return err
	default:
		r.fail(f.path, err)
	}
	return nil
}

func (r *run) record(f func(*Summary)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	f(r.sum)
}

func (r *run) fail(path string, err error) {
	r.record(func(s *Summary) { s.Failed = append(s.Failed, Failed{Path: path, Error: err.Error()}) })
}

// inspect reads a file once: its type from the first bytes, and the
// sha256 of all of it ("" type and no hash for a file that is not an image).
func inspect(path string) (kind, sum string, err error) {
	f, err := os.Open(path)
	if err != nil {
		return "", "", err
	}
	defer f.Close()
	head := make([]byte, sniffLen)
	n, err := io.ReadFull(f, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return "", "", err
	}
	if kind = Detect(head[:n]); kind == "" {
		return "", "", nil
	}
	h := sha256.New()
	h.Write(head[:n])
	if _, err := io.Copy(h, f); err != nil {
		return "", "", err
	}
	return kind, hex.EncodeToString(h.Sum(nil)), nil
}

// walk lists the regular files under dirs, each once, and what it passed
// over. Symbolic links to folders are not followed.
func walk(ctx context.Context, dirs []string) ([]file, []Skipped, error) {
	var files []file
	var skipped []Skipped
	seen := map[string]bool{}
	add := func(path string, info fs.FileInfo) {
		abs, err := filepath.Abs(path)
		if err != nil {
			abs = path
		}
		if !seen[abs] {
			seen[abs] = true
			files = append(files, file{path: path, size: info.Size()})
		}
	}
	for _, dir := range dirs {
		root, err := os.Stat(dir)
		if err != nil {
			return files, skipped, fmt.Errorf("cannot read %s: %w", dir, err)
		}
		if !root.IsDir() {
			add(dir, root)
			continue
		}
		err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if err != nil {
				skipped = append(skipped, Skipped{Path: path, Reason: "cannot read: " + err.Error()})
				if d != nil && d.IsDir() {
					return fs.SkipDir
				}
				return nil
			}
			if d.IsDir() {
				return nil
			}
			info, err := os.Stat(path) // follows a link to a file
			switch {
			case err != nil:
				skipped = append(skipped, Skipped{Path: path, Reason: "cannot read: " + err.Error()})
			case info.IsDir():
				skipped = append(skipped, Skipped{Path: path, Reason: "link to a folder, not followed"})
			case !info.Mode().IsRegular():
				skipped = append(skipped, Skipped{Path: path, Reason: "not a regular file"})
			default:
				add(path, info)
			}
			return nil
		})
		if err != nil {
			return files, skipped, err
		}
	}
	return files, skipped, nil
}

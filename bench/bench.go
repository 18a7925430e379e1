package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"time"

	"imagerepo/gallery"
)

// The original project's ratios: its cache against its database, fetching
// a present and an absent id.
const (
	OriginalPresentSpeedup = 7.6
	OriginalAbsentSpeedup  = 3.9
)

// maxHot bounds the hot ids the hit cases cycle over.
const maxHot = 1000

// Cache is the hot-id cache alone.
type Cache interface {
	// Peek returns the cached document without counting or refreshing it.
	Peek(id string) (*gallery.Image, bool)
}

// Local is a repository in this process: its parts, and the API server
// serving it on loopback.
type Local struct {
	Cache    Cache
	Counters func() (hits, misses uint64) // the cache's counters
	Store    gallery.ImageService         // the store alone: a bbolt read transaction, Get, decode
	Images   gallery.ImageService         // the whole stack: cache, search, store
	URL      string                       // base URL of the API server
	IDs      []string                     // present images; more than CacheSize
	Absent   []string                     // well-formed ids of no image (deleted ones)

	CacheSize int
	Files     int           // distinct generated files behind the documents
	Load      time.Duration // how long making the repository took
}

// Options are the settings of a run.
type Options struct {
	Concurrency int           // HTTP clients at once
	Duration    time.Duration // how long each case runs
	Token       string        // bearer token for RunServer
	Progress    io.Writer     // where the steps are told; nil for none
	Terminal    bool          // Progress is a terminal: one line, redrawn
}

// RunLocal measures every level against l.
func RunLocal(ctx context.Context, l Local, o Options) (*Report, error) {
	if len(l.IDs) <= l.CacheSize || len(l.Absent) == 0 {
		return nil, errors.New("bench: need more images than the cache holds, and absent ids")
	}
	start := time.Now()
	r := newReport(o)
	hot := l.IDs[len(l.IDs)-min(maxHot, l.CacheSize/2, len(l.IDs)):]
	r.Fixture = Fixture{Images: len(l.IDs), DistinctFiles: l.Files, CacheSize: l.CacheSize, HotIDs: len(hot),
		AbsentIDs: len(l.Absent), LoadSeconds: l.Load.Seconds(),
		MissMethod: fmt.Sprintf("each miss asks for the next of all %d ids in turn through a cache of %d, so every id was evicted before it comes round again", len(l.IDs), l.CacheSize)}
	p := newProgress(o, 10)
	defer p.done()

	warm := func(ids []string) error {
		for _, id := range ids {
			if _, err := l.Images.FindImageByID(ctx, id); err != nil {
				return err
			}
		}
		return nil
	}
	if err := warm(hot); err != nil {
		return nil, err
	}
	runtime.GC() // the fixture's garbage, collected before anything is timed
	var err error
	c := &Component{}
	steps := []struct {
		name string
		into *timing
		op   func(i int) error
	}{
		{"component: cache look-up, present id", &c.cachePresent, func(i int) error {
			if _, ok := l.Cache.Peek(hot[i%len(hot)]); !ok {
				return errors.New("bench: a hot id is not cached")
			}
			return nil
		}},
		{"component: store look-up, present id", &c.storePresent, func(i int) error {
			_, err := l.Store.FindImageByID(ctx, l.IDs[i%len(l.IDs)])
			return err
		}},
		{"component: cache look-up, absent id", &c.cacheAbsent, func(i int) error {
			if _, ok := l.Cache.Peek(l.Absent[i%len(l.Absent)]); ok {
				return errors.New("bench: an absent id is cached")
			}
			return nil
		}},
		{"component: store look-up, absent id", &c.storeAbsent, func(i int) error {
			return wantNotFound(l.Store.FindImageByID(ctx, l.Absent[i%len(l.Absent)]))
		}},
	}
	for _, s := range steps {
		p.step(s.name)
		if *s.into, err = timeOps(ctx, o.Duration, s.op); err != nil {
			return nil, fmt.Errorf("%s: %w", s.name, err)
		}
	}
	r.Component = c.finish()

	sv := &Service{}
	p.step("service: Get, hit")
	h0, m0 := l.Counters()
	if sv.hit, err = timeOps(ctx, o.Duration, func(i int) error {
		_, err := l.Images.FindImageByID(ctx, hot[i%len(hot)])
		return err
	}); err != nil {
		return nil, err
	}
	h1, m1 := l.Counters()
	sv.HitCacheHits, sv.HitCacheMisses = h1-h0, m1-m0

	p.step("service: Get, miss")
	if err := warm(l.IDs); err != nil { // leaves the cache holding the last ids of the cycle
		return nil, err
	}
	h0, m0 = l.Counters()
	if sv.miss, err = timeOps(ctx, o.Duration, func(i int) error {
		_, err := l.Images.FindImageByID(ctx, l.IDs[i%len(l.IDs)])
		return err
	}); err != nil {
		return nil, err
	}
	h1, m1 = l.Counters()
	sv.MissCacheHits, sv.MissCacheMisses = h1-h0, m1-m0

	p.step("service: Get, absent id")
	if sv.absent, err = timeOps(ctx, o.Duration, func(i int) error {
		return wantNotFound(l.Images.FindImageByID(ctx, l.Absent[i%len(l.Absent)]))
	}); err != nil {
		return nil, err
	}
	r.Service = sv.finish()

	t := target{url: l.URL, client: newClient(o.Concurrency), opts: o, counters: l.Counters}
	t.warmHot = func() error { return warm(hot) }
	t.warmCycle = func() error { return warm(l.IDs) }
	if r.HTTP, err = t.measure(ctx, p, hot, l.IDs, l.Absent); err != nil {
		return nil, err
	}
	r.Seconds = time.Since(start).Seconds()
	return r, nil
}

// wantNotFound is nil for not found, and an error for an image or another
// error; a run's end (context.Canceled) is returned as it is.
func wantNotFound(_ *gallery.Image, err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	if gallery.ErrorCode(err) != gallery.ENOTFOUND {
		return fmt.Errorf("bench: an absent id gave %v, want not found", err)
	}
	return nil
}

// timeOps runs op with 0, 1, 2, ... in one goroutine for about d and
// returns the time per op.
func timeOps(ctx context.Context, d time.Duration, op func(i int) error) (timing, error) {
	start := time.Now()
	deadline := start.Add(d)
	n := 0
	for {
		for range 64 {
			if err := op(n); err != nil {
				return timing{}, err
			}
			n++
		}
		if time.Now().After(deadline) {
			break
		}
		if err := ctx.Err(); err != nil {
			return timing{}, err
		}
	}
	el := time.Since(start)
	return timing{Ops: n, Seconds: el.Seconds(), NS: float64(el.Nanoseconds()) / float64(n)}, nil
}

func newClient(concurrency int) *http.Client {
	return &http.Client{
		Timeout: 30 * time.Second,
		Transport: &http.Transport{
			MaxIdleConns:        concurrency,
			MaxIdleConnsPerHost: concurrency,
			DisableCompression:  true,
		},
	}
}

func newReport(o Options) *Report {
	return &Report{
		Machine:  Machine{CPU: cpuModel(), Cores: runtime.NumCPU(), Go: runtime.Version(), OS: runtime.GOOS + "/" + runtime.GOARCH},
		Original: Original{PresentSpeedup: OriginalPresentSpeedup, AbsentSpeedup: OriginalAbsentSpeedup},
		HTTP:     &HTTP{Concurrency: o.Concurrency},
	}
}

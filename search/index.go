package search

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/index/scorch"
	"github.com/blevesearch/bleve/v2/mapping"

	"imagerepo/gallery"
)

// Keys of the values the index keeps beside its documents (bleve's internal
// storage), written in the same batch as the documents they describe.
var (
	keySeq     = []byte("imagerepo.seq")     // the store's write counter this index matches
	keyMapping = []byte("imagerepo.mapping") // mappingVersion
)

// Names bleve's scorch index uses inside its directory; wiping removes only
// these, so that a mistaken dir never loses anything else.
const (
	metaFile = "index_meta.json"
	storeDir = "store"
)

// errClosed is returned by every operation after Close.
var errClosed = errors.New("search: index is closed")

// Options configures Open.
type Options struct {
	// Logger receives the index's log lines. Nil means slog.Default().
	Logger *slog.Logger

	// StoreSeq is the store's write counter at start: one per committed
	// image create, update and delete, and one per image given a new owner.
	// An index whose own counter differs is rebuilt.
	StoreSeq uint64

	// Source is what rebuilds read, every image regardless of viewer. Open
	// and Rebuild fail without it when a rebuild is needed.
	Source gallery.ImageService
}

// Index is the search index in one directory. It is safe for concurrent use.
type Index struct {
	dir     string
	log     *slog.Logger
	source  gallery.ImageService
	mapping *mapping.IndexMappingImpl
	an      analyzers

	// mu guards bi: searches and writes hold it for reading, a rebuild
	// swapping in a fresh index and Close hold it for writing.
	mu     sync.RWMutex
	bi     bleve.Index
	closed bool

	// wmu orders the index writes. The writes re-read their documents from
	// the store while they hold it, so the last write to finish always
	// carries the newest committed state; see apply.
	wmu sync.Mutex
	// seq follows the store's write counter: StoreSeq at Open plus every
	// image write seen since. It is persisted with each batch, but only
	// while inSync: during a rebuild and after a failed write the index
	// keeps an older counter (or none), so the next start rebuilds it.
	seq    uint64
	inSync bool

	// newest is the latest creation time indexed (unix nanoseconds), where
	// newest-first listing starts looking; see newestFirst.
	newest atomic.Int64

	qmu   sync.Mutex
	queue []*writeReq // waiting for the next group write; see apply

	// buildMu lets one rebuild run at a time; bgCancel and bgDone belong to
	// the background rebuild started by Open, if any.
	buildMu  sync.Mutex
	bgCancel context.CancelFunc
	bgDone   chan struct{}
}

// Open opens the index in dir, creating it when missing. When the index is
// missing, cannot be opened, was written by another mapping version or
// disagrees with opts.StoreSeq, Open logs why, starts over with an empty
// index and rebuilds it from opts.Source in the background; it returns
// without waiting, and searches see the images indexed so far.
func Open(dir string, opts Options) (*Index, error) {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	im, err := newMapping()
	if err != nil {
		return nil, fmt.Errorf("search: mapping: %w", err)
	}
	idx := &Index{
		dir:     dir,
		log:     opts.Logger,
		source:  opts.Source,
		mapping: im,
		an:      newAnalyzers(im),
		seq:     opts.StoreSeq,
		bgDone:  make(chan struct{}),
	}

	bi, reason := idx.openExisting()
	if reason == "" {
		idx.bi, idx.inSync = bi, true
		close(idx.bgDone)
		return idx, nil
	}
	if idx.source == nil {
		return nil, fmt.Errorf("search: the index needs a rebuild (%s) but Options.Source is nil", reason)
	}
	level := slog.LevelWarn
	if opts.StoreSeq == 0 && reason == "the index is missing" {
		level = slog.LevelInfo // a fresh install: nothing went wrong
	}
	idx.log.Log(context.Background(), level, "search index will be rebuilt", "dir", dir, "reason", reason)
	if idx.bi, err = idx.create(); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	idx.bgCancel = cancel
	go func() {
		defer close(idx.bgDone)
		_ = idx.rebuild(ctx, idx.logProgress(), false)
	}()
	return idx, nil
}

// openExisting opens the index in idx.dir and checks it. It returns the open
// index, or why it cannot be used as it is.
func (idx *Index) openExisting() (bleve.Index, string) {
	if _, err := os.Stat(filepath.Join(idx.dir, metaFile)); errors.Is(err, os.ErrNotExist) {
		return nil, "the index is missing"
	}
	var bi bleve.Index
	err := idx.guard("open", func() (err error) {
		bi, err = bleve.OpenUsing(idx.dir, runtimeConfig())
		return err
	})
	if err != nil {
		return nil, fmt.Sprintf("the index cannot be opened: %v", err)
	}
	reason := idx.check(bi)
	if reason != "" {
		_ = idx.guard("close", bi.Close)
		return nil, reason
	}
	return bi, ""
}

// check reads what Open needs from an opened index and touches every
// segment once, so that most damage shows here rather than in a request.
func (idx *Index) check(bi bleve.Index) string {
	var ver, seq []byte
	err := idx.guard("check", func() (err error) {
		if ver, err = bi.GetInternal(keyMapping); err != nil {
			return err
		}
		if seq, err = bi.GetInternal(keySeq); err != nil {
			return err
		}
		if _, err = bi.DocCount(); err != nil {
			return err
		}
		req := bleve.NewSearchRequestOptions(bleve.NewMatchAllQuery(), 1, 0, false)
		req.SortBy([]string{"-" + fCreated})
		res, err := bi.Search(req)
		if err == nil {
			idx.newestFromHit(res)
		}
		return err
	})
	switch {
	case err != nil:
		return fmt.Sprintf("the index is damaged: %v", err)
	case string(ver) != mappingVersion:
		return fmt.Sprintf("the index has mapping version %q, this program %q", ver, mappingVersion)
	case len(seq) != 8:
		return "the index has no write counter (an earlier rebuild did not finish)"
	case binary.BigEndian.Uint64(seq) != idx.seq:
		return fmt.Sprintf("the index's write counter %d differs from the store's %d", binary.BigEndian.Uint64(seq), idx.seq)
	}
	return ""
}

// create wipes idx.dir's index files and makes an empty index there, with
// the mapping version but no write counter.
func (idx *Index) create() (bleve.Index, error) {
	if err := os.RemoveAll(filepath.Join(idx.dir, storeDir)); err != nil {
		return nil, fmt.Errorf("search: wipe index: %w", err)
	}
	if err := os.Remove(filepath.Join(idx.dir, metaFile)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("search: wipe index: %w", err)
	}
	if err := os.MkdirAll(idx.dir, 0o750); err != nil {
		return nil, fmt.Errorf("search: create index dir: %w", err)
	}
	var bi bleve.Index
	err := idx.guard("create", func() (err error) {
		bi, err = bleve.NewUsing(idx.dir, idx.mapping, scorch.Name, scorch.Name, runtimeConfig())
		if err != nil {
			return err
		}
		if err = bi.SetInternal(keyMapping, []byte(mappingVersion)); err != nil {
			_ = bi.Close()
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("search: create index in %s: %w", idx.dir, err)
	}
	return bi, nil
}

func runtimeConfig() map[string]any {
	// The store's file lock already keeps other processes out of the data
	// dir; the timeout only turns a surprise into an error, not a hang.
	return map[string]any{"bolt_timeout": "1s"}
}

// Close stops a background rebuild and closes the index. An unfinished
// rebuild leaves an index without a write counter, rebuilt at the next Open.
func (idx *Index) Close() error {
	idx.stopBackground()
	idx.wmu.Lock()
	defer idx.wmu.Unlock()
	idx.mu.Lock()
	defer idx.mu.Unlock()
	if idx.closed {
		return nil
	}
	idx.closed = true
	if idx.bi == nil {
		return nil
	}
	return idx.guard("close", idx.bi.Close)
}

// WaitRebuild blocks until the background rebuild that Open started, if
// any, has ended.
func (idx *Index) WaitRebuild() { <-idx.bgDone }

// stopBackground cancels the background rebuild and waits for it.
func (idx *Index) stopBackground() {
	if idx.bgCancel != nil {
		idx.bgCancel()
	}
	<-idx.bgDone
}

// guard runs one bleve call so that a panic inside bleve (a damaged index,
// a bug) becomes an error of this call instead of the end of the process.
func (idx *Index) guard(op string, fn func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			idx.log.Error("search index fault", "op", op, "panic", r, "stack", string(debug.Stack()))
			err = fmt.Errorf("search: %s: index fault: %v", op, r)
		}
	}()
	return fn()
}

// logProgress returns a progress function that logs at most every few
// seconds, and at the end.
func (idx *Index) logProgress() func(done, total int) {
	var last time.Time
	return func(done, total int) {
		if time.Since(last) < 5*time.Second && done < total {
			return
		}
		last = time.Now()
		idx.log.Info("search index rebuild", "done", done, "total", total)
	}
}

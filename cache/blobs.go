package cache

import (
	"math"
	"sync"
	"sync/atomic"

	"github.com/hashicorp/golang-lru/v2/simplelru"
)

// DefaultBlobBytes is the memory budget of a Blobs made with no size.
const DefaultBlobBytes = 32 << 20

// Blobs is a memory-bounded LRU of small immutable byte strings by key (the
// hot thumbnails, by sha256): what it holds adds up to at most its budget.
// The bytes behind a content address never change, so nothing is ever
// invalidated; who may be sent them is decided by the caller, per request,
// before it asks.
type Blobs struct {
	mu     sync.Mutex
	lru    *simplelru.LRU[string, []byte]
	used   int64
	budget int64

	hits, misses atomic.Uint64
}

// BlobStats are a Blobs' counters since start.
type BlobStats struct {
	Hits, Misses uint64
	Len          int
	Bytes        int64 // held now
	Budget       int64
}

// NewBlobs returns a cache holding at most budget bytes; a budget of 0 or
// less holds nothing.
func NewBlobs(budget int64) *Blobs {
	b := &Blobs{budget: budget}
	l, err := simplelru.NewLRU[string, []byte](math.MaxInt32, func(_ string, v []byte) {
		b.used -= int64(len(v))
	})
	if err != nil {
		panic(err) // only for a size <= 0
	}
	b.lru = l
	return b
}

// Get returns the bytes kept under key. They are shared: read only.
func (b *Blobs) Get(key string) ([]byte, bool) {
	b.mu.Lock()
	v, ok := b.lru.Get(key)
	b.mu.Unlock()
	if ok {
		b.hits.Add(1)
	} else {
		b.misses.Add(1)
	}
	return v, ok
}

// Fits reports whether bytes of size n would be kept: no one entry may take
// more than an eighth of the budget, so that one large file cannot empty
// the cache.
func (b *Blobs) Fits(n int64) bool { return n > 0 && n <= b.budget/8 }

// Add keeps v under key (v must not change afterwards), dropping the least
// recently used entries until the budget holds. Bytes that do not Fit are
// not kept.
func (b *Blobs) Add(key string, v []byte) {
	if !b.Fits(int64(len(v))) {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.lru.Peek(key); ok {
		return
	}
	b.lru.Add(key, v)
	b.used += int64(len(v))
	for b.used > b.budget {
		b.lru.RemoveOldest()
	}
}

// Stats returns the counters and how much is held.
func (b *Blobs) Stats() BlobStats {
	b.mu.Lock()
	defer b.mu.Unlock()
	return BlobStats{Hits: b.hits.Load(), Misses: b.misses.Load(), Len: b.lru.Len(), Bytes: b.used, Budget: b.budget}
}

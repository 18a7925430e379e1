// Package cache is the hot-id cache: an in-process LRU of image documents by
// id that wraps a gallery.ImageService (cache-aside), so that fetching one
// image by id is served from memory when it is hot.
//
// Only this package imports github.com/hashicorp/golang-lru/v2.
//
// # Caveats
//
// Documents are cloned on the way in and on the way out, so no caller can
// change a cached value. Beside each document the cache keeps, once asked
// for it (FindImageEncoded), one encoding of it: it lives and dies with the
// cached document, so every invalidation drops it too. Every write path invalidates its id after (and
// before) the write; a per-id generation stops a miss that read the store
// before a concurrent write from filling the cache with what it read.
package cache

import (
	"context"
	"hash/maphash"
	"io"
	"sync"
	"sync/atomic"

	lru "github.com/hashicorp/golang-lru/v2"

	"imagerepo/gallery"
)

// DefaultSize is the number of documents held when no size is given.
const DefaultSize = 10000

// generations is the number of generation counters ids are hashed onto. Two
// ids that share a counter only cost each other a skipped fill.
const generations = 4096

// ImageService is a gallery.ImageService with a hot-id cache in front.
type ImageService struct {
	next     gallery.ImageService
	lru      *lru.Cache[string, *entry]
	capacity int

	mu   sync.Mutex // guards gen and the check-then-fill of lru
	gen  [generations]uint64
	seed maphash.Seed

	hits, misses, evictions atomic.Uint64
}

var (
	_ gallery.ImageService  = (*ImageService)(nil)
	_ gallery.EncodedFinder = (*ImageService)(nil)
)

// entry is one cached document and, once made, its encoding. The document
// never changes once cached; enc is set at most once per value of it.
type entry struct {
	img *gallery.Image
	enc atomic.Pointer[[]byte]
}

// encoded returns the entry's encoding, making it on first use. Two hits
// that race both encode the same document; either result is kept.
func (e *entry) encoded(encode func(*gallery.Image) ([]byte, error)) ([]byte, error) {
	if p := e.enc.Load(); p != nil {
		return *p, nil
	}
	b, err := encode(e.img.Clone())
	if err != nil {
		return nil, err
	}
	e.enc.Store(&b)
	return b, nil
}

// Stats are the cache's counters since start.
type Stats struct {
	Hits, Misses, Evictions uint64
	Len, Size               int
}

// New wraps next with a cache of size documents (DefaultSize when size <= 0).
func New(next gallery.ImageService, size int) *ImageService {
	if size <= 0 {
		size = DefaultSize
	}
	l, err := lru.New[string, *entry](size)
	if err != nil {
		panic(err) // only for size <= 0, excluded above
	}
	return &ImageService{next: next, lru: l, capacity: size, seed: maphash.MakeSeed()}
}

// Stats returns the counters.
func (s *ImageService) Stats() Stats {
	return Stats{
		Hits:      s.hits.Load(),
		Misses:    s.misses.Load(),
		Evictions: s.evictions.Load(),
		Len:       s.lru.Len(),
		Size:      s.capacity,
	}
}

// Purge drops every cached document (the counters stay).
func (s *ImageService) Purge() {
	s.mu.Lock()
	for i := range s.gen {
		s.gen[i]++
	}
	s.lru.Purge()
	s.mu.Unlock()
}

// Peek returns a copy of the cached document of id, without counting the
// look-up or refreshing the id's place: the cache alone, as the bench's
// component level measures it.
func (s *ImageService) Peek(id string) (*gallery.Image, bool) {
	e, ok := s.lru.Peek(id)
	if !ok {
		return nil, false
	}
	return e.img.Clone(), true
}

func (s *ImageService) slot(id string) int {
	return int(maphash.String(s.seed, id) % generations)
}

// invalidate bumps the id's generation and drops it from the cache.
func (s *ImageService) invalidate(id string) {
	s.mu.Lock()
	s.gen[s.slot(id)]++
	s.lru.Remove(id)
	s.mu.Unlock()
}

// FindImageByID serves the document from the cache, or reads it through and
// fills the cache unless the id was written meanwhile.
func (s *ImageService) FindImageByID(ctx context.Context, id string) (*gallery.Image, error) {
	st := gallery.CacheStatusFrom(ctx)
	if st != nil {
		st.Looked = true
	}
	_, img, hit, err := s.find(ctx, id, true)
	if st != nil {
		st.Hit = hit
	}
	return img, err
}

// FindImageEncoded is FindImageByID that also returns encode(document),
// made once per cached document and kept beside it (see
// gallery.EncodedFinder). A miss fills the entry with both.
//
// Unlike FindImageByID it hands out the cached document itself, not a copy
// (this is the hot path): the caller must not change it.
func (s *ImageService) FindImageEncoded(ctx context.Context, id string, encode func(*gallery.Image) ([]byte, error)) (*gallery.Encoded, error) {
	e, img, hit, err := s.find(ctx, id, false)
	if err != nil {
		return nil, err
	}
	body, err := e.encoded(encode)
	if err != nil {
		return nil, err
	}
	return &gallery.Encoded{Image: img, Body: body, Hit: hit}, nil
}

// find returns the id's cache entry and its document for the caller, from
// the cache (hit) or read through: on a hit a copy of the cached document
// when clone is set, else the cached document itself. A miss fills the
// cache unless the id was written meanwhile; the entry it returns then may
// be one that was not kept.
func (s *ImageService) find(ctx context.Context, id string, clone bool) (e *entry, img *gallery.Image, hit bool, err error) {
	if e, ok := s.lru.Get(id); ok {
		s.hits.Add(1)
		img = e.img
		if clone {
			img = img.Clone()
		}
		return e, img, true, nil
	}
	s.misses.Add(1)

	slot := s.slot(id)
	s.mu.Lock()
	gen := s.gen[slot]
	s.mu.Unlock()

	img, err = s.next.FindImageByID(ctx, id)
	if err != nil {
		return nil, nil, false, err
	}

	e = &entry{img: img.Clone()}
	s.mu.Lock()
	if s.gen[slot] == gen {
		if s.lru.Add(id, e) {
			s.evictions.Add(1)
		}
	}
	s.mu.Unlock()
	return e, img, false, nil
}

// FindImages is not cached: lists change with every write.
func (s *ImageService) FindImages(ctx context.Context, f gallery.ImageFilter) ([]*gallery.Image, string, error) {
	return s.next.FindImages(ctx, f)
}

// CreateImage writes through; a new id cannot be cached yet.
func (s *ImageService) CreateImage(ctx context.Context, img *gallery.Image, body io.Reader, thumbs ...gallery.ThumbData) (*gallery.Image, bool, error) {
	return s.next.CreateImage(ctx, img, body, thumbs...)
}

// UpdateImage writes through and invalidates the id.
func (s *ImageService) UpdateImage(ctx context.Context, id string, upd gallery.ImageUpdate) (*gallery.Image, error) {
	s.invalidate(id)
	defer s.invalidate(id)
	return s.next.UpdateImage(ctx, id, upd)
}

// DeleteImage writes through and invalidates the id.
func (s *ImageService) DeleteImage(ctx context.Context, id string) error {
	s.invalidate(id)
	defer s.invalidate(id)
	return s.next.DeleteImage(ctx, id)
}

// OpenBlob is not cached: bytes stream from disk.
func (s *ImageService) OpenBlob(ctx context.Context, sha256 string) (io.ReadSeekCloser, error) {
	return s.next.OpenBlob(ctx, sha256)
}

var _ gallery.MediaSetter = (*ImageService)(nil)

// SetMedia writes through and invalidates the id. EINVALID when the
// wrapped service cannot set media.
func (s *ImageService) SetMedia(ctx context.Context, id string, p *gallery.Processed) (*gallery.Image, error) {
	ms, ok := s.next.(gallery.MediaSetter)
	if !ok {
		return nil, gallery.Errorf(gallery.EINVALID, "image media cannot be set")
	}
	s.invalidate(id)
	defer s.invalidate(id)
	return ms.SetMedia(ctx, id, p)
}

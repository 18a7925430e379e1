package cache_test

import (
	"context"
	"testing"

	"imagerepo/cache"
)

// benchCache returns a cache of size documents over a real store holding n
// images, and their ids oldest first, each fetched once in that order (so
// the cache holds the last size of them).
func benchCache(b *testing.B, n, size int) (*cache.ImageService, []string) {
	b.Helper()
	c := cache.New(openStore(b), size)
	ids := make([]string, n)
	for i := range ids {
		ids[i] = create(b, c, i).ID
	}
	for _, id := range ids {
		if _, err := c.FindImageByID(context.Background(), id); err != nil {
			b.Fatal(err)
		}
	}
	return c, ids
}

// A hit: every id is cached (the set fits), so no look-up reaches bbolt.
func BenchmarkImageService_FindImageByID_Hit(b *testing.B) {
	c, ids := benchCache(b, 1000, 1000)
	if s := getInTurn(b, c, ids); s.Misses != 0 {
		b.Fatalf("%d misses in a run of hits", s.Misses)
	}
}

// A miss: the ids are read in turn through a cache half their number, so
// each has been evicted before it comes round again; a miss reads the
// store and fills the cache, evicting another id.
func BenchmarkImageService_FindImageByID_Miss(b *testing.B) {
	c, ids := benchCache(b, 1000, 500)
	if s := getInTurn(b, c, ids); s.Hits != 0 {
		b.Fatalf("%d hits in a run of misses", s.Hits)
	}
}

// Peek is the cache alone: the LRU look-up and the copy, no store behind.
func BenchmarkImageService_Peek(b *testing.B) {
	c, ids := benchCache(b, 1000, 1000)
	i := 0
	for b.Loop() {
		if _, ok := c.Peek(ids[i%len(ids)]); !ok {
			b.Fatal("not cached")
		}
		i++
	}
}

// getInTurn fetches the ids in turn for the benchmark's loop and returns
// the hits and misses the cache counted meanwhile.
func getInTurn(b *testing.B, c *cache.ImageService, ids []string) cache.Stats {
	ctx := context.Background()
	before := c.Stats()
	i := 0
	for b.Loop() {
		if _, err := c.FindImageByID(ctx, ids[i%len(ids)]); err != nil {
			b.Fatal(err)
		}
		i++
	}
	after := c.Stats()
	return cache.Stats{Hits: after.Hits - before.Hits, Misses: after.Misses - before.Misses}
}

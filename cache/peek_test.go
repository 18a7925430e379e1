package cache_test

import (
	"context"
	"testing"

	"imagerepo/cache"
)

// TestImageService_Peek: Peek sees only what is cached, hands out a copy,
// and neither counts nor refreshes the id (a peeked id is still the least
// recently used one and goes first).
func TestImageService_Peek(t *testing.T) {
	c := cache.New(openStore(t), 2)
	ctx := context.Background()
	a, b, d := create(t, c, 1), create(t, c, 2), create(t, c, 3)
	if _, ok := c.Peek(a.ID); ok {
		t.Fatal("Peek found an id never fetched")
	}
	for _, img := range []string{a.ID, b.ID} {
		if _, err := c.FindImageByID(ctx, img); err != nil {
			t.Fatal(err)
		}
	}
	got, ok := c.Peek(a.ID)
	if !ok || got.Title != a.Title {
		t.Fatalf("Peek(a) = %+v, %v", got, ok)
	}
	got.Title = "changed"
	if again, _ := c.Peek(a.ID); again.Title != a.Title {
		t.Fatal("a change to Peek's result reached the cache")
	}
	if s := c.Stats(); s.Hits != 0 || s.Misses != 2 {
		t.Fatalf("stats after Peek = %+v, want no hits counted", s)
	}
	if _, err := c.FindImageByID(ctx, d.ID); err != nil { // evicts the least recently used: a
		t.Fatal(err)
	}
	if _, ok := c.Peek(a.ID); ok {
		t.Error("a was peeked, not used, and should have been evicted first")
	}
	if _, ok := c.Peek(b.ID); !ok {
		t.Error("b was evicted instead of a")
	}
}

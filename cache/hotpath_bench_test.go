package cache_test

import (
	"context"
	"testing"

	"imagerepo/cache"
	"imagerepo/gallery"
)

// The in-process figures of docs/performance.md: one id looked up through
// the cache (a hit, plain and with the kept encoding) and straight from the
// store (a bbolt read transaction, Get and decode), present and absent.
func BenchmarkHotPath(b *testing.B) {
	st := openStore(b)
	c := cache.New(st, 100)
	img := create(b, c, 1)
	absent := img.ID[:10] + "0000000000000000" // well-formed, never stored
	ctx := context.Background()
	encode := func(img *gallery.Image) ([]byte, error) { return []byte(img.ID), nil }
	if _, err := c.FindImageByID(ctx, img.ID); err != nil {
		b.Fatal(err)
	}
	cases := []struct {
		name string
		fn   func() error
	}{
		{"CacheHit", func() error { _, err := c.FindImageByID(ctx, img.ID); return err }},
		{"CacheHitEncoded", func() error { _, err := c.FindImageEncoded(ctx, img.ID, encode); return err }},
		{"StorePresent", func() error { _, err := st.FindImageByID(ctx, img.ID); return err }},
		{"StoreAbsent", func() error {
			if _, err := st.FindImageByID(ctx, absent); gallery.ErrorCode(err) != gallery.ENOTFOUND {
				return err
			}
			return nil
		}},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := tc.fn(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

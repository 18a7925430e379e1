package cache_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"imagerepo/cache"
	"imagerepo/gallery"
)

// countingEncoder encodes the title and counts its calls.
type countingEncoder struct{ calls atomic.Int64 }

func (e *countingEncoder) encode(img *gallery.Image) ([]byte, error) {
	e.calls.Add(1)
	return json.Marshal(map[string]string{"id": img.ID, "title": img.Title})
}

func titleOf(t *testing.T, body []byte) string {
	t.Helper()
	var v map[string]string
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("%s: %v", body, err)
	}
	return v["title"]
}

// TestImageService_FindImageEncoded_EncodesOncePerFill: a hit returns the
// encoding kept beside the document without encoding again; a write drops
// both, so the next look-up encodes the new document.
func TestImageService_FindImageEncoded_EncodesOncePerFill(t *testing.T) {
	c := cache.New(openStore(t), 10)
	img := create(t, c, 1)
	ctx := context.Background()
	var enc countingEncoder

	first, err := c.FindImageEncoded(ctx, img.ID, enc.encode)
	if err != nil || first.Hit || titleOf(t, first.Body) != "image 1" {
		t.Fatalf("miss: %+v, %v", first, err)
	}
	for range 3 {
		got, err := c.FindImageEncoded(ctx, img.ID, enc.encode)
		if err != nil || !got.Hit || string(got.Body) != string(first.Body) || got.Image.Title != "image 1" {
			t.Fatalf("hit: %+v, %v", got, err)
		}
	}
	if n := enc.calls.Load(); n != 1 {
		t.Fatalf("encoded %d times, want once", n)
	}
	if s := c.Stats(); s.Hits != 3 || s.Misses != 1 {
		t.Fatalf("stats = %+v", s)
	}
	var got *gallery.Encoded

	title := "renamed"
	if _, err := c.UpdateImage(ctx, img.ID, gallery.ImageUpdate{Title: &title}); err != nil {
		t.Fatal(err)
	}
	got, err = c.FindImageEncoded(ctx, img.ID, enc.encode)
	if err != nil || got.Hit || titleOf(t, got.Body) != title {
		t.Fatalf("after update: %+v %s, %v", got, got.Body, err)
	}
	if got, err = c.FindImageEncoded(ctx, img.ID, enc.encode); err != nil || !got.Hit || titleOf(t, got.Body) != title {
		t.Fatalf("hit after update: %+v, %v", got, err)
	}

	if err := c.DeleteImage(ctx, img.ID); err != nil {
		t.Fatal(err)
	}
	if got, err := c.FindImageEncoded(ctx, img.ID, enc.encode); gallery.ErrorCode(err) != gallery.ENOTFOUND {
		t.Fatalf("after delete: %+v, %v", got, err)
	}
}

// TestImageService_FindImageEncoded_AfterFindImageByID: an entry filled by
// FindImageByID gets its encoding on the first FindImageEncoded.
func TestImageService_FindImageEncoded_AfterFindImageByID(t *testing.T) {
	c := cache.New(openStore(t), 10)
	img := create(t, c, 2)
	ctx := context.Background()
	if _, err := c.FindImageByID(ctx, img.ID); err != nil {
		t.Fatal(err)
	}
	var enc countingEncoder
	got, err := c.FindImageEncoded(ctx, img.ID, enc.encode)
	if err != nil || !got.Hit || titleOf(t, got.Body) != "image 2" || enc.calls.Load() != 1 {
		t.Fatalf("%+v, %v, %d encodes", got, err, enc.calls.Load())
	}
}

// TestImageService_FindImageEncoded_Concurrent mixes encoded reads, plain
// reads and writes (under -race in CI); afterwards every encoding the cache
// hands out agrees with the store.
func TestImageService_FindImageEncoded_Concurrent(t *testing.T) {
	st := openStore(t)
	c := cache.New(st, 8)
	ctx := context.Background()
	var ids []string
	for i := range 12 {
		ids = append(ids, create(t, c, i).ID)
	}
	var enc countingEncoder
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				id := ids[(w*5+i)%len(ids)]
				switch i % 10 {
				case 0:
					title := fmt.Sprint("w", w, "i", i)
					_, _ = c.UpdateImage(ctx, id, gallery.ImageUpdate{Title: &title})
				case 1:
					_, _ = c.FindImageByID(ctx, id)
				case 9:
					if w == 0 && i%50 == 9 {
						_ = c.DeleteImage(ctx, id)
					}
				default:
					_, _ = c.FindImageEncoded(ctx, id, enc.encode)
				}
			}
		}()
	}
	wg.Wait()
	for _, id := range ids {
		want, wantErr := st.FindImageByID(ctx, id)
		for range 2 { // the miss, then the hit
			got, err := c.FindImageEncoded(ctx, id, enc.encode)
			if gallery.ErrorCode(err) != gallery.ErrorCode(wantErr) {
				t.Fatalf("%s: cache err %v, store err %v", id, err, wantErr)
			}
			if err == nil && (titleOf(t, got.Body) != want.Title || got.Image.Title != want.Title) {
				t.Fatalf("%s: cache has %s, store has %q", id, got.Body, want.Title)
			}
		}
	}
}

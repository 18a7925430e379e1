package cache_test

import (
	"context"
	"testing"

	"imagerepo/cache"
	"imagerepo/gallery"
)

// TestImageService_SetMedia_Invalidates: the media migration's write is
// seen at once through the cache.
func TestImageService_SetMedia_Invalidates(t *testing.T) {
	c := cache.New(openStore(t), 10)
	img := create(t, c, 1)
	ctx := context.Background()
	if got, err := c.FindImageByID(ctx, img.ID); err != nil || got.Hash != 0 { // fill
		t.Fatalf("fill: %v, %v", got, err)
	}
	p := &gallery.Processed{
		Small: gallery.ThumbData{Size: gallery.ThumbSmall, ContentType: "image/png", Width: 1, Height: 1, Data: []byte("s")},
		Large: gallery.ThumbData{Size: gallery.ThumbLarge, ContentType: "image/png", Width: 2, Height: 2, Data: []byte("l")},
		Hash:  42,
	}
	if _, err := c.SetMedia(ctx, img.ID, p); err != nil {
		t.Fatal(err)
	}
	got, err := c.FindImageByID(ctx, img.ID)
	if err != nil || got.Hash != 42 || len(got.Thumbs) != 2 {
		t.Fatalf("after SetMedia: %+v, %v", got, err)
	}
}

package main

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/jpeg"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"imagerepo/gallery"
	"imagerepo/store"
)

// syncBuffer collects log lines from any goroutine.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestMain_MediaMigration: an image stored before thumbnails existed gets
// its thumbnails and hash in the background at start, and its thumb route
// then serves a real thumbnail instead of the original.
func TestMain_MediaMigration(t *testing.T) {
	dir := t.TempDir()
	src := image.NewRGBA(image.Rect(0, 0, 800, 600))
	for y := 0; y < 600; y++ {
		for x := 0; x < 800; x++ {
			src.Set(x, y, color.RGBA{uint8(x * 255 / 800), uint8(y * 255 / 600), uint8((x + y) % 256), 255})
		}
	}
	var orig bytes.Buffer
	if err := jpeg.Encode(&orig, src, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}

	db, err := store.Open(dir, store.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	old, _, err := store.NewImageService(db).CreateImage(context.Background(), &gallery.Image{
		Title: "old", Filename: "old.jpg", ContentType: "image/jpeg", Visibility: gallery.Public,
		Width: 800, Height: 600, Tags: []string{},
	}, bytes.NewReader(orig.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if len(old.Thumbs) != 0 || old.Hash != 0 {
		t.Fatalf("stored with media already: %+v", old)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	var logs syncBuffer
	m := NewMain()
	m.Config.Addr = "127.0.0.1:0"
	m.Config.DataDir = dir
	m.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer m.Close()

	stored := store.NewImageService(m.db)
	deadline := time.Now().Add(20 * time.Second)
	var img *gallery.Image
	for {
		img, err = stored.FindImageByID(context.Background(), old.ID)
		if err != nil {
			t.Fatal(err)
		}
		// small, large and the copy without location
		if len(img.Thumbs) == 3 && img.Hash != 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not migrated: thumbs %+v, hash %x; log:\n%s", img.Thumbs, img.Hash, logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if small := img.Thumb(gallery.ThumbSmall); small == nil || small.Width != 320 || small.Height != 240 {
		t.Errorf("small thumb = %+v", small)
	}
	if noloc := img.Thumb(gallery.ThumbNoLocation); noloc == nil || noloc.ContentType != "image/jpeg" {
		t.Errorf("copy without location = %+v", noloc)
	}

	code, body := get(t, http.DefaultClient, m.URL()+"/api/images/"+old.ID+"/thumb/small")
	if code != 200 {
		t.Fatalf("thumb: %d", code)
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(body))
	if err != nil || cfg.Width != 320 || cfg.Height != 240 || bytes.Equal(body, orig.Bytes()) {
		t.Fatalf("thumb served: %dx%d, %v (original: %v)", cfg.Width, cfg.Height, err, bytes.Equal(body, orig.Bytes()))
	}

	deadline = time.Now().Add(5 * time.Second)
	for !strings.Contains(logs.String(), "media migration: 1 of 1 images") {
		if time.Now().After(deadline) {
			t.Fatalf("no progress in the log:\n%s", logs.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	// The pass is recorded, so that the next start reads no document.
	for {
		pending, _, err := m.db.MediaPending()
		if err != nil {
			t.Fatal(err)
		}
		if !pending {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the finished migration was not recorded")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

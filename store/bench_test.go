package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"testing"

	"imagerepo/gallery"
)

// benchService returns a store holding n images of 1 KiB, every tenth
// tagged "ten", and their ids oldest first.
func benchService(b *testing.B, n int) (*ImageService, []string) {
	b.Helper()
	db := openDB(b, b.TempDir(), Options{})
	s := NewImageService(db)
	body := make([]byte, 1024)
	ids := make([]string, n)
	for i := range n {
		binary.BigEndian.PutUint64(body, uint64(i))
		var tags []string
		if i%10 == 0 {
			tags = []string{"ten"}
		}
		img, _, err := s.CreateImage(context.Background(), newImage("alice", tags...), bytes.NewReader(body))
		if err != nil {
			b.Fatal(err)
		}
		ids[i] = img.ID
	}
	return s, ids
}

// The store side of a cache miss.
func BenchmarkImageService_FindImageByID(b *testing.B) {
	s, ids := benchService(b, 1000)
	ctx := context.Background()
	i := 0
	for b.Loop() {
		if _, err := s.FindImageByID(ctx, ids[i%len(ids)]); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

func BenchmarkImageService_FindImages(b *testing.B) {
	for _, bm := range []struct {
		name   string
		filter gallery.ImageFilter
	}{
		{"newest", gallery.ImageFilter{}},
		{"tag", gallery.ImageFilter{Tag: "ten"}},
	} {
		b.Run(bm.name, func(b *testing.B) {
			s, _ := benchService(b, 2000)
			ctx := context.Background()
			for b.Loop() {
				if imgs, _, err := s.FindImages(ctx, bm.filter); err != nil || len(imgs) != gallery.DefaultPageLimit {
					b.Fatal(len(imgs), err)
				}
			}
		})
	}
}

// Each iteration stores new bytes: hash, temp file, fsyncs, rename, commit.
func BenchmarkImageService_CreateImage(b *testing.B) {
	s, _ := benchService(b, 0)
	ctx := context.Background()
	body := make([]byte, 64<<10)
	b.SetBytes(int64(len(body)))
	i := uint64(0)
	for b.Loop() {
		binary.BigEndian.PutUint64(body, i)
		i++
		if _, _, err := s.CreateImage(ctx, newImage("alice"), bytes.NewReader(body)); err != nil {
			b.Fatal(err)
		}
	}
}

// The store side of an absent id: a read transaction and a Get that finds
// nothing (the ids are of images deleted again).
func BenchmarkImageService_FindImageByID_Absent(b *testing.B) {
	s, ids := benchService(b, 100)
	ctx := context.Background()
	for _, id := range ids {
		if err := s.DeleteImage(ctx, id); err != nil {
			b.Fatal(err)
		}
	}
	i := 0
	for b.Loop() {
		if _, err := s.FindImageByID(ctx, ids[i%len(ids)]); gallery.ErrorCode(err) != gallery.ENOTFOUND {
			b.Fatal(err)
		}
		i++
	}
}

// A batch of 1000 new 1 KiB images: the blobs synced together, one commit.
func BenchmarkImageService_CreateImages(b *testing.B) {
	s, _ := benchService(b, 0)
	ctx := context.Background()
	i := uint64(0)
	for b.Loop() {
		batch := make([]NewImage, 1000)
		for j := range batch {
			body := make([]byte, 1024)
			binary.BigEndian.PutUint64(body, i)
			i++
			batch[j] = NewImage{Image: newImage("alice"), Body: body}
		}
		if _, err := s.CreateImages(ctx, batch); err != nil {
			b.Fatal(err)
		}
	}
}

package store

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"strings"
	"testing"
	"time"

	"imagerepo/gallery"
)

func thumbsOf(small, large string) []gallery.ThumbData {
	return []gallery.ThumbData{
		{Size: gallery.ThumbSmall, ContentType: "image/jpeg", Width: 32, Height: 16, Data: []byte(small)},
		{Size: gallery.ThumbLarge, ContentType: "image/jpeg", Width: 128, Height: 64, Data: []byte(large)},
	}
}

// TestImageService_CreateImage_Thumbs: thumbnails and camera data are
// stored with the document, the thumbnails as content-addressed blobs.
func TestImageService_CreateImage_Thumbs(t *testing.T) {
	s, _, _ := newService(t)
	ctx := context.Background()
	in := newImage("alice")
	taken := time.Date(2023, 7, 14, 18, 30, 5, 0, time.FixedZone("", 2*3600))
	in.Camera = &gallery.Camera{Make: "Canon", Model: "EOS", ExposureTime: "1/250", FNumber: 2.8, ISO: 200}
	in.TakenAt, in.Location, in.Hash = &taken, &gallery.Location{Latitude: 48.8, Longitude: 2.3}, 0xdeadbeef
	img, dup, err := s.CreateImage(ctx, in, strings.NewReader("original"), thumbsOf("small bytes", "large bytes")...)
	if err != nil || dup {
		t.Fatalf("CreateImage: dup %v, %v", dup, err)
	}
	got, err := s.FindImageByID(ctx, img.ID)
	if err != nil {
		t.Fatal(err)
	}
	if *got.Camera != *in.Camera || !got.TakenAt.Equal(taken) || *got.Location != *in.Location || got.Hash != in.Hash {
		t.Errorf("stored camera data %+v %v %+v %x", got.Camera, got.TakenAt, got.Location, got.Hash)
	}
	for size, body := range map[string]string{gallery.ThumbSmall: "small bytes", gallery.ThumbLarge: "large bytes"} {
		th := got.Thumb(size)
		if th == nil || th.SHA256 != shaOf(body) || th.Bytes != int64(len(body)) || th.ContentType != "image/jpeg" {
			t.Fatalf("%s thumb = %+v", size, th)
		}
		if readBlob(t, s, th.SHA256) != body {
			t.Errorf("%s thumb bytes differ", size)
		}
	}
	// The same bytes again are a duplicate, whatever the thumbnails.
	again, dup, err := s.CreateImage(ctx, newImage("alice"), strings.NewReader("original"), thumbsOf("other", "other2")...)
	if err != nil || !dup || again.ID != img.ID {
		t.Fatalf("duplicate: %v, %v, %v", again, dup, err)
	}
	if _, err := s.OpenBlob(ctx, shaOf("other")); gallery.ErrorCode(err) != gallery.ENOTFOUND {
		t.Errorf("a duplicate's thumbnail was stored: %v", err)
	}
}

func TestImageService_CreateImage_BadThumbs(t *testing.T) {
	s, _, _ := newService(t)
	for name, th := range map[string][]gallery.ThumbData{
		"unknown size": {{Size: "medium", ContentType: "image/jpeg", Width: 1, Height: 1, Data: []byte("x")}},
		"repeated":     append(thumbsOf("a", "b"), thumbsOf("c", "d")[0]),
		"empty":        {{Size: gallery.ThumbSmall, ContentType: "image/jpeg", Width: 1, Height: 1}},
	} {
		if _, _, err := s.CreateImage(context.Background(), newImage("alice"), strings.NewReader(name), th...); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// TestImageService_DeleteImage_Thumbs: a thumbnail blob lives as long as
// any image refers to it, and goes with the last one.
func TestImageService_DeleteImage_Thumbs(t *testing.T) {
	s, db, _ := newService(t)
	ctx := context.Background()
	// Two owners, the same original and so the same thumbnails.
	a, _, err := s.CreateImage(ctx, newImage("alice"), strings.NewReader("shared"), thumbsOf("s1", "l1")...)
	if err != nil {
		t.Fatal(err)
	}
	b, _, err := s.CreateImage(ctx, newImage("bob"), strings.NewReader("shared"), thumbsOf("s1", "l1")...)
	if err != nil {
		t.Fatal(err)
	}
	exists := func(sha string) bool {
		_, err := os.Stat(db.blobPath(sha))
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			t.Fatal(err)
		}
		return err == nil
	}
	if err := s.DeleteImage(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	for _, sha := range blobsOf(b) {
		if !exists(sha) {
			t.Errorf("blob %s went while bob's image refers to it", sha)
		}
	}
	if err := s.DeleteImage(ctx, b.ID); err != nil {
		t.Fatal(err)
	}
	for _, sha := range blobsOf(b) {
		if exists(sha) {
			t.Errorf("blob %s left after the last image went", sha)
		}
	}
}

// TestDB_Verify_Thumbs: Verify knows thumbnail blobs are referenced, and
// says when one is missing.
func TestDB_Verify_Thumbs(t *testing.T) {
	db := openDB(t, t.TempDir(), Options{})
	s := NewImageService(db)
	img, _, err := s.CreateImage(context.Background(), newImage("alice"), strings.NewReader("v"), thumbsOf("vs", "vl")...)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Verify(context.Background()); err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if err := os.Remove(db.blobPath(img.Thumb(gallery.ThumbLarge).SHA256)); err != nil {
		t.Fatal(err)
	}
	err = db.Verify(context.Background())
	if err == nil || !strings.Contains(err.Error(), "large thumbnail bytes") {
		t.Errorf("Verify with a thumbnail missing: %v", err)
	}
}

// TestOpen_CrashSweep_KeepsThumbs: the sweep after an unclean stop keeps
// the blobs of thumbnails.
func TestOpen_CrashSweep_KeepsThumbs(t *testing.T) {
	dir := t.TempDir()
	db := openDB(t, dir, Options{})
	img, _, err := NewImageService(db).CreateImage(context.Background(), newImage("alice"), strings.NewReader("o"), thumbsOf("ts", "tl")...)
	if err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-time.Hour)
	for _, sha := range blobsOf(img) {
		if err := os.Chtimes(db.blobPath(sha), old, old); err != nil {
			t.Fatal(err)
		}
	}
	orphan := writeOrphan(t, db, "orphan", old)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dir+"/"+markerFile, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	db = mustOpenDB(t, dir, Options{})
	db.WaitSweep()
	if _, err := os.Stat(orphan); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("orphan after the sweep: %v", err)
	}
	for _, sha := range blobsOf(img) {
		if _, err := os.Stat(db.blobPath(sha)); err != nil {
			t.Errorf("blob %s after the sweep: %v", sha, err)
		}
	}
}

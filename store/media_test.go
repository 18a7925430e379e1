package store

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"imagerepo/gallery"
)

// TestImageService_SetMedia: an image stored without thumbnails gets them,
// its EXIF fields and its hash in one counted write; replaced thumbnails
// are removed, and the new ones go with the image.
func TestImageService_SetMedia(t *testing.T) {
	s, db, _ := newService(t)
	ctx := context.Background()
	img, _, err := s.CreateImage(ctx, newImage("alice"), strings.NewReader("original"))
	if err != nil {
		t.Fatal(err)
	}
	seq, err := db.WriteSeq()
	if err != nil {
		t.Fatal(err)
	}
	taken := time.Date(2023, 7, 14, 18, 30, 5, 0, time.UTC)
	th := thumbsOf("small bytes", "large bytes")
	p := &gallery.Processed{Info: gallery.ImageInfo{ContentType: "image/jpeg", Width: 40, Height: 20},
		Small: th[0], Large: th[1], Camera: &gallery.Camera{Make: "Canon", Model: "EOS"}, TakenAt: &taken, Hash: 0xfeed}
	got, err := s.SetMedia(ctx, img.ID, p)
	if err != nil {
		t.Fatal(err)
	}
	if after, _ := db.WriteSeq(); after != seq+1 {
		t.Errorf("write seq %d, want %d", after, seq+1)
	}
	stored, err := s.FindImageByID(ctx, img.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []*gallery.Image{got, stored} {
		if len(d.Thumbs) != 2 || d.Hash != 0xfeed || d.Camera == nil || d.Camera.Model != "EOS" || !d.TakenAt.Equal(taken) || d.Width != 40 || d.Height != 20 {
			t.Fatalf("after SetMedia: %+v", d)
		}
	}
	if readBlob(t, s, stored.Thumb(gallery.ThumbSmall).SHA256) != "small bytes" {
		t.Error("small thumb bytes differ")
	}

	// Again with other thumbnails: the old ones go.
	th2 := thumbsOf("small 2", "large 2")
	p.Small, p.Large = th2[0], th2[1]
	if _, err := s.SetMedia(ctx, img.ID, p); err != nil {
		t.Fatal(err)
	}
	if _, err := s.OpenBlob(ctx, shaOf("small bytes")); gallery.ErrorCode(err) != gallery.ENOTFOUND {
		t.Errorf("replaced thumbnail kept: %v", err)
	}
	if readBlob(t, s, shaOf("small 2")) != "small 2" {
		t.Error("new small thumb missing")
	}

	// Deleting the image deletes its thumbnails.
	if err := s.DeleteImage(ctx, img.ID); err != nil {
		t.Fatal(err)
	}
	for _, body := range []string{"small 2", "large 2", "original"} {
		if _, err := s.OpenBlob(ctx, shaOf(body)); gallery.ErrorCode(err) != gallery.ENOTFOUND {
			t.Errorf("%q kept after delete: %v", body, err)
		}
	}
	if _, err := s.SetMedia(ctx, img.ID, p); gallery.ErrorCode(err) != gallery.ENOTFOUND {
		t.Errorf("SetMedia of a deleted image: %v", err)
	}
}

// TestDB_MediaPending: pending until a pass records it, then not, until a
// document without thumbnails is written; a pass that raced such a write
// records nothing.
func TestDB_MediaPending(t *testing.T) {
	s, db, _ := newService(t)
	ctx := context.Background()
	pending := func() (bool, uint64) {
		t.Helper()
		p, mark, err := db.MediaPending()
		if err != nil {
			t.Fatal(err)
		}
		return p, mark
	}
	p, mark := pending()
	if !p {
		t.Fatal("a data dir no pass went through is not pending")
	}
	if err := db.SetMediaDone(ctx, mark); err != nil {
		t.Fatal(err)
	}
	if p, _ := pending(); p {
		t.Fatal("pending after the pass was recorded")
	}
	if _, _, err := s.CreateImage(ctx, newImage("alice"), strings.NewReader("with thumbs"), thumbsOf("s", "l")...); err != nil {
		t.Fatal(err)
	}
	if p, _ := pending(); p {
		t.Fatal("an image with thumbnails made the migration pending")
	}

	_, old := pending()
	if _, _, err := s.CreateImage(ctx, newImage("alice"), strings.NewReader("bare")); err != nil {
		t.Fatal(err)
	}
	p, mark = pending()
	if !p || mark == old {
		t.Fatalf("an image without thumbnails: pending %v, mark %d (was %d)", p, mark, old)
	}
	if err := db.SetMediaDone(ctx, old); err != nil { // a pass that began before the write
		t.Fatal(err)
	}
	if p, _ := pending(); !p {
		t.Fatal("a pass that raced a bare write cleared pending")
	}
	if err := db.SetMediaDone(ctx, mark); err != nil {
		t.Fatal(err)
	}
	if p, _ := pending(); p {
		t.Fatal("still pending after a full pass")
	}
}

// TestImageService_SetMediaRaces: SetMedia beside a delete of the same
// image, or beside another SetMedia, leaves no bytes behind that no
// document refers to, whichever commits first.
func TestImageService_SetMediaRaces(t *testing.T) {
	s, db, _ := newService(t)
	ctx := context.Background()
	media := func(i, j int) *gallery.Processed {
		th := thumbsOf(fmt.Sprintf("small %d %d", i, j), fmt.Sprintf("large %d %d", i, j))
		return &gallery.Processed{Info: gallery.ImageInfo{ContentType: "image/jpeg", Width: 4, Height: 2}, Small: th[0], Large: th[1]}
	}
	for i := range 150 {
		img := create(t, s, "alice", fmt.Sprintf("original %d", i))
		var wg sync.WaitGroup
		errs := make([]error, 3)
		wg.Go(func() { _, errs[0] = s.SetMedia(ctx, img.ID, media(i, 0)) })
		if i%2 == 0 {
			wg.Go(func() { errs[1] = s.DeleteImage(ctx, img.ID) })
		} else {
			wg.Go(func() { _, errs[2] = s.SetMedia(ctx, img.ID, media(i, 1)) })
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil && gallery.ErrorCode(err) != gallery.ENOTFOUND {
				t.Fatalf("round %d: %v", i, err)
			}
		}
	}
	r, err := db.Check(ctx, CheckOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Orphans) > 0 || r.Err() != nil {
		t.Fatalf("%d blobs no document refers to; problems: %v", len(r.Orphans), r.Err())
	}
}

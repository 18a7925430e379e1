package store

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"

	"imagerepo/gallery"
)

// TestImageService_CreateImages: one batch stores every new document with
// its bytes and thumbnails; repeated bytes of one owner, in the store or in
// the batch, come back as the existing image; the write counter counts the
// new documents only. mustOpenDB's Verify checks blobs and indexes at the end.
func TestImageService_CreateImages(t *testing.T) {
	s, db, _ := newService(t)
	ctx := context.Background()
	before := create(t, s, "alice", "stored before")
	probe := newImage("bob")
	probe.Hash = 0xfeee
	near, _, err := s.CreateImage(ctx, probe, bytes.NewBufferString("probe"))
	if err != nil {
		t.Fatal(err)
	}
	bob := &gallery.User{Username: "bob"}
	if _, err := s.FindSimilar(ctx, near.ID, gallery.SimilarFilter{Viewer: bob}); err != nil {
		t.Fatal(err) // loads the similarity index before the batch
	}

	hashed := newImage("bob", "cats")
	hashed.Hash = 0xfeed
	got, err := s.CreateImages(ctx, []NewImage{
		{Image: newImage("alice"), Body: []byte("one"), Thumbs: thumbsOf("s1", "l1")},
		{Image: newImage("alice"), Body: []byte("stored before")},
		{Image: hashed, Body: []byte("one"), Thumbs: thumbsOf("s1", "l1")},
		{Image: newImage("alice"), Body: []byte("one")},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 4 {
		t.Fatalf("got %d results, want 4", len(got))
	}
	if got[1].ID != before.ID || got[3].ID != got[0].ID {
		t.Errorf("duplicates: got ids %s %s, want %s (stored) and %s (earlier in the batch)", got[1].ID, got[3].ID, before.ID, got[0].ID)
	}
	if got[0].ID == got[2].ID || got[0].ID <= before.ID || got[2].ID <= got[0].ID {
		t.Errorf("ids %s, %s after %s: want new ids in batch order", got[0].ID, got[2].ID, before.ID)
	}
	for _, want := range []*gallery.Image{got[0], got[2]} {
		stored, err := s.FindImageByID(ctx, want.ID)
		if err != nil {
			t.Fatal(err)
		}
		if stored.Owner != want.Owner || stored.SHA256 != want.SHA256 || stored.Bytes != 3 || len(stored.Thumbs) != 2 {
			t.Errorf("stored %+v, want %+v", stored, want)
		}
		if b := readBlob(t, s, stored.SHA256); b != "one" {
			t.Errorf("original = %q", b)
		}
		if b := readBlob(t, s, stored.Thumb(gallery.ThumbLarge).SHA256); b != "l1" {
			t.Errorf("large thumbnail = %q", b)
		}
	}
	if seq, err := db.WriteSeq(); err != nil || seq != 4 {
		t.Errorf("WriteSeq = %d, %v; want 4 (two single creates, two batch documents)", seq, err)
	}
	// The similarity index, loaded before the batch, sees the batch's hash.
	sims, err := s.FindSimilar(ctx, near.ID, gallery.SimilarFilter{Viewer: bob})
	if err != nil {
		t.Fatal(err)
	}
	if len(sims) != 1 || sims[0].Image.ID != got[2].ID {
		t.Errorf("FindSimilar after the batch = %+v, want only %s", sims, got[2].ID)
	}
	if n := countFiles(t, filepath.Join(db.dir, "blobs")); n != 5 {
		t.Errorf("%d blob files, want 5 (two stored before, one original and two thumbnails from the batch)", n)
	}
}

// TestImageService_CreateImages_Invalid: one bad image stores nothing of the
// batch, neither documents nor bytes.
func TestImageService_CreateImages_Invalid(t *testing.T) {
	s, db, _ := newService(t)
	bad := newImage("alice")
	bad.Visibility = "everyone"
	_, err := s.CreateImages(context.Background(), []NewImage{
		{Image: newImage("alice"), Body: []byte("good")},
		{Image: bad, Body: []byte("bad")},
	})
	wantCode(t, err, gallery.EINVALID)
	if n, _ := allPages(t, s, gallery.ImageFilter{All: true}); len(n) != 0 {
		t.Errorf("stored %v after a failed batch", n)
	}
	if n := countFiles(t, filepath.Join(db.dir, "blobs")); n != 0 {
		t.Errorf("%d blob files after a failed batch", n)
	}
}

package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"imagerepo/gallery"
)

func shaOf(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

func TestImageService_CreateImage_OK(t *testing.T) {
	s, db, clock := newService(t)
	in := newImage("alice", " Cat ", "dog", "cat")
	in.Tags = []string{" Cat ", "dog", "cat"}
	img, dup, err := s.CreateImage(context.Background(), in, strings.NewReader("hello bytes"))
	if err != nil || dup {
		t.Fatalf("CreateImage: dup=%v err=%v", dup, err)
	}
	if !validID(img.ID) {
		t.Errorf("ID %q is not a valid id", img.ID)
	}
	if img.SHA256 != shaOf("hello bytes") || img.Bytes != int64(len("hello bytes")) {
		t.Errorf("SHA256, Bytes = %s, %d", img.SHA256, img.Bytes)
	}
	if !img.CreatedAt.Equal(clock.Now()) || !img.UpdatedAt.Equal(img.CreatedAt) || img.CreatedAt.Location() != time.UTC {
		t.Errorf("CreatedAt, UpdatedAt = %v, %v, want %v in UTC", img.CreatedAt, img.UpdatedAt, clock.Now())
	}
	if !slices.Equal(img.Tags, []string{"Cat", "dog"}) {
		t.Errorf("Tags = %q, want normalised", img.Tags)
	}
	if in.ID != "" || in.SHA256 != "" || len(in.Tags) != 3 {
		t.Errorf("the caller's image changed: %+v", in)
	}

	got, err := s.FindImageByID(context.Background(), img.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !sameImage(got, img) {
		t.Errorf("FindImageByID = %+v, want %+v", got, img)
	}
	if b := readBlob(t, s, img.SHA256); b != "hello bytes" {
		t.Errorf("blob = %q", b)
	}
	if _, err := os.Stat(filepath.Join(db.blobDir, img.SHA256[:2], img.SHA256)); err != nil {
		t.Errorf("blob not sharded by its first byte: %v", err)
	}
	if n := countFiles(t, db.tmpDir); n != 0 {
		t.Errorf("%d temp files left", n)
	}
}

func sameImage(a, b *gallery.Image) bool {
	return a.ID == b.ID && a.Title == b.Title && a.Description == b.Description &&
		slices.Equal(a.Tags, b.Tags) && a.Owner == b.Owner && a.Visibility == b.Visibility &&
		a.Filename == b.Filename && a.ContentType == b.ContentType && a.Bytes == b.Bytes &&
		a.Width == b.Width && a.Height == b.Height && a.SHA256 == b.SHA256 &&
		a.CreatedAt.Equal(b.CreatedAt) && a.UpdatedAt.Equal(b.UpdatedAt)
}

func TestImageService_CreateImage_NilTags(t *testing.T) {
	s, _, _ := newService(t)
	in := newImage("alice")
	in.Tags = nil
	img, _, err := s.CreateImage(context.Background(), in, strings.NewReader("x"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.FindImageByID(context.Background(), img.ID)
	if err != nil {
		t.Fatal(err)
	}
	if img.Tags == nil || got.Tags == nil {
		t.Errorf("Tags nil: created %#v, found %#v", img.Tags, got.Tags)
	}
}

func TestImageService_CreateImage_Invalid(t *testing.T) {
	s, db, _ := newService(t)
	in := newImage("alice")
	in.Title = ""
	_, _, err := s.CreateImage(context.Background(), in, strings.NewReader("x"))
	wantCode(t, err, gallery.EINVALID)
	if n := countFiles(t, db.blobDir); n != 0 {
		t.Errorf("%d files left in the blob folder", n)
	}
}

func TestImageService_CreateImage_Duplicate(t *testing.T) {
	s, db, _ := newService(t)
	ctx := context.Background()
	a := create(t, s, "alice", "same bytes")

	again, dup, err := s.CreateImage(ctx, newImage("alice", "other"), strings.NewReader("same bytes"))
	if err != nil || !dup || again.ID != a.ID || !slices.Equal(again.Tags, a.Tags) {
		t.Fatalf("same owner, same bytes: %+v dup=%v err=%v; want image %s as a duplicate", again, dup, err, a.ID)
	}

	b := create(t, s, "bob", "same bytes")
	if b.ID == a.ID || b.SHA256 != a.SHA256 {
		t.Fatalf("other owner: got %s/%s, want a new image with the same bytes", b.ID, b.SHA256)
	}
	if n := countFiles(t, db.blobDir); n != 1 {
		t.Errorf("%d blob files, want the bytes stored once", n)
	}

	if err := s.DeleteImage(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	if got := readBlob(t, s, b.SHA256); got != "same bytes" {
		t.Errorf("bob's bytes after alice's delete = %q", got)
	}
	if err := s.DeleteImage(ctx, b.ID); err != nil {
		t.Fatal(err)
	}
	_, err = s.OpenBlob(ctx, b.SHA256)
	wantCode(t, err, gallery.ENOTFOUND)
	if n := countFiles(t, db.blobDir); n != 0 {
		t.Errorf("%d files left after the last reference went", n)
	}

	// After the delete the owner may store the bytes again.
	if c := create(t, s, "alice", "same bytes"); c.ID == a.ID {
		t.Error("re-upload after delete returned the deleted id")
	}
}

// failingReader yields some bytes and then an error.
type failingReader struct {
	n   int
	err error
}

func (r *failingReader) Read(p []byte) (int, error) {
	if r.n == 0 {
		return 0, r.err
	}
	n := min(len(p), r.n)
	for i := range p[:n] {
		p[i] = 'x'
	}
	r.n -= n
	return n, nil
}

func TestImageService_CreateImage_BodyError(t *testing.T) {
	s, db, _ := newService(t)
	errBody := errors.New("client went away")
	_, _, err := s.CreateImage(context.Background(), newImage("alice"), &failingReader{n: 1 << 20, err: errBody})
	if !errors.Is(err, errBody) {
		t.Fatalf("err = %v, want it to wrap the body's error", err)
	}
	if n := countFiles(t, db.blobDir); n != 0 {
		t.Errorf("%d files left in the blob folder", n)
	}
}

// cancelReader cancels its context after the first read.
type cancelReader struct {
	cancel context.CancelFunc
}

func (r *cancelReader) Read(p []byte) (int, error) {
	r.cancel()
	return copy(p, "some bytes"), nil
}

func TestImageService_CreateImage_Canceled(t *testing.T) {
	s, db, _ := newService(t)
	ctx, cancel := context.WithCancel(context.Background())
	_, _, err := s.CreateImage(ctx, newImage("alice"), &cancelReader{cancel: cancel})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if n := countFiles(t, db.blobDir); n != 0 {
		t.Errorf("%d files left in the blob folder", n)
	}
	imgs, _, err := s.FindImages(context.Background(), gallery.ImageFilter{All: true})
	if err != nil || len(imgs) != 0 {
		t.Errorf("FindImages after a cancelled upload = %d images, %v", len(imgs), err)
	}
}

func TestStorageErr_DiskFull(t *testing.T) {
	for _, errno := range []syscall.Errno{syscall.ENOSPC, syscall.EDQUOT} {
		err := storageErr("write", &os.PathError{Op: "write", Path: "x", Err: errno})
		wantCode(t, err, gallery.EINSUFFICIENTSTORAGE)
	}
	err := storageErr("write", &os.PathError{Op: "write", Path: "x", Err: syscall.EIO})
	wantCode(t, err, gallery.EINTERNAL)
	notFound := gallery.Errorf(gallery.ENOTFOUND, "image not found")
	if err := storageErr("x", notFound); err != error(notFound) {
		t.Errorf("a gallery error changed: %v", err)
	}
}

func TestImageService_FindImages_Pages(t *testing.T) {
	s, _, clock := newService(t)
	var made []*gallery.Image
	for i := range 7 {
		made = append(made, create(t, s, "alice", "image "+string(rune('a'+i))))
		if i%2 == 0 {
			clock.Add(time.Second) // the rest share a timestamp: ids must still order
		}
	}
	want := reverse(made)

	ctx := context.Background()
	p1, next, err := s.FindImages(ctx, gallery.ImageFilter{All: true, Limit: 3})
	if err != nil || !slices.Equal(ids(p1), want[:3]) || next != want[2] {
		t.Fatalf("page 1 = %v next %q err %v, want %v next %q", ids(p1), next, err, want[:3], want[2])
	}
	p2, next, err := s.FindImages(ctx, gallery.ImageFilter{All: true, Limit: 3, Cursor: next})
	if err != nil || !slices.Equal(ids(p2), want[3:6]) || next == "" {
		t.Fatalf("page 2 = %v next %q err %v, want %v", ids(p2), next, err, want[3:6])
	}
	p3, next, err := s.FindImages(ctx, gallery.ImageFilter{All: true, Limit: 3, Cursor: next})
	if err != nil || !slices.Equal(ids(p3), want[6:]) || next != "" {
		t.Fatalf("page 3 = %v next %q err %v, want %v and no next", ids(p3), next, err, want[6:])
	}
	for i := 1; i < len(made); i++ {
		if made[i].CreatedAt.Before(made[i-1].CreatedAt) {
			t.Errorf("CreatedAt goes back between %s and %s", made[i-1].ID, made[i].ID)
		}
	}

	// A page that ends exactly at the last image says so.
	all, pages := allPages(t, s, gallery.ImageFilter{All: true, Limit: 7})
	if !slices.Equal(all, want) || pages != 1 {
		t.Errorf("limit 7: %v in %d pages, want %v in 1", all, pages, want)
	}
	all, pages = allPages(t, s, gallery.ImageFilter{All: true})
	if !slices.Equal(all, want) || pages != 1 {
		t.Errorf("default limit: %v in %d pages", all, pages)
	}
	// A cursor whose image is gone still works: it is a position.
	if err := s.DeleteImage(ctx, want[3]); err != nil {
		t.Fatal(err)
	}
	p, _, err := s.FindImages(ctx, gallery.ImageFilter{All: true, Limit: 2, Cursor: want[3]})
	if err != nil || !slices.Equal(ids(p), want[4:6]) {
		t.Errorf("after a deleted cursor = %v, %v, want %v", ids(p), err, want[4:6])
	}
}

func TestImageService_FindImages_Empty(t *testing.T) {
	s, _, _ := newService(t)
	imgs, next, err := s.FindImages(context.Background(), gallery.ImageFilter{All: true, Tag: "none"})
	if err != nil || imgs == nil || len(imgs) != 0 || next != "" {
		t.Errorf("FindImages on an empty store = %#v, %q, %v", imgs, next, err)
	}
}

func TestImageService_FindImages_Invalid(t *testing.T) {
	s, _, _ := newService(t)
	img := create(t, s, "alice", "x")
	for _, tt := range []struct {
		name   string
		filter gallery.ImageFilter
	}{
		{"cursor garbage", gallery.ImageFilter{All: true, Cursor: "abc"}},
		{"cursor upper case", gallery.ImageFilter{All: true, Cursor: strings.ToUpper(img.ID)}},
		{"cursor outside alphabet", gallery.ImageFilter{All: true, Cursor: strings.Repeat("z", idLen)}},
		{"cursor too long", gallery.ImageFilter{All: true, Cursor: img.ID + "0"}},
		{"limit negative", gallery.ImageFilter{All: true, Limit: -1}},
		{"limit too big", gallery.ImageFilter{All: true, Limit: gallery.MaxPageLimit + 1}},
		{"sha short", gallery.ImageFilter{All: true, SHA256: img.SHA256[:63]}},
		{"sha not hex", gallery.ImageFilter{All: true, SHA256: strings.Repeat("g", 64)}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			imgs, _, err := s.FindImages(context.Background(), tt.filter)
			wantCode(t, err, gallery.EINVALID)
			if imgs != nil {
				t.Errorf("images returned with an error: %v", ids(imgs))
			}
		})
	}
	if _, _, err := s.FindImages(context.Background(), gallery.ImageFilter{All: true, Limit: gallery.MaxPageLimit}); err != nil {
		t.Errorf("limit %d: %v", gallery.MaxPageLimit, err)
	}
}

func TestImageService_FindImages_Tag(t *testing.T) {
	s, _, _ := newService(t)
	cat1 := create(t, s, "alice", "1", "Cat")
	create(t, s, "alice", "2", "dog")
	cat3 := create(t, s, "bob", "3", "cat", "dog")
	create(t, s, "alice", "4", "cats")
	cat5 := create(t, s, "alice", "5", "CAT")
	create(t, s, "alice", "6")

	for _, tag := range []string{"cat", "CAT", " Cat "} {
		all, _ := allPages(t, s, gallery.ImageFilter{All: true, Tag: tag, Limit: 1})
		if want := []string{cat5.ID, cat3.ID, cat1.ID}; !slices.Equal(all, want) {
			t.Errorf("tag %q = %v, want %v", tag, all, want)
		}
	}
	all, _ := allPages(t, s, gallery.ImageFilter{All: true, Tag: "cat", Owner: ptr("alice")})
	if want := []string{cat5.ID, cat1.ID}; !slices.Equal(all, want) {
		t.Errorf("tag cat, owner alice = %v, want %v", all, want)
	}
	if all, _ := allPages(t, s, gallery.ImageFilter{All: true, Tag: "ca"}); len(all) != 0 {
		t.Errorf("tag ca matched %v; tags match whole", all)
	}
}

func TestImageService_FindImages_SHA256(t *testing.T) {
	s, _, _ := newService(t)
	a := create(t, s, "alice", "shared", "x")
	create(t, s, "alice", "other")
	b := create(t, s, "bob", "shared")
	c := create(t, s, "", "shared", "x")

	for _, tt := range []struct {
		name   string
		filter gallery.ImageFilter
		want   []string
	}{
		{"all owners", gallery.ImageFilter{All: true, SHA256: a.SHA256}, []string{c.ID, b.ID, a.ID}},
		{"upper case", gallery.ImageFilter{All: true, SHA256: strings.ToUpper(a.SHA256)}, []string{c.ID, b.ID, a.ID}},
		{"owner", gallery.ImageFilter{All: true, SHA256: a.SHA256, Owner: ptr("bob")}, []string{b.ID}},
		{"no owner", gallery.ImageFilter{All: true, SHA256: a.SHA256, Owner: ptr("")}, []string{c.ID}},
		{"owner without it", gallery.ImageFilter{All: true, SHA256: a.SHA256, Owner: ptr("carol")}, []string{}},
		{"with tag", gallery.ImageFilter{All: true, SHA256: a.SHA256, Tag: "X"}, []string{c.ID, a.ID}},
		{"paged", gallery.ImageFilter{All: true, SHA256: a.SHA256, Limit: 1}, []string{c.ID, b.ID, a.ID}},
		{"unknown", gallery.ImageFilter{All: true, SHA256: shaOf("nothing")}, []string{}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			all, _ := allPages(t, s, tt.filter)
			if !slices.Equal(all, tt.want) && !(len(all) == 0 && len(tt.want) == 0) {
				t.Errorf("got %v, want %v", all, tt.want)
			}
		})
	}
	p, next, err := s.FindImages(context.Background(), gallery.ImageFilter{All: true, SHA256: a.SHA256, Cursor: b.ID})
	if err != nil || !slices.Equal(ids(p), []string{a.ID}) || next != "" {
		t.Errorf("after cursor = %v %q %v, want [%s]", ids(p), next, err, a.ID)
	}
}

func TestImageService_FindImages_Owner(t *testing.T) {
	s, _, _ := newService(t)
	a1 := create(t, s, "alice", "1")
	b := create(t, s, "bob", "2")
	a2 := create(t, s, "alice", "3")
	n := create(t, s, "", "4")
	for _, tt := range []struct {
		owner *string
		want  []string
	}{
		{ptr("alice"), []string{a2.ID, a1.ID}},
		{ptr("bob"), []string{b.ID}},
		{ptr(""), []string{n.ID}},
		{ptr("carol"), nil},
		{nil, []string{n.ID, a2.ID, b.ID, a1.ID}},
	} {
		all, _ := allPages(t, s, gallery.ImageFilter{All: true, Owner: tt.owner, Limit: 1})
		if !slices.Equal(all, tt.want) {
			t.Errorf("owner %v = %v, want %v", tt.owner, all, tt.want)
		}
	}
}

func TestImageService_FindImageByID_NotFound(t *testing.T) {
	s, _, _ := newService(t)
	img := create(t, s, "alice", "x")
	last := img.ID[idLen-1]
	for _, id := range []string{
		"", "abc", strings.ToUpper(img.ID), img.ID + "0", img.ID[:idLen-1],
		"../../etc/passwd", strings.Repeat("w", idLen),
		img.ID[:idLen-1] + string(last+1), // non-zero bits past the 128
		strings.Repeat("0", idLen),        // well formed, never made
	} {
		_, err := s.FindImageByID(context.Background(), id)
		wantCode(t, err, gallery.ENOTFOUND)
		if msg := gallery.ErrorMessage(err); msg != "image not found" {
			t.Errorf("message %q", msg)
		}
		_, err = s.UpdateImage(context.Background(), id, gallery.ImageUpdate{Title: ptr("t")})
		wantCode(t, err, gallery.ENOTFOUND)
		wantCode(t, s.DeleteImage(context.Background(), id), gallery.ENOTFOUND)
	}
}

func TestImageService_UpdateImage_OK(t *testing.T) {
	s, _, clock := newService(t)
	ctx := context.Background()
	img := create(t, s, "alice", "x", "old", "keep")
	clock.Add(time.Hour)

	got, err := s.UpdateImage(ctx, img.ID, gallery.ImageUpdate{
		Title:       ptr(" New title "),
		Description: ptr("line one\nline two"),
		Tags:        &[]string{"keep", "New"},
		Visibility:  ptr(gallery.Private),
	})
	if err != nil {
		t.Fatal(err)
	}
	if got.Title != "New title" || got.Description != "line one\nline two" || got.Visibility != gallery.Private ||
		!slices.Equal(got.Tags, []string{"keep", "New"}) {
		t.Errorf("updated = %+v", got)
	}
	if !got.UpdatedAt.Equal(clock.Now()) || !got.CreatedAt.Equal(img.CreatedAt) {
		t.Errorf("CreatedAt, UpdatedAt = %v, %v; want %v, %v", got.CreatedAt, got.UpdatedAt, img.CreatedAt, clock.Now())
	}
	if got.SHA256 != img.SHA256 || got.Owner != img.Owner || got.Bytes != img.Bytes {
		t.Errorf("update changed what it may not: %+v", got)
	}
	if stored, err := s.FindImageByID(ctx, img.ID); err != nil || !sameImage(stored, got) {
		t.Errorf("stored = %+v, %v; want %+v", stored, err, got)
	}

	for tag, want := range map[string]int{"old": 0, "keep": 1, "new": 1} {
		if all, _ := allPages(t, s, gallery.ImageFilter{All: true, Tag: tag}); len(all) != want {
			t.Errorf("tag %q finds %d images, want %d", tag, len(all), want)
		}
	}

	// A partial update leaves the other fields alone.
	clock.Add(time.Minute)
	got2, err := s.UpdateImage(ctx, img.ID, gallery.ImageUpdate{Title: ptr("Third")})
	if err != nil || got2.Title != "Third" || !slices.Equal(got2.Tags, got.Tags) || got2.Description != got.Description {
		t.Errorf("partial update = %+v, %v", got2, err)
	}
	if !got2.UpdatedAt.After(got.UpdatedAt) {
		t.Errorf("UpdatedAt did not move: %v then %v", got.UpdatedAt, got2.UpdatedAt)
	}
}

func TestImageService_UpdateImage_Invalid(t *testing.T) {
	s, _, clock := newService(t)
	img := create(t, s, "alice", "x", "tag")
	clock.Add(time.Hour)
	for _, tt := range []struct {
		name string
		upd  gallery.ImageUpdate
	}{
		{"empty title", gallery.ImageUpdate{Title: ptr("  ")}},
		{"long title", gallery.ImageUpdate{Title: ptr(strings.Repeat("t", gallery.MaxTitleLen+1))}},
		{"control in description", gallery.ImageUpdate{Description: ptr("a\x00b")}},
		{"too many tags", gallery.ImageUpdate{Tags: ptr(manyTags(gallery.MaxTags + 1))}},
		{"control in tag", gallery.ImageUpdate{Tags: &[]string{"a\x00b"}}},
		{"visibility", gallery.ImageUpdate{Visibility: ptr(gallery.Visibility("friends"))}},
		{"good title, bad tags", gallery.ImageUpdate{Title: ptr("fine"), Tags: &[]string{"\x01"}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.UpdateImage(context.Background(), img.ID, tt.upd)
			wantCode(t, err, gallery.EINVALID)
			got, err := s.FindImageByID(context.Background(), img.ID)
			if err != nil || !sameImage(got, img) {
				t.Errorf("stored image changed: %+v, %v", got, err)
			}
		})
	}
}

func TestImageService_DeleteImage_OK(t *testing.T) {
	s, db, _ := newService(t)
	ctx := context.Background()
	keep := create(t, s, "alice", "keep", "t")
	gone := create(t, s, "alice", "gone", "t")
	if err := s.DeleteImage(ctx, gone.ID); err != nil {
		t.Fatal(err)
	}
	_, err := s.FindImageByID(ctx, gone.ID)
	wantCode(t, err, gallery.ENOTFOUND)
	wantCode(t, s.DeleteImage(ctx, gone.ID), gallery.ENOTFOUND)
	if _, err := os.Stat(db.blobPath(gone.SHA256)); !os.IsNotExist(err) {
		t.Errorf("blob of the deleted image: %v", err)
	}
	if all, _ := allPages(t, s, gallery.ImageFilter{All: true, Tag: "t"}); !slices.Equal(all, []string{keep.ID}) {
		t.Errorf("tag index after delete = %v", all)
	}
	if readBlob(t, s, keep.SHA256) != "keep" {
		t.Error("the other image's bytes changed")
	}
}

func TestImageService_OpenBlob(t *testing.T) {
	s, _, _ := newService(t)
	ctx := context.Background()
	img := create(t, s, "alice", "0123456789")

	f, err := s.OpenBlob(ctx, strings.ToUpper(img.SHA256))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Seek(5, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	if b, _ := io.ReadAll(f); string(b) != "56789" {
		t.Errorf("read after seek = %q", b)
	}

	for _, sha := range []string{"", "abc", "../" + img.SHA256[3:], strings.Repeat("g", 64), shaOf("never stored")} {
		_, err := s.OpenBlob(ctx, sha)
		wantCode(t, err, gallery.ENOTFOUND)
	}
}

func manyTags(n int) []string {
	tags := make([]string, n)
	for i := range tags {
		tags[i] = "tag" + strconv.Itoa(i)
	}
	return tags
}

// TestImageService_CreateImage_HealsDamagedBytes: stored bytes damaged on
// disk (changed, cut short, gone) are put right by the next upload of the
// same bytes, whoever makes it and whichever path it takes; intact bytes
// are left as they are.
func TestImageService_CreateImage_HealsDamagedBytes(t *testing.T) {
	const body = "the bytes of a photo"
	damage := map[string]func(path string){
		"changed": func(p string) { os.WriteFile(p, []byte("the bytes of a phot0"), 0o600) },
		"cut":     func(p string) { os.WriteFile(p, []byte(body[:5]), 0o600) },
		"gone":    func(p string) { os.Remove(p) },
	}
	uploads := map[string]func(t *testing.T, s *ImageService){
		"the owner again": func(t *testing.T, s *ImageService) {
			if _, dup, err := s.CreateImage(context.Background(), newImage("alice"), strings.NewReader(body)); err != nil || !dup {
				t.Fatalf("dup = %v, err = %v", dup, err)
			}
		},
		"someone else": func(t *testing.T, s *ImageService) { create(t, s, "bob", body) },
		"a batch": func(t *testing.T, s *ImageService) {
			if _, err := s.CreateImages(context.Background(), []NewImage{{Image: newImage("bob"), Body: []byte(body)}}); err != nil {
				t.Fatal(err)
			}
		},
	}
	for dname, hurt := range damage {
		for uname, upload := range uploads {
			t.Run(dname+", "+uname, func(t *testing.T) {
				s, db, _ := newService(t)
				a := create(t, s, "alice", body)
				hurt(db.blobPath(a.SHA256))
				upload(t, s)
				if got := readBlob(t, s, a.SHA256); got != body {
					t.Fatalf("alice's bytes after the upload: %q", got)
				}
			})
		}
	}
	// Bytes it cannot read for a cause that may be the system's (here a
	// loop of links; too many open files, a disk error) are not taken to
	// be damaged and replaced on a guess: the upload fails instead.
	tries := map[string]func(s *ImageService) error{
		"the owner again": func(s *ImageService) error {
			_, _, err := s.CreateImage(context.Background(), newImage("alice"), strings.NewReader(body))
			return err
		},
		"someone else": func(s *ImageService) error {
			_, _, err := s.CreateImage(context.Background(), newImage("bob"), strings.NewReader(body))
			return err
		},
		"a batch": func(s *ImageService) error {
			_, err := s.CreateImages(context.Background(), []NewImage{{Image: newImage("bob"), Body: []byte(body)}})
			return err
		},
	}
	for uname, try := range tries {
		t.Run("unreadable, "+uname, func(t *testing.T) {
			s, db, _ := newService(t)
			a := create(t, s, "alice", body)
			path := db.blobPath(a.SHA256)
			if err := os.Remove(path); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(filepath.Base(path), path); err != nil {
				t.Fatal(err)
			}
			if err := try(s); err == nil || !strings.Contains(err.Error(), "too many levels of symbolic links") {
				t.Errorf("upload over unreadable bytes: %v", err)
			}
			if fi, err := os.Lstat(path); err != nil || fi.Mode()&os.ModeSymlink == 0 {
				t.Errorf("the unreadable blob was replaced (%v)", err)
			}
			os.Remove(path) // for the check at cleanup
			if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
				t.Fatal(err)
			}
		})
	}
	t.Run("intact", func(t *testing.T) {
		s, db, _ := newService(t)
		a := create(t, s, "alice", body)
		before, err := os.Stat(db.blobPath(a.SHA256))
		if err != nil {
			t.Fatal(err)
		}
		create(t, s, "bob", body)
		after, err := os.Stat(db.blobPath(a.SHA256))
		if err != nil || !os.SameFile(before, after) {
			t.Fatalf("intact bytes were written again (%v)", err)
		}
	})
}

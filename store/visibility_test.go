package store

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"imagerepo/gallery"
)

// FindImages shows each viewer what it may see, and counts only that toward
// the limit and the next cursor: with another user's private images
// interleaved, no page comes back short while more visible images exist.
func TestImageService_FindImages_Visibility(t *testing.T) {
	e := newEnv(t)
	alice := e.addUser(t, "alice", gallery.RoleUser)
	bob := e.addUser(t, "bob", gallery.RoleUser)
	root := e.addUser(t, "root", gallery.RoleAdmin)
	exAdmin := e.addUser(t, "ex", gallery.RoleAdmin)
	exAdmin.Disabled = true

	// Oldest first: bob's private images at both ends and between every
	// other image, so that every page boundary falls among them.
	var made []*gallery.Image
	add := func(owner string, vis gallery.Visibility) {
		made = append(made, createAs(t, e.images, owner, fmt.Sprintf("image %d", len(made)), vis, "t"))
	}
	for range 3 {
		add("bob", gallery.Private)
	}
	for i := range 20 {
		switch {
		case i%2 == 0:
			add("bob", gallery.Private)
		case i%5 == 1:
			add("alice", gallery.Private)
		case i%3 == 0:
			add("bob", gallery.Public)
		default:
			add("alice", gallery.Public)
		}
	}
	for range 4 {
		add("bob", gallery.Private)
	}

	// want lists, newest first, the images that pass keep.
	want := func(keep func(img *gallery.Image) bool) []string {
		var out []string
		for _, img := range slices.Backward(made) {
			if keep(img) {
				out = append(out, img.ID)
			}
		}
		return out
	}
	public := func(img *gallery.Image) bool { return img.Visibility == gallery.Public }
	ownedBy := func(name string) func(*gallery.Image) bool {
		return func(img *gallery.Image) bool { return img.Owner == name }
	}
	or := func(a, b func(*gallery.Image) bool) func(*gallery.Image) bool {
		return func(img *gallery.Image) bool { return a(img) || b(img) }
	}
	and := func(a, b func(*gallery.Image) bool) func(*gallery.Image) bool {
		return func(img *gallery.Image) bool { return a(img) && b(img) }
	}
	every := func(*gallery.Image) bool { return true }

	for _, tt := range []struct {
		name   string
		filter gallery.ImageFilter
		want   []string
	}{
		{"anonymous", gallery.ImageFilter{}, want(public)},
		{"owner alice", gallery.ImageFilter{Viewer: alice}, want(or(public, ownedBy("alice")))},
		{"owner bob", gallery.ImageFilter{Viewer: bob}, want(or(public, ownedBy("bob")))},
		{"admin", gallery.ImageFilter{Viewer: root}, want(every)},
		{"disabled admin", gallery.ImageFilter{Viewer: exAdmin}, want(public)},
		{"all, no viewer", gallery.ImageFilter{All: true}, want(every)},
		{"tag, anonymous", gallery.ImageFilter{Tag: "t"}, want(public)},
		{"tag, alice", gallery.ImageFilter{Tag: "t", Viewer: alice}, want(or(public, ownedBy("alice")))},
		{"bob's, anonymous", gallery.ImageFilter{Owner: ptr("bob")}, want(and(public, ownedBy("bob")))},
		{"bob's, alice", gallery.ImageFilter{Owner: ptr("bob"), Viewer: alice}, want(and(public, ownedBy("bob")))},
		{"bob's, bob", gallery.ImageFilter{Owner: ptr("bob"), Viewer: bob}, want(ownedBy("bob"))},
		{"alice's, admin", gallery.ImageFilter{Owner: ptr("alice"), Viewer: root}, want(ownedBy("alice"))},
		{"alice's private only, anonymous", gallery.ImageFilter{Owner: ptr("alice"), Tag: "none"}, nil},
	} {
		for _, limit := range []int{1, 2, 3, 50} {
			t.Run(fmt.Sprintf("%s/limit %d", tt.name, limit), func(t *testing.T) {
				f := tt.filter
				f.Limit = limit
				got := fullPages(t, e.images, f)
				if !slices.Equal(got, tt.want) {
					t.Errorf("got %d images %v\nwant %d %v", len(got), got, len(tt.want), tt.want)
				}
			})
		}
	}

	// The sha256 filter keeps the owner restriction and visibility too.
	private := made[0]
	for _, tt := range []struct {
		name   string
		viewer *gallery.User
		want   int
	}{{"anonymous", nil, 0}, {"alice", alice, 0}, {"bob", bob, 1}, {"admin", root, 1}} {
		got := fullPages(t, e.images, gallery.ImageFilter{SHA256: private.SHA256, Viewer: tt.viewer})
		if len(got) != tt.want {
			t.Errorf("sha256 of bob's private image, %s: %v", tt.name, got)
		}
	}
}

// fullPages walks every page of filter and fails the test when a page other
// than the last is not full, or the last is empty while images exist.
func fullPages(t *testing.T, s *ImageService, f gallery.ImageFilter) []string {
	t.Helper()
	var all []string
	for pages := 1; ; pages++ {
		imgs, next, err := s.FindImages(context.Background(), f)
		if err != nil {
			t.Fatalf("FindImages(%+v): %v", f, err)
		}
		all = append(all, ids(imgs)...)
		if next == "" {
			if len(imgs) == 0 && pages > 1 {
				t.Errorf("page %d is empty after a page that promised more", pages)
			}
			return all
		}
		if len(imgs) != f.Limit {
			t.Errorf("page %d holds %d images, want %d: a short page before the end", pages, len(imgs), f.Limit)
		}
		if next != imgs[len(imgs)-1].ID {
			t.Errorf("next %q is not the last image of the page", next)
		}
		if pages > 1000 {
			t.Fatal("FindImages never ends")
		}
		f.Cursor = next
	}
}

package store

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"imagerepo/gallery"
)

// Many owners create and delete the same few byte strings at once. Each
// owner's image must be readable for as long as the owner has not deleted
// it, and the cleanup check finds no document without bytes and no bytes
// without a document.
func TestImageService_Concurrent_SameBytes(t *testing.T) {
	s, db, _ := newService(t)
	ctx := context.Background()
	const owners, rounds, bodies = 8, 40, 3

	var wg sync.WaitGroup
	errs := make(chan error, owners*rounds)
	for o := range owners {
		wg.Go(func() {
			owner := fmt.Sprintf("owner%d", o)
			for r := range rounds {
				keep := r%4 == 3 // so that the end state is not empty
				body := fmt.Sprintf("shared bytes %d", (o+r)%bodies)
				if keep {
					body = fmt.Sprintf("kept by everyone %d", r) // an owner keeps each once
				}
				img, dup, err := s.CreateImage(ctx, newImage(owner, "t"), strings.NewReader(body))
				if err != nil || dup {
					errs <- fmt.Errorf("%s create: dup=%v err=%v", owner, dup, err)
					return
				}
				// Others delete the same bytes meanwhile; ours must stay.
				f, err := s.OpenBlob(ctx, img.SHA256)
				if err != nil {
					errs <- fmt.Errorf("%s: bytes of live image %s: %v", owner, img.ID, err)
					return
				}
				f.Close()
				if keep {
					continue
				}
				if err := s.DeleteImage(ctx, img.ID); err != nil {
					errs <- fmt.Errorf("%s delete: %v", owner, err)
					return
				}
			}
		})
	}
	// Readers page through meanwhile.
	for range 2 {
		wg.Go(func() {
			for range 50 {
				if _, _, err := s.FindImages(ctx, gallery.ImageFilter{All: true, Tag: "t", Limit: 5}); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}

	all, _ := allPages(t, s, gallery.ImageFilter{All: true})
	if want := owners * rounds / 4; len(all) != want {
		t.Errorf("%d images left, want %d", len(all), want)
	}
	if err := db.Verify(ctx); err != nil {
		t.Errorf("Verify:\n%v", err)
	}
}

// One owner uploading the same bytes from many requests at once gets one
// image, and every request gets its id.
func TestImageService_Concurrent_Duplicate(t *testing.T) {
	s, _, _ := newService(t)
	const n = 16
	var wg sync.WaitGroup
	ids := make([]string, n)
	dups := make([]bool, n)
	for i := range n {
		wg.Go(func() {
			img, dup, err := s.CreateImage(context.Background(), newImage("alice"), strings.NewReader("same"))
			if err != nil {
				t.Error(err)
				return
			}
			ids[i], dups[i] = img.ID, dup
		})
	}
	wg.Wait()
	fresh := 0
	for i := range n {
		if !dups[i] {
			fresh++
		}
		if ids[i] != ids[0] {
			t.Errorf("request %d got %s, request 0 got %s", i, ids[i], ids[0])
		}
	}
	if fresh != 1 {
		t.Errorf("%d requests created an image, want 1", fresh)
	}
}

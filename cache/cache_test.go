package cache_test

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"sync"
	"testing"

	"imagerepo/cache"
	"imagerepo/gallery"
	"imagerepo/store"
)

// openStore is a real bbolt store in a temp dir.
func openStore(t testing.TB) *store.ImageService {
	t.Helper()
	db, err := store.Open(t.TempDir(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Error(err)
		}
	})
	return store.NewImageService(db)
}

func pngOf(t testing.TB, seed int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 2, 2))
	img.Set(0, 0, color.RGBA{uint8(seed), uint8(seed >> 8), 7, 255})
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func create(t testing.TB, s gallery.ImageService, seed int) *gallery.Image {
	t.Helper()
	img := &gallery.Image{Title: fmt.Sprint("image ", seed), Tags: []string{"a"}, Visibility: gallery.Public,
		Filename: "x.png", ContentType: "image/png", Width: 2, Height: 2}
	created, _, err := s.CreateImage(context.Background(), img, bytes.NewReader(pngOf(t, seed)))
	if err != nil {
		t.Fatal(err)
	}
	return created
}

func TestImageService_FindImageByID_MissThenHit(t *testing.T) {
	c := cache.New(openStore(t), 10)
	img := create(t, c, 1)

	ctx, st := gallery.WithCacheStatus(context.Background())
	if _, err := c.FindImageByID(ctx, img.ID); err != nil {
		t.Fatal(err)
	} else if !st.Looked || st.Hit {
		t.Fatalf("first lookup: %+v, want a miss", *st)
	}
	ctx, st = gallery.WithCacheStatus(context.Background())
	got, err := c.FindImageByID(ctx, img.ID)
	if err != nil {
		t.Fatal(err)
	} else if !st.Hit {
		t.Fatal("second lookup was not a hit")
	} else if got.Title != img.Title {
		t.Fatalf("title = %q", got.Title)
	}
	if s := c.Stats(); s.Hits != 1 || s.Misses != 1 || s.Len != 1 || s.Size != 10 {
		t.Fatalf("stats = %+v", s)
	}
}

func TestImageService_FindImageByID_NotFoundIsNotCached(t *testing.T) {
	c := cache.New(openStore(t), 10)
	for range 2 {
		if _, err := c.FindImageByID(context.Background(), "00000000000000000000000000"); gallery.ErrorCode(err) != gallery.ENOTFOUND {
			t.Fatalf("err = %v", err)
		}
	}
	if s := c.Stats(); s.Hits != 0 || s.Len != 0 {
		t.Fatalf("stats = %+v", s)
	}
}

func TestImageService_FindImageByID_ValuesImmutable(t *testing.T) {
	c := cache.New(openStore(t), 10)
	img := create(t, c, 1)
	for range 2 { // once from the miss, once from the hit
		got, err := c.FindImageByID(context.Background(), img.ID)
		if err != nil {
			t.Fatal(err)
		}
		got.Title = "changed"
		got.Tags[0] = "changed"
	}
	got, err := c.FindImageByID(context.Background(), img.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Title != img.Title || got.Tags[0] != "a" {
		t.Fatalf("cached value was changed by a caller: %+v", got)
	}
}

func TestImageService_Writes_Invalidate(t *testing.T) {
	c := cache.New(openStore(t), 10)
	img := create(t, c, 1)
	ctx := context.Background()
	if _, err := c.FindImageByID(ctx, img.ID); err != nil { // fill
		t.Fatal(err)
	}
	title := "renamed"
	if _, err := c.UpdateImage(ctx, img.ID, gallery.ImageUpdate{Title: &title}); err != nil {
		t.Fatal(err)
	}
	got, err := c.FindImageByID(ctx, img.ID)
	if err != nil || got.Title != title {
		t.Fatalf("after update: %v, %v", got, err)
	}
	if err := c.DeleteImage(ctx, img.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := c.FindImageByID(ctx, img.ID); gallery.ErrorCode(err) != gallery.ENOTFOUND {
		t.Fatalf("after delete: err = %v", err)
	}
}

func TestImageService_Add_CountsEvictions(t *testing.T) {
	c := cache.New(openStore(t), 2)
	var ids []string
	for i := range 3 {
		ids = append(ids, create(t, c, i).ID)
	}
	for _, id := range ids {
		if _, err := c.FindImageByID(context.Background(), id); err != nil {
			t.Fatal(err)
		}
	}
	if s := c.Stats(); s.Evictions != 1 || s.Len != 2 {
		t.Fatalf("stats = %+v", s)
	}
	// The oldest went; asking for it again is a miss.
	ctx, st := gallery.WithCacheStatus(context.Background())
	if _, err := c.FindImageByID(ctx, ids[0]); err != nil || st.Hit {
		t.Fatalf("evicted id: hit=%v err=%v", st.Hit, err)
	}
}

// pausing wraps the real store and holds a FindImageByID after it has read
// the store, until released: the window in which a stale fill can happen.
type pausing struct {
	gallery.ImageService
	read, release chan struct{}
}

func (p *pausing) FindImageByID(ctx context.Context, id string) (*gallery.Image, error) {
	img, err := p.ImageService.FindImageByID(ctx, id)
	if p.read != nil {
		p.read <- struct{}{}
		<-p.release
	}
	return img, err
}

func TestImageService_FindImageByID_NoStaleFill(t *testing.T) {
	// find is the look-up that misses: plain, or with the encoding kept
	// beside the document; it returns the title it saw.
	finds := map[string]func(c *cache.ImageService, id string) (string, error){
		"plain": func(c *cache.ImageService, id string) (string, error) {
			img, err := c.FindImageByID(context.Background(), id)
			if err != nil {
				return "", err
			}
			return img.Title, nil
		},
		"encoded": func(c *cache.ImageService, id string) (string, error) {
			enc, err := c.FindImageEncoded(context.Background(), id, func(img *gallery.Image) ([]byte, error) {
				return []byte(img.Title), nil
			})
			if err != nil {
				return "", err
			}
			return string(enc.Body), nil
		},
	}
	for name, find := range finds {
		for _, write := range []string{"delete", "update"} {
			t.Run(name+"/"+write, func(t *testing.T) {
				p := &pausing{ImageService: openStore(t)}
				c := cache.New(p, 10)
				img := create(t, c, 1)
				ctx := context.Background()

				p.read, p.release = make(chan struct{}), make(chan struct{})
				done := make(chan error)
				go func() {
					_, err := find(c, img.ID) // reads the old document, then waits
					done <- err
				}()
				<-p.read
				p.read = nil // the write below does not pause
				title := "new"
				var err error
				if write == "delete" {
					err = c.DeleteImage(ctx, img.ID)
				} else {
					_, err = c.UpdateImage(ctx, img.ID, gallery.ImageUpdate{Title: &title})
				}
				if err != nil {
					t.Fatal(err)
				}
				close(p.release) // the miss now tries to fill with what it read
				if err := <-done; err != nil {
					t.Fatal(err)
				}

				got, err := find(c, img.ID)
				if write == "delete" && gallery.ErrorCode(err) != gallery.ENOTFOUND {
					t.Fatalf("deleted image came back from the cache: %q, %v", got, err)
				}
				if write == "update" && (err != nil || got != title) {
					t.Fatalf("stale document came back from the cache: %q, %v", got, err)
				}
			})
		}
	}
}

// TestImageService_Concurrent runs reads and writes of the same ids at once
// (under -race in CI) and checks that the cache ends up agreeing with the
// store for every id.
func TestImageService_Concurrent(t *testing.T) {
	st := openStore(t)
	c := cache.New(st, 8)
	ctx := context.Background()
	var ids []string
	for i := range 12 {
		ids = append(ids, create(t, c, i).ID)
	}
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				id := ids[(w*7+i)%len(ids)]
				switch i % 10 {
				case 0:
					title := fmt.Sprint("w", w, "i", i)
					_, _ = c.UpdateImage(ctx, id, gallery.ImageUpdate{Title: &title})
				case 9:
					if w == 0 && i%50 == 9 {
						_ = c.DeleteImage(ctx, id)
					}
				default:
					_, _ = c.FindImageByID(ctx, id)
				}
			}
		}()
	}
	wg.Wait()
	for _, id := range ids {
		want, wantErr := st.FindImageByID(ctx, id)
		got, err := c.FindImageByID(ctx, id)
		if gallery.ErrorCode(err) != gallery.ErrorCode(wantErr) {
			t.Fatalf("%s: cache err %v, store err %v", id, err, wantErr)
		}
		if err == nil && (got.Title != want.Title || !got.UpdatedAt.Equal(want.UpdatedAt)) {
			t.Fatalf("%s: cache has %q, store has %q", id, got.Title, want.Title)
		}
	}
}

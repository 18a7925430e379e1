package search_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"imagerepo/gallery"
	"imagerepo/search"
)

func TestIndex_SearchImages_CameraAndTaken(t *testing.T) {
	day := func(d int) *time.Time { tm := time.Date(2023, 6, d, 12, 0, 0, 0, time.UTC); return &tm }
	type spec struct {
		title string
		cam   *gallery.Camera
		taken *time.Time
	}
	specs := []spec{
		{"Beach at dawn", &gallery.Camera{Make: "Canon", Model: "Canon EOS 5D Mark IV"}, day(1)},
		{"Beach at noon", &gallery.Camera{Make: "Apple", Model: "iPhone 13 Pro"}, day(2)},
		{"Forest", &gallery.Camera{Make: "NIKON CORPORATION", Model: "NIKON D750"}, day(3)},
		{"Beach, no EXIF", nil, nil},
		{"Lake, time only", nil, day(5)},
	}
	var imgs []*gallery.Image
	byID := map[string]string{}
	for i, s := range specs {
		img := fixtureImage(i, s.title)
		img.Camera, img.TakenAt = s.cam, s.taken
		imgs = append(imgs, img)
		byID[img.ID] = s.title
	}
	idx := openIndex(t, t.TempDir(), search.Options{Source: newMemSource(imgs...)})
	tests := []struct {
		name string
		q    gallery.SearchQuery
		want []string
	}{
		{"camera exact, any case", gallery.SearchQuery{Camera: "canon eos 5d mark iv"}, []string{"Beach at dawn"}},
		{"camera make and model", gallery.SearchQuery{Camera: "Apple iPhone 13 Pro"}, []string{"Beach at noon"}},
		{"camera make only", gallery.SearchQuery{Camera: "NIKON"}, []string{"Forest"}},
		{"camera model words", gallery.SearchQuery{Camera: "iphone"}, []string{"Beach at noon"}},
		{"camera not there", gallery.SearchQuery{Camera: "pentax"}, nil},
		{"camera words must all match", gallery.SearchQuery{Camera: "canon iphone"}, nil},
		{"taken from", gallery.SearchQuery{TakenFrom: day(2)}, []string{"Beach at noon", "Forest", "Lake, time only"}},
		{"taken to is exclusive", gallery.SearchQuery{TakenTo: day(2)}, []string{"Beach at dawn"}},
		{"taken range", gallery.SearchQuery{TakenFrom: day(2), TakenTo: day(4)}, []string{"Beach at noon", "Forest"}},
		{"taken from the far past: only known times", gallery.SearchQuery{TakenFrom: ptr(time.Time{})}, []string{"Beach at dawn", "Beach at noon", "Forest", "Lake, time only"}},
		{"taken empty range", gallery.SearchQuery{TakenFrom: day(3), TakenTo: day(3)}, nil},
		{"text and camera", gallery.SearchQuery{Text: "beach", Camera: "canon"}, []string{"Beach at dawn"}},
		{"text and taken", gallery.SearchQuery{Text: "beach", TakenFrom: day(2)}, []string{"Beach at noon"}},
		{"camera and taken", gallery.SearchQuery{Camera: "canon", TakenFrom: day(2)}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := mustSearch(t, idx, tt.q)
			got := []string{}
			for _, id := range res.IDs {
				got = append(got, byID[id])
			}
			want := slices.Clone(tt.want)
			if want == nil {
				want = []string{}
			}
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) || res.Total != len(want) {
				t.Fatalf("got %q (total %d), want %q", got, res.Total, want)
			}
		})
	}
}

// TestImageService_SetMedia_Reindexes: the media migration's write goes
// through the decorator, which re-indexes the image (its camera and time
// taken become searchable) and keeps the index in step, so that the next
// start does not rebuild it.
func TestImageService_SetMedia_Reindexes(t *testing.T) {
	e := openEnv(t, t.TempDir())
	ctx := context.Background()
	img := e.create("Old photo", "alice", gallery.Public)
	admin := &gallery.User{Username: "root", Role: gallery.RoleAdmin}
	if res := mustSearch(t, e.idx, gallery.SearchQuery{Camera: "canon", Viewer: admin}); res.Total != 0 {
		t.Fatalf("found before SetMedia: %+v", res)
	}
	taken := time.Date(2023, 7, 14, 18, 30, 5, 0, time.UTC)
	p := &gallery.Processed{
		Small:  gallery.ThumbData{Size: gallery.ThumbSmall, ContentType: "image/jpeg", Width: 2, Height: 1, Data: []byte("s")},
		Large:  gallery.ThumbData{Size: gallery.ThumbLarge, ContentType: "image/jpeg", Width: 4, Height: 2, Data: []byte("l")},
		Camera: &gallery.Camera{Make: "Canon", Model: "EOS R5"}, TakenAt: &taken, Hash: 1,
	}
	if _, err := e.svc.SetMedia(ctx, img.ID, p); err != nil {
		t.Fatal(err)
	}
	for _, q := range []gallery.SearchQuery{
		{Camera: "canon eos r5", Viewer: admin},
		{TakenFrom: &taken, Viewer: admin},
		{Text: "old", Camera: "eos", Viewer: admin},
	} {
		if res := mustSearch(t, e.idx, q); res.Total != 1 || res.IDs[0] != img.ID {
			t.Errorf("%+v: %+v", q, res)
		}
	}
	e = e.reopen()
	if e.rebuilt() {
		t.Errorf("index rebuilt after SetMedia: %s", e.log.String())
	}
}

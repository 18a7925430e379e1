package gallery_test

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"imagerepo/gallery"
)

func TestSanitizeFilename(t *testing.T) {
	tests := []struct{ in, want string }{
		{"cat.png", "cat.png"},
		{"../../etc/passwd", "passwd"},
		{`C:\Users\me\holiday photo.jpg`, "holiday photo.jpg"},
		{"a\x00b\nc.png", "abc.png"},
		{`"quoted"<tag>.gif`, "quotedtag.gif"},
		{"..", "image"},
		{"", "image"},
		{"/", "image"},
		{"\xff\xfeok.png", "ok.png"},
		{"Café.webp", "Café.webp"},
		{"\u202egnp.exe", "gnp.exe"},
		{strings.Repeat("é", 200) + ".png", strings.Repeat("é", 127)},
	}
	for _, tt := range tests {
		if got := gallery.SanitizeFilename(tt.in); got != tt.want {
			t.Errorf("SanitizeFilename(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if got := gallery.SanitizeFilename(tt.in); len(got) > gallery.MaxFilenameLen || strings.ContainsAny(got, "/\\\x00") {
			t.Errorf("SanitizeFilename(%q) = %q is not safe", tt.in, got)
		}
	}
}

func TestNormalizeTags(t *testing.T) {
	tests := []struct {
		name    string
		in      []string
		want    []string
		wantErr bool
	}{
		{"trims and drops empty", []string{" sea ", "", "  "}, []string{"sea"}, false},
		{"repeats ignore case, first spelling kept", []string{"Sea", "sea", "SEA", "sun"}, []string{"Sea", "sun"}, false},
		{"nil is empty", nil, []string{}, false},
		{"control characters", []string{"a\tb"}, nil, true},
		{"too long", []string{strings.Repeat("x", gallery.MaxTagLen+1)}, nil, true},
		{"too many", make51(), nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := gallery.NormalizeTags(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v", err)
			}
			if err != nil {
				if gallery.ErrorCode(err) != gallery.EINVALID {
					t.Fatalf("code = %q", gallery.ErrorCode(err))
				}
				return
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func make51() []string {
	var tags []string
	for i := range 51 {
		tags = append(tags, strings.Repeat("t", i+1))
	}
	return tags
}

func TestImageUpdate_Apply(t *testing.T) {
	str := func(s string) *string { return &s }
	vis := func(v gallery.Visibility) *gallery.Visibility { return &v }
	tests := []struct {
		name    string
		upd     gallery.ImageUpdate
		want    string // title after
		wantErr bool
	}{
		{"nothing changes nothing", gallery.ImageUpdate{}, "old", false},
		{"title trimmed", gallery.ImageUpdate{Title: str("  new  ")}, "new", false},
		{"empty title refused", gallery.ImageUpdate{Title: str("  ")}, "", true},
		{"title too long", gallery.ImageUpdate{Title: str(strings.Repeat("x", gallery.MaxTitleLen+1))}, "", true},
		{"title with newline", gallery.ImageUpdate{Title: str("a\nb")}, "", true},
		{"description may have newlines", gallery.ImageUpdate{Description: str("a\nb")}, "old", false},
		{"bad visibility", gallery.ImageUpdate{Visibility: vis("everyone")}, "", true},
		{"good visibility", gallery.ImageUpdate{Visibility: vis(gallery.Private)}, "old", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			img := &gallery.Image{Title: "old", Visibility: gallery.Public}
			err := tt.upd.Apply(img)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v", err)
			}
			if err == nil && img.Title != tt.want {
				t.Fatalf("title = %q, want %q", img.Title, tt.want)
			}
		})
	}
}

func TestErrorCode(t *testing.T) {
	if gallery.ErrorCode(nil) != "" {
		t.Fatal("nil error has a code")
	}
	if c := gallery.ErrorCode(gallery.Errorf(gallery.ENOTFOUND, "x")); c != gallery.ENOTFOUND {
		t.Fatalf("code = %q", c)
	}
	if m := gallery.ErrorMessage(errString("disk on fire at /var/secret")); strings.Contains(m, "secret") {
		t.Fatalf("internal error text leaked: %q", m)
	}
}

type errString string

func (e errString) Error() string { return string(e) }

func TestImage_Clone(t *testing.T) {
	img := &gallery.Image{Tags: []string{"a"}}
	c := img.Clone()
	c.Tags[0] = "b"
	if img.Tags[0] != "a" {
		t.Fatal("clone shares tags")
	}
}

func TestImage_Clone_Media(t *testing.T) {
	taken := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	img := &gallery.Image{
		Camera:   &gallery.Camera{Model: "a"},
		TakenAt:  &taken,
		Location: &gallery.Location{Latitude: 1},
		Thumbs:   []gallery.Thumb{{Size: gallery.ThumbSmall, SHA256: "a"}},
	}
	c := img.Clone()
	c.Camera.Model = "b"
	*c.TakenAt = c.TakenAt.Add(time.Hour)
	c.Location.Latitude = 2
	c.Thumbs[0].SHA256 = "b"
	if img.Camera.Model != "a" || !img.TakenAt.Equal(taken) || img.Location.Latitude != 1 || img.Thumbs[0].SHA256 != "a" {
		t.Fatalf("clone shares camera data or thumbnails: %+v", img)
	}
	if img.Thumb(gallery.ThumbSmall) == nil || img.Thumb(gallery.ThumbLarge) != nil {
		t.Error("Thumb by size")
	}
}

// A clone equals its original, field by field, for any number of tags and
// thumbnails; changing or appending to the clone's slices leaves the
// original alone.
func TestImage_Clone_Equal(t *testing.T) {
	taken := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, n := range []int{0, 1, 4, 5, 9} {
		img := &gallery.Image{
			ID: "x", Title: "t", Owner: "ann", Visibility: gallery.Public, Bytes: 10, Width: 3, Height: 2,
			CreatedAt: taken, UpdatedAt: taken, Hash: 7,
			Camera:   &gallery.Camera{Make: "m", Model: "a", ISO: 100},
			TakenAt:  &taken,
			Location: &gallery.Location{Latitude: 1, Longitude: 2},
		}
		for i := range n {
			img.Tags = append(img.Tags, fmt.Sprint("tag", i))
			img.Thumbs = append(img.Thumbs, gallery.Thumb{Size: fmt.Sprint("s", i), SHA256: fmt.Sprint(i)})
		}
		c := img.Clone()
		want := *img
		if want.Tags == nil {
			want.Tags = []string{} // a clone's tags are never nil: they encode as []
		}
		if !reflect.DeepEqual(*c, want) {
			t.Fatalf("%d tags: clone %+v, want %+v", n, *c, want)
		}
		c.Tags = append(c.Tags, "more")
		c.Thumbs = append(c.Thumbs, gallery.Thumb{Size: "more"})
		c.Tags[0], c.Thumbs[0].Size = "changed", "changed"
		if n > 0 && (img.Tags[0] != "tag0" || img.Thumbs[0].Size != "s0") {
			t.Fatalf("%d tags: appending to the clone changed the original", n)
		}
		if len(img.Tags) != n || len(img.Thumbs) != n {
			t.Fatalf("%d tags: original's lengths changed", n)
		}
	}
}

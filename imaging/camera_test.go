package imaging_test

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"imagerepo/gallery"
	"imagerepo/imaging"
)

// TestReadExif_CameraFiles reads the EXIF of real camera and phone files
// (testdata/camera, sources in testdata/README.md). The expected values are
// those two other readers give for the same files: goexif's regression
// table and imagemeta's JSON dump.
func TestReadExif_CameraFiles(t *testing.T) {
	type want struct {
		make, model, lens, exposure string
		taken                       string // RFC 3339
		fnumber, focal              float64
		iso, orientation            int
		lat, lon                    float64 // 0: no position
	}
	for _, tt := range []struct {
		file string
		want want
	}{
		{"canon-t4i-lens.jpg", want{"Canon", "Canon EOS REBEL T4i", "EF-S18-55mm f/3.5-5.6 IS II", "1/30",
			"2012-12-21T11:15:19Z", 4.5, 24, 1600, 1, 0, 0}},
		{"htc-adr6400l-gps.jpg", want{"HTC", "ADR6400L", "", "",
			"2012-12-19T21:38:40Z", 0, 4.57, 801, 0, 40 + 46.0/60 + 13.22/3600, -(111 + 53.0/60 + 28.40/3600)}},
		{"polaroid-i532.jpg", want{"Polaroid", "Polaroid i532", "", "1/60",
			"2013-02-05T23:12:09Z", 2.8, 5.954, 100, 1, 0, 0}},
		{"has-lens-info.jpg", want{"Apple", "iPhone 4S", "iPhone 4S back camera 4.28mm f/2.4", "1/1284",
			"2014-09-01T15:03:47Z", 2.4, 4.28, 50, 6, 59 + 19.0/60 + 57.17/3600, 18 + 3.0/60 + 53.79/3600}},
		{"gopro-hero4.jpg", want{"GoPro", "HERO4 Silver", "", "1/60",
			"2016-10-11T16:59:50Z", 2.8, 3, 113, 1, 0, 0}},
		{"gps.jpg", want{"samsung", "SM-N920T", "", "1/13",
			"2018-04-28T21:23:12Z", 1.9, 4.3, 200, 1, 26.586666666666666, -80.05361111111111}},
	} {
		t.Run(tt.file, func(t *testing.T) {
			f, err := os.Open(filepath.Join("..", "testdata", "camera", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			x, err := imaging.ReadExif(f)
			if err != nil || x == nil {
				t.Fatalf("ReadExif: %+v, %v", x, err)
			}
			w := tt.want
			if x.Make != w.make || x.Model != w.model || x.Lens != w.lens || x.ExposureTime != w.exposure ||
				x.ISO != w.iso || x.Orientation != w.orientation {
				t.Errorf("got %+v, want %+v", *x, w)
			}
			if !within(x.FNumber, w.fnumber, 0.01) || !within(x.FocalLength, w.focal, 0.01) {
				t.Errorf("f/%v %v mm, want f/%v %v mm", x.FNumber, x.FocalLength, w.fnumber, w.focal)
			}
			taken, _ := time.Parse(time.RFC3339Nano, w.taken)
			if x.TakenAt == nil || !x.TakenAt.Equal(taken) {
				t.Errorf("taken at %v, want %v", x.TakenAt, taken)
			}
			if w.lat == 0 {
				if x.Latitude != nil || x.Longitude != nil {
					t.Errorf("a position where there is none: %v %v", *x.Latitude, *x.Longitude)
				}
			} else if x.Latitude == nil || x.Longitude == nil || !within(*x.Latitude, w.lat, 1e-6) || !within(*x.Longitude, w.lon, 1e-6) {
				t.Errorf("position %v %v, want %v %v", x.Latitude, x.Longitude, w.lat, w.lon)
			}
		})
	}
}

// TestProcess_CameraPhotos runs whole camera photos through the upload
// pipeline: the camera data comes out as ReadExif gives it, the thumbnails
// are made, and the location can be stripped from the original.
func TestProcess_CameraPhotos(t *testing.T) {
	for _, file := range []string{"gopro-hero4.jpg", "gps.jpg"} {
		t.Run(file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("..", "testdata", "camera", file))
			if err != nil {
				t.Fatal(err)
			}
			res, err := imaging.New(imaging.Limits{}).Process(t.Context(), bytes.NewReader(data))
			if err != nil {
				t.Fatal(err)
			}
			if res.EXIF == nil || res.EXIF.Make == "" || res.EXIF.TakenAt == nil {
				t.Errorf("EXIF %+v", res.EXIF)
			}
			if res.Large.Width == 0 || res.Small.Width == 0 || res.Small.Width > 320 || res.Small.Height > 320 {
				t.Errorf("thumbnails %dx%d, %dx%d", res.Large.Width, res.Large.Height, res.Small.Width, res.Small.Height)
			}
			var out bytes.Buffer
			if err := imaging.StripLocation(bytes.NewReader(data), &out); err != nil {
				t.Fatal(err)
			}
			x, err := imaging.ReadExif(bytes.NewReader(out.Bytes()))
			if err != nil || x == nil || x.Latitude != nil || x.Make != res.EXIF.Make {
				t.Errorf("after StripLocation: %+v, %v", x, err)
			}
		})
	}
}

// TestReadExif_HostileFiles reads the corrupt files goexif keeps for its
// own regressions (an IFD loop, a huge tag, offsets at 2^32-1): a result
// or an error, never a panic or a hang (the test's timeout is the guard).
func TestReadExif_HostileFiles(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "testdata", "hostile-exif", "*.jpg"))
	if err != nil || len(files) != 3 {
		t.Fatalf("hostile files: %v, %v", files, err)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := imaging.ReadExif(bytes.NewReader(data)); err != nil {
				t.Errorf("ReadExif: %v", err)
			}
			// Two files are cut short after their EXIF and are refused as
			// broken images; the loop is a whole 8×8 JPEG and is accepted.
			res, err := imaging.New(imaging.Limits{}).Process(t.Context(), bytes.NewReader(data))
			switch whole := strings.HasPrefix(filepath.Base(file), "infinite_loop"); {
			case whole && (err != nil || res.Large.Width != 8):
				t.Errorf("Process: %v", err)
			case !whole && err == nil:
				t.Error("a truncated JPEG was accepted")
			case !whole && gallery.ErrorCode(err) != gallery.EUNPROCESSABLE:
				t.Errorf("Process: %v, want an unprocessable-image error", err)
			}
		})
	}
}

func within(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

package imaging_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"testing"

	"imagerepo/imaging"
)

func process(t testing.TB, data []byte) *imaging.Result {
	t.Helper()
	res, err := imaging.New(imaging.Limits{}).Process(t.Context(), bytes.NewReader(data))
	if err != nil {
		t.Fatalf("Process: %v", err)
	}
	return res
}

// decodeThumb decodes a thumbnail, checking that its bytes are of the type
// and size it claims.
func decodeThumb(t testing.TB, th imaging.Thumbnail) image.Image {
	t.Helper()
	m, format, err := image.Decode(bytes.NewReader(th.Bytes))
	if err != nil {
		t.Fatalf("thumbnail does not decode: %v", err)
	}
	if "image/"+format != th.ContentType {
		t.Errorf("thumbnail is %s, says %s", format, th.ContentType)
	}
	if b := m.Bounds(); b.Dx() != th.Width || b.Dy() != th.Height {
		t.Errorf("thumbnail is %dx%d, says %dx%d", b.Dx(), b.Dy(), th.Width, th.Height)
	}
	return m
}

// Quadrant colours of the stored picture of the orientation test.
var (
	red   = color.RGBA{255, 0, 0, 255}
	green = color.RGBA{0, 255, 0, 255}
	blue  = color.RGBA{0, 0, 255, 255}
	white = color.RGBA{255, 255, 255, 255}
)

// quadrants is a w×h picture in four flat colours: red, green / blue,
// white, which no turn or mirror leaves as it is.
func quadrants(w, h int) *image.RGBA {
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			c := [2][2]color.RGBA{{red, green}, {blue, white}}[2*y/h][2*x/w]
			m.SetRGBA(x, y, c)
		}
	}
	return m
}

func near(a, b color.Color) bool {
	ar, ag, ab, _ := a.RGBA()
	br, bg, bb, _ := b.RGBA()
	d := func(x, y uint32) bool { return int(x>>8)-int(y>>8) < 48 && int(y>>8)-int(x>>8) < 48 }
	return d(ar, br) && d(ag, bg) && d(ab, bb)
}

// TestDecoder_Process_Orientation checks each EXIF orientation against the
// TIFF 6.0 table, which says where the stored first row and first column
// are shown: the quadrant colours of both thumbnails must be where the
// displayed picture has them, and the size must be the displayed one.
func TestDecoder_Process_Orientation(t *testing.T) {
	const w, h = 800, 600 // the large thumbnail keeps it, the small one scales it
	stored := encodeJPEG(t, quadrants(w, h), 95)
	// Displayed top-left, top-right, bottom-left, bottom-right.
	want := map[uint16][4]color.RGBA{
		1: {red, green, blue, white},
		2: {green, red, white, blue}, // row 0 at the top, column 0 on the right
		3: {white, blue, green, red}, // row 0 at the bottom, column 0 on the right
		4: {blue, white, red, green}, // row 0 at the bottom, column 0 on the left
		5: {red, blue, green, white}, // row 0 on the left, column 0 at the top
		6: {blue, red, white, green}, // row 0 on the right, column 0 at the top
		7: {white, green, blue, red}, // row 0 on the right, column 0 at the bottom
		8: {green, white, red, blue}, // row 0 on the left, column 0 at the bottom
	}
	for o := uint16(1); o <= 8; o++ {
		for _, bo := range []byteOrder{binary.LittleEndian, binary.BigEndian} {
			t.Run(fmt.Sprintf("%d %v", o, bo), func(t *testing.T) {
				data := withSegments(stored, exifSegment(tiff(bo, orientationEntry(o))))
				res := process(t, data)
				dw, dh := w, h
				if o >= 5 {
					dw, dh = h, w
				}
				if res.Info.Width != dw || res.Info.Height != dh {
					t.Errorf("Info %dx%d, want %dx%d", res.Info.Width, res.Info.Height, dw, dh)
				}
				sw, sh := 320, 240
				if o >= 5 {
					sw, sh = 240, 320
				}
				for _, th := range []struct {
					name string
					t    imaging.Thumbnail
					w, h int
				}{{"large", res.Large, dw, dh}, {"small", res.Small, sw, sh}} {
					m := decodeThumb(t, th.t)
					if th.t.Width != th.w || th.t.Height != th.h {
						t.Errorf("%s %dx%d, want %dx%d", th.name, th.t.Width, th.t.Height, th.w, th.h)
						continue
					}
					for i, p := range []image.Point{{th.w / 4, th.h / 4}, {3 * th.w / 4, th.h / 4}, {th.w / 4, 3 * th.h / 4}, {3 * th.w / 4, 3 * th.h / 4}} {
						if got := m.At(p.X, p.Y); !near(got, want[o][i]) {
							t.Errorf("%s at %v: %v, want %v", th.name, p, got, want[o][i])
						}
					}
				}
			})
		}
	}
}

// TestDecoder_Process_Sizes checks the exact box sizes for a few aspect
// ratios, through the JPEG (planar) and PNG (RGBA) paths, and that no
// thumbnail is ever larger than the original.
func TestDecoder_Process_Sizes(t *testing.T) {
	for _, tt := range []struct {
		w, h           int
		largeW, largeH int
		smallW, smallH int
	}{
		{2000, 1500, 1280, 960, 320, 240},
		{1500, 2000, 960, 1280, 240, 320},
		{1600, 900, 1280, 720, 320, 180},
		{1281, 1281, 1280, 1280, 320, 320},
		{2600, 400, 1280, 197, 320, 49},
		{3000, 5, 1280, 2, 320, 1},
		{1280, 960, 1280, 960, 320, 240},
		{640, 480, 640, 480, 320, 240},
		{321, 100, 321, 100, 320, 100},
		{100, 50, 100, 50, 100, 50},
		{1, 1, 1, 1, 1, 1},
		{7, 5, 7, 5, 7, 5},
	} {
		src := gradient(tt.w, tt.h)
		for name, data := range map[string][]byte{"jpeg": encodeJPEG(t, src, 90), "png": encodePNG(t, src)} {
			t.Run(fmt.Sprintf("%s %dx%d", name, tt.w, tt.h), func(t *testing.T) {
				res := process(t, data)
				if res.Info.Width != tt.w || res.Info.Height != tt.h {
					t.Errorf("Info %dx%d", res.Info.Width, res.Info.Height)
				}
				for _, th := range []struct {
					name string
					t    imaging.Thumbnail
					w, h int
				}{{"large", res.Large, tt.largeW, tt.largeH}, {"small", res.Small, tt.smallW, tt.smallH}} {
					decodeThumb(t, th.t)
					if th.t.Width != th.w || th.t.Height != th.h {
						t.Errorf("%s %dx%d, want %dx%d", th.name, th.t.Width, th.t.Height, th.w, th.h)
					}
					if th.t.Width > tt.w || th.t.Height > tt.h {
						t.Errorf("%s %dx%d is larger than the original", th.name, th.t.Width, th.t.Height)
					}
					if th.t.ContentType != "image/jpeg" {
						t.Errorf("%s of an opaque image is %s", th.name, th.t.ContentType)
					}
				}
			})
		}
	}
}

// TestDecoder_Process_Flat checks that a flat area stays flat through the
// box and Catmull-Rom passes, edges included.
func TestDecoder_Process_Flat(t *testing.T) {
	m := image.NewRGBA(image.Rect(0, 0, 1700, 1100))
	for i := range m.Pix {
		m.Pix[i] = []uint8{90, 140, 200, 255}[i%4]
	}
	res := process(t, encodePNG(t, m))
	for _, th := range []imaging.Thumbnail{res.Large, res.Small} {
		got := decodeThumb(t, th)
		b := got.Bounds()
		for _, p := range []image.Point{{0, 0}, {b.Dx() / 2, b.Dy() / 2}, {b.Dx() - 1, b.Dy() - 1}} {
			if c := got.At(p.X, p.Y); !near(c, color.RGBA{90, 140, 200, 255}) {
				t.Errorf("%dx%d at %v: %v", b.Dx(), b.Dy(), p, c)
			}
		}
	}
}

func TestDecoder_Process_Transparency(t *testing.T) {
	// Left half transparent, right half opaque orange, a soft edge between.
	m := image.NewNRGBA(image.Rect(0, 0, 1600, 900))
	for y := range 900 {
		for x := range 1600 {
			a := uint8(max(0, min(255, (x-780)*8)))
			m.SetNRGBA(x, y, color.NRGBA{255, 128, 0, a})
		}
	}
	res := process(t, encodePNG(t, m))
	for _, th := range []imaging.Thumbnail{res.Large, res.Small} {
		if th.ContentType != "image/png" {
			t.Fatalf("thumbnail of a transparent image is %s", th.ContentType)
		}
		got := decodeThumb(t, th)
		w, h := th.Width, th.Height
		if _, _, _, a := got.At(w/8, h/2).RGBA(); a != 0 {
			t.Errorf("%dx%d: transparent side has alpha %d", w, h, a>>8)
		}
		c := color.NRGBAModel.Convert(got.At(7*w/8, h/2)).(color.NRGBA)
		if c.A != 255 || !near(c, color.NRGBA{255, 128, 0, 255}) {
			t.Errorf("%dx%d: opaque side is %v", w, h, c)
		}
	}

	t.Run("alpha channel all opaque", func(t *testing.T) {
		o := image.NewNRGBA(image.Rect(0, 0, 400, 300))
		for i := range o.Pix {
			o.Pix[i] = 200
			if i%4 == 3 {
				o.Pix[i] = 255
			}
		}
		if ct := process(t, encodePNG(t, o)).Large.ContentType; ct != "image/jpeg" {
			t.Errorf("an opaque NRGBA PNG makes %s thumbnails", ct)
		}
	})
}

// TestDecoder_Process_GIF checks that an animated GIF's thumbnail is its
// first frame, on its screen.
func TestDecoder_Process_GIF(t *testing.T) {
	pal := color.Palette{color.RGBA{0, 0, 0, 0}, red, green, blue}
	g := &gif.GIF{Config: image.Config{Width: 400, Height: 300, ColorModel: pal}}
	for i, rect := range []image.Rectangle{image.Rect(0, 0, 400, 300), image.Rect(0, 0, 400, 300), image.Rect(100, 100, 200, 200)} {
		f := image.NewPaletted(rect, pal)
		for j := range f.Pix {
			f.Pix[j] = uint8(i + 1)
		}
		g.Image = append(g.Image, f)
		g.Delay = append(g.Delay, 10)
	}
	var b bytes.Buffer
	if err := gif.EncodeAll(&b, g); err != nil {
		t.Fatal(err)
	}
	res := process(t, b.Bytes())
	if res.Info.Width != 400 || res.Info.Height != 300 || res.Info.ContentType != "image/gif" {
		t.Errorf("Info %+v", res.Info)
	}
	got := decodeThumb(t, res.Small)
	if c := got.At(160, 120); !near(c, red) {
		t.Errorf("thumbnail shows %v, want the first frame's red", c)
	}

	t.Run("first frame smaller than the screen", func(t *testing.T) {
		g.Image = g.Image[2:]
		g.Delay = g.Delay[2:]
		var b bytes.Buffer
		if err := gif.EncodeAll(&b, g); err != nil {
			t.Fatal(err)
		}
		res := process(t, b.Bytes())
		if res.Large.ContentType != "image/png" || res.Large.Width != 400 {
			t.Fatalf("Large %s %dx%d, want a 400x300 PNG", res.Large.ContentType, res.Large.Width, res.Large.Height)
		}
		m := decodeThumb(t, res.Large)
		if _, _, _, a := m.At(10, 10).RGBA(); a != 0 {
			t.Errorf("outside the frame: alpha %d, want transparent", a>>8)
		}
		if c := m.At(150, 150); !near(c, blue) {
			t.Errorf("inside the frame: %v, want blue", c)
		}
	})
}

// TestDecoder_Process_NoMetadata checks that the thumbnails of a photo with
// EXIF carry none.
func TestDecoder_Process_NoMetadata(t *testing.T) {
	data := withSegments(encodeJPEG(t, photo(900, 600, 3), 90), exifSegment(cameraTIFF(binary.LittleEndian, 6)))
	res := process(t, data)
	for _, th := range []imaging.Thumbnail{res.Large, res.Small} {
		if bytes.Contains(th.Bytes, []byte("Exif")) || bytes.Contains(th.Bytes, []byte("Canon")) {
			t.Errorf("%dx%d thumbnail carries EXIF", th.Width, th.Height)
		}
		if _, err := jpeg.Decode(bytes.NewReader(th.Bytes)); err != nil {
			t.Error(err)
		}
	}
	if res.EXIF == nil || res.EXIF.Model != "Canon EOS 5D Mark IV" {
		t.Errorf("EXIF %+v", res.EXIF)
	}
	if res.Large.Width != 600 || res.Large.Height != 900 {
		t.Errorf("Large %dx%d, want 600x900 (turned)", res.Large.Width, res.Large.Height)
	}
}

// TestDecoder_Process_InspectAgrees checks that Process refuses what
// Inspect refuses, and agrees with it on what it accepts.
func TestDecoder_Process_InspectAgrees(t *testing.T) {
	d := imaging.New(imaging.Limits{MaxPixels: 1 << 16, MaxGIFFrames: 16})
	for i, data := range fuzzSeeds(t) {
		info, ierr := d.Inspect(t.Context(), bytes.NewReader(data))
		res, perr := d.Process(t.Context(), bytes.NewReader(data))
		if (ierr == nil) != (perr == nil) {
			t.Errorf("seed %d: Inspect %v, Process %v", i, ierr, perr)
			continue
		}
		if perr == nil && res.Info != info {
			t.Errorf("seed %d: Inspect %+v, Process %+v", i, info, res.Info)
		}
	}
}

// gradient is a cheap opaque w×h picture for tests that look at sizes only.
func gradient(w, h int) *image.RGBA {
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			i := m.PixOffset(x, y)
			m.Pix[i], m.Pix[i+1], m.Pix[i+2], m.Pix[i+3] = uint8(x), uint8(y), uint8(x+y), 255
		}
	}
	return m
}

package imaging_test

import (
	"bytes"
	"strings"
	"testing"

	"imagerepo/gallery"
	"imagerepo/imaging"
)

func TestDecoder_Inspect_GIFFrames(t *testing.T) {
	for _, tt := range []struct {
		name    string
		limits  imaging.Limits
		data    []byte
		wantMsg string // "" when the GIF passes
	}{
		{"frames at the limit", imaging.Limits{MaxGIFFrames: 3}, gifBytes(t, 4, 4, 3), ""},
		{"a frame over the limit", imaging.Limits{MaxGIFFrames: 3}, gifBytes(t, 4, 4, 4), "more than 3 frames"},
		{"far over, data never read", imaging.Limits{MaxGIFFrames: 3}, rawGIF(4, 4, make([][4]int, 5000)...), "more than 3 frames"},
		// 10x10 frames against a limit of 100 pixels: 4 of them are the
		// memory of one 100-pixel image at 4 bytes a pixel, 5 are more.
		{"frame pixels at 4x the limit", imaging.Limits{MaxPixels: 100}, gifBytes(t, 10, 10, 4), ""},
		{"frame pixels over 4x the limit", imaging.Limits{MaxPixels: 100}, gifBytes(t, 10, 10, 5), "more than 400 pixels in all"},
		// Go's decoder would refuse these frames too, but only after this
		// walk has counted them: the walk must not trust the screen.
		{"a frame beyond a small screen", imaging.Limits{}, rawGIF(10, 10, [4]int{0, 0, 10, 10}, [4]int{0, 0, 60000, 60000}), "limit of 100000000 pixels"},
		{"a frame far off a small screen", imaging.Limits{}, rawGIF(10, 10, [4]int{65535, 65535, 2000, 2000}), "limit of 100000000 pixels"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			d := imaging.New(tt.limits)
			if tt.wantMsg != "" {
				imaging.SetDecode(d, noDecode(t))
			}
			info, err := d.Inspect(t.Context(), bytes.NewReader(tt.data))
			if tt.wantMsg == "" {
				if err != nil || info.ContentType != "image/gif" {
					t.Fatalf("Inspect = %+v, %v; want a GIF", info, err)
				}
				return
			}
			if code := gallery.ErrorCode(err); code != gallery.EUNPROCESSABLE {
				t.Fatalf("code = %q (%v), want %q", code, err, gallery.EUNPROCESSABLE)
			}
			if msg := gallery.ErrorMessage(err); !strings.Contains(msg, tt.wantMsg) {
				t.Errorf("message %q, want it to say %q", msg, tt.wantMsg)
			}
		})
	}
}

// TestDecoder_Inspect_GIFExtensions checks that the frame walk steps over
// every kind of extension and sub-block chain that Go's decoder accepts.
func TestDecoder_Inspect_GIFExtensions(t *testing.T) {
	g := gifBytes(t, 4, 4, 2)
	// After the header, screen descriptor and (absent) global color table,
	// insert a comment, a looping application block and a plain text block.
	at := 13
	if g[10]&0x80 != 0 {
		at += 3 << (1 + g[10]&7)
	}
	ext := []byte{0x21, 0xFE, 3, 'a', 'b', 'c', 2, 'd', 'e', 0}
	ext = append(ext, 0x21, 0xFF, 11)
	ext = append(ext, "NETSCAPE2.0"...)
	ext = append(ext, 3, 1, 0, 0, 0)
	ext = append(ext, 0x21, 0x01, 12, 0, 0, 0, 0, 4, 0, 4, 0, 1, 1, 0, 1, 1, 'x', 0)
	data := append(append(append([]byte(nil), g[:at]...), ext...), g[at:]...)

	d := imaging.New(imaging.Limits{MaxGIFFrames: 1})
	_, err := d.Inspect(t.Context(), bytes.NewReader(data))
	if !strings.Contains(gallery.ErrorMessage(err), "more than 1 frames") {
		t.Fatalf("Inspect with 1 frame allowed: %v, want the frame limit", err)
	}
	if _, err := imaging.New(imaging.Limits{}).Inspect(t.Context(), bytes.NewReader(data)); err != nil {
		t.Fatalf("Inspect: %v", err)
	}
}

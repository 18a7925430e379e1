package imaging_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"testing"

	"imagerepo/gallery"
	"imagerepo/imaging"
)

var errDisk = errors.New("disk on fire")

// failing reads data until offset failAt, then fails with errDisk; its Seek
// fails with errDisk once seekFails seeks have succeeded (never when < 0).
type failing struct {
	*bytes.Reader
	failAt    int64
	seekFails int
}

func (f *failing) Read(p []byte) (int, error) {
	pos, _ := f.Reader.Seek(0, io.SeekCurrent)
	if pos >= f.failAt {
		return 0, errDisk
	}
	if rest := f.failAt - pos; int64(len(p)) > rest {
		p = p[:rest]
	}
	return f.Reader.Read(p)
}

func (f *failing) Seek(off int64, whence int) (int64, error) {
	if f.seekFails == 0 {
		return 0, errDisk
	}
	f.seekFails--
	return f.Reader.Seek(off, whence)
}

// TestDecoder_Inspect_ReaderError checks that a fault of the reader is passed
// on as it is (an internal error), never blamed on the image, whichever pass
// it strikes.
func TestDecoder_Inspect_ReaderError(t *testing.T) {
	pngData := pngBytes(t, 40, 30)
	gifData := gifBytes(t, 40, 30, 3)
	exifJPEG := jpegOriented(t, 40, 30, binary.LittleEndian, 6)
	for _, tt := range []struct {
		name      string
		data      []byte
		failAt    int64
		seekFails int
	}{
		{"first seek", pngData, 1 << 30, 0},
		{"second seek", pngData, 1 << 30, 1},
		{"last seek", pngData, 1 << 30, 2},
		{"first read", pngData, 0, -1},
		{"while sniffing", pngData, 5, -1},
		{"png header", pngData, 20, -1},
		{"png data", pngData, int64(len(pngData)) - 30, -1},
		{"png end", pngData, int64(len(pngData)) - 1, -1},
		{"jpeg orientation seek", exifJPEG, 1 << 30, 2},
		{"jpeg exif", exifJPEG, 12, -1},
		{"jpeg data", exifJPEG, int64(len(exifJPEG)) - 10, -1},
		{"gif frame walk seek", gifData, 1 << 30, 2},
		{"gif data", gifData, int64(len(gifData)) - 10, -1},
		{"gif trailer", gifData, int64(len(gifData)) - 1, -1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := &failing{Reader: bytes.NewReader(tt.data), failAt: tt.failAt, seekFails: tt.seekFails}
			_, err := imaging.New(imaging.Limits{}).Inspect(t.Context(), r)
			if !errors.Is(err, errDisk) {
				t.Fatalf("err = %v, want %v", err, errDisk)
			}
			if code := gallery.ErrorCode(err); code != gallery.EINTERNAL {
				t.Errorf("code = %q, want %q", code, gallery.EINTERNAL)
			}
		})
	}
}

// TestDecoder_Inspect_Rewinds checks that Inspect reads from the start of
// the reader wherever the caller left it (a hash pass, say).
func TestDecoder_Inspect_Rewinds(t *testing.T) {
	r := bytes.NewReader(pngBytes(t, 7, 5))
	if _, err := io.Copy(io.Discard, r); err != nil {
		t.Fatal(err)
	}
	info, err := imaging.New(imaging.Limits{}).Inspect(t.Context(), r)
	if err != nil || info.Width != 7 || info.Height != 5 {
		t.Fatalf("Inspect = %+v, %v; want 7x5", info, err)
	}
}

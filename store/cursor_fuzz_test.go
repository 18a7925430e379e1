package store

import (
	"bytes"
	"io"
	"log/slog"
	"testing"

	"imagerepo/gallery"
)

// FuzzListCursor feeds strings as the cursor of a listing (the id of the
// last image of the page before) to a real store: no panic, every refusal
// an EINVALID error, an id validID accepts has one spelling, and every 16
// bytes make an id that round-trips. Its seed corpus is in
// testdata/fuzz/FuzzListCursor.
func FuzzListCursor(f *testing.F) {
	f.Add("33mska1me0u2f9s2nt3rnl0rbk", []byte("0123456789abcdef"))
	f.Add("33mska1me0u2f9s2nt3rnl0rbl", []byte{})
	f.Add("../../etc/passwd", []byte{0xff})
	db, err := Open(f.TempDir(), Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { db.Close() })
	images := NewImageService(db)
	f.Fuzz(func(t *testing.T, cursor string, raw []byte) {
		_, _, err := images.FindImages(t.Context(), gallery.ImageFilter{All: true, Cursor: cursor, Limit: 1})
		if err != nil && gallery.ErrorCode(err) != gallery.EINVALID {
			t.Fatalf("FindImages with cursor %q: %v", cursor, err)
		}
		if validID(cursor) {
			if err != nil {
				t.Fatalf("valid id %q refused as a cursor: %v", cursor, err)
			}
			b, derr := idEncoding.DecodeString(cursor)
			if derr != nil || len(b) != 16 || idEncoding.EncodeToString(b) != cursor {
				t.Fatalf("valid id %q decodes to %x (%v)", cursor, b, derr)
			}
		}
		if len(raw) >= 16 {
			id := idEncoding.EncodeToString(raw[:16])
			b, derr := idEncoding.DecodeString(id)
			if !validID(id) || derr != nil || !bytes.Equal(b, raw[:16]) {
				t.Fatalf("16 bytes %x make id %q (valid %v) that decodes to %x", raw[:16], id, validID(id), b)
			}
		}
	})
}

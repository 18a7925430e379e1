package search

import (
	"testing"

	"imagerepo/gallery"
)

// FuzzCursor feeds strings to the search cursor decoder: no panic, every
// refusal an EINVALID error, an accepted cursor is the one spelling
// encodeCursor makes for its offset, and every offset round-trips. Its seed
// corpus is in testdata/fuzz/FuzzCursor.
func FuzzCursor(f *testing.F) {
	f.Add(encodeCursor(50), 50)
	f.Add("bzEuMA", 0)
	f.Add("", maxOffset)
	f.Fuzz(func(t *testing.T, c string, n int) {
		off, err := decodeCursor(c)
		switch {
		case err != nil:
			if code := gallery.ErrorCode(err); code != gallery.EINVALID {
				t.Fatalf("decodeCursor(%q): code %q, want %q", c, code, gallery.EINVALID)
			}
		case c == "":
			if off != 0 {
				t.Fatalf(`decodeCursor("") = %d`, off)
			}
		case off <= 0 || off >= maxOffset || encodeCursor(off) != c:
			t.Fatalf("decodeCursor(%q) = %d, which encodes as %q", c, off, encodeCursor(off))
		}
		if n > 0 && n < maxOffset {
			if got, err := decodeCursor(encodeCursor(n)); err != nil || got != n {
				t.Fatalf("offset %d round-trips to %d, %v", n, got, err)
			}
		}
	})
}

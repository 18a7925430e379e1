package search

import (
	"encoding/base64"
	"strconv"
	"strings"

	"imagerepo/gallery"
)

// maxOffset bounds how deep pages go: bleve keeps offset+limit hits in
// memory to find a page, so deeper pages would cost ever more.
const maxOffset = 10000

const cursorPrefix = "o1."

// encodeCursor makes the opaque cursor of the page starting at offset.
func encodeCursor(offset int) string {
	return base64.RawURLEncoding.EncodeToString([]byte(cursorPrefix + strconv.Itoa(offset)))
}

// decodeCursor returns the offset a cursor stands for, 0 for "". Only the
// exact spelling encodeCursor makes is accepted.
func decodeCursor(c string) (int, error) {
	if c == "" {
		return 0, nil
	}
	bad := gallery.Errorf(gallery.EINVALID, "invalid cursor")
	if len(c) > 32 {
		return 0, bad
	}
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return 0, bad
	}
	s, ok := strings.CutPrefix(string(b), cursorPrefix)
	if !ok {
		return 0, bad
	}
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 || n >= maxOffset || encodeCursor(n) != c {
		return 0, bad
	}
	return n, nil
}

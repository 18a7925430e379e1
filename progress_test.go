package main

import (
	"bytes"
	"fmt"
	"testing"
	"time"
)

// TestNewProgress_NotTerminal: off a terminal, progress is whole lines,
// with no carriage return or escape to redraw them, and none for the
// first second of work.
func TestNewProgress_NotTerminal(t *testing.T) {
	var out bytes.Buffer
	progress := newProgress(&out, func(done, total int64) string { return fmt.Sprintf("%d of %d", done, total) })
	progress(1, 10)
	if out.Len() != 0 {
		t.Fatalf("progress within the first second: %q", out.String())
	}
	time.Sleep(1100 * time.Millisecond)
	progress(5, 10)
	progress(6, 10)  // within 5 s of the last: not shown
	progress(10, 10) // the end, after some was shown: shown
	progress(-1, 0)
	if got := out.String(); got != "5 of 10\n10 of 10\n" {
		t.Fatalf("progress: %q", got)
	}
}

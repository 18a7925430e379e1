package main

import (
	"fmt"
	"io"
	"time"
)

// newProgressLine returns a progress function for work measured in bytes,
// e.g. "hashing: 120 of 800 MB (15%)": a redrawn line on a terminal, a line
// every few seconds otherwise, nothing for work done within a second.
// done < 0 ends the line.
func newProgressLine(w io.Writer, what string) func(done, total int64) {
	return newProgress(w, func(done, total int64) string {
		return fmt.Sprintf("%s: %d of %d MB (%d%%)", what, done/1e6, total/1e6, done*100/max(total, 1))
	})
}

// newProgress is newProgressLine for work counted in other units: line
// says how far it is.
func newProgress(w io.Writer, line func(done, total int64) string) func(done, total int64) {
	terminal := isTerminal(w)
	every := 5 * time.Second
	if terminal {
		every = 200 * time.Millisecond
	}
	begun := time.Now()
	var last time.Time
	shown := false
	return func(done, total int64) {
		if done < 0 {
			if shown && terminal {
				fmt.Fprintln(w)
			}
			shown = false
			return
		}
		now := time.Now()
		// Work that ends within a second shows nothing; work that showed
		// progress shows its end.
		if now.Sub(begun) < time.Second || now.Sub(last) < every && !(shown && done == total) {
			return
		}
		last, shown = now, true
		if terminal {
			fmt.Fprintf(w, "\r%s\x1b[K", line(done, total))
		} else {
			fmt.Fprintln(w, line(done, total))
		}
	}
}

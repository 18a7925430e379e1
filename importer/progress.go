package importer

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

// How often the progress shows: a terminal line is redrawn often; plain
// lines (a log, a pipe) come every few seconds or every so many files.
const (
	redrawEvery = 200 * time.Millisecond
	plainEvery  = 5 * time.Second
	plainFiles  = 100
)

// progress shows files and bytes done of the total, the rate and the time
// left.
type progress struct {
	w        io.Writer
	terminal bool
	files    int
	bytes    int64
	begun    time.Time

	mu        sync.Mutex
	doneFiles int
	doneBytes int64
	lastFiles int       // files done at the last plain line
	lastLine  time.Time // of the last plain line

	quit chan struct{}
	done chan struct{}
}

func newProgress(w io.Writer, terminal bool, files int, bytes int64) *progress {
	return &progress{w: w, terminal: terminal, files: files, bytes: bytes, quit: make(chan struct{}), done: make(chan struct{})}
}

func (p *progress) start() {
	p.begun = time.Now()
	p.lastLine = p.begun
	fmt.Fprintf(p.w, "importing %d files (%s)\n", p.files, formatBytes(p.bytes))
	go func() {
		defer close(p.done)
		t := time.NewTicker(redrawEvery)
		defer t.Stop()
		for {
			select {
			case <-p.quit:
				return
			case <-t.C:
				p.show(false)
			}
		}
	}()
}

// add counts one file done, whatever became of it.
func (p *progress) add(size int64) {
	p.mu.Lock()
	p.doneFiles++
	p.doneBytes += size
	p.mu.Unlock()
}

// stop draws the last state and ends the line.
func (p *progress) stop() {
	close(p.quit)
	<-p.done
	p.show(true)
	if p.terminal {
		fmt.Fprintln(p.w)
	}
}

func (p *progress) show(final bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	if !p.terminal && !final && now.Sub(p.lastLine) < plainEvery && p.doneFiles-p.lastFiles < plainFiles {
		return
	}
	if !p.terminal && final && p.doneFiles == p.lastFiles && p.lastFiles > 0 {
		return
	}
	p.lastLine, p.lastFiles = now, p.doneFiles
	line := p.line(now.Sub(p.begun))
	if p.terminal {
		fmt.Fprintf(p.w, "\r%s\x1b[K", line)
	} else {
		fmt.Fprintln(p.w, line)
	}
}

// line is e.g. "[#####.....] 12/40 files  3.1 MB/9.8 MB  1.2 MB/s  5s left".
func (p *progress) line(elapsed time.Duration) string {
	frac := 1.0
	if p.bytes > 0 {
		frac = float64(p.doneBytes) / float64(p.bytes)
	} else if p.files > 0 {
		frac = float64(p.doneFiles) / float64(p.files)
	}
	var b strings.Builder
	if p.terminal {
		const width = 24
		n := min(int(frac*width), width)
		b.WriteString("[" + strings.Repeat("#", n) + strings.Repeat(".", width-n) + "] ")
	}
	fmt.Fprintf(&b, "%d/%d files  %s/%s", p.doneFiles, p.files, formatBytes(p.doneBytes), formatBytes(p.bytes))
	if secs := elapsed.Seconds(); secs > 0 && p.doneBytes > 0 {
		rate := float64(p.doneBytes) / secs
		fmt.Fprintf(&b, "  %s/s", formatBytes(int64(rate)))
		if left := p.bytes - p.doneBytes; left > 0 {
			fmt.Fprintf(&b, "  %s left", (time.Duration(float64(left) / rate * float64(time.Second))).Round(time.Second))
		}
	}
	return b.String()
}

// formatBytes writes sizes in decimal units, as file managers do.
func formatBytes(n int64) string {
	const unit = 1000
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit && exp < 4; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %cB", float64(n)/float64(div), "kMGTP"[exp])
}

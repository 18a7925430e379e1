package bench

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
)

// cpuModel is the CPU's name from /proc/cpuinfo where there is one.
func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return runtime.GOARCH
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return runtime.GOARCH
}

// progress says which step a run is at: on a terminal one line, rewritten
// at each step and cleared at the end; elsewhere (a log, a pipe) one plain
// line per step.
type progress struct {
	w        io.Writer
	terminal bool
	n, of    int
}

func newProgress(o Options, steps int) *progress {
	return &progress{w: o.Progress, terminal: o.Terminal, of: steps}
}

func (p *progress) step(name string) {
	if p.w == nil {
		return
	}
	p.n++
	if p.terminal {
		fmt.Fprintf(p.w, "\r\033[Kbench %d/%d: %s", p.n, p.of, name)
	} else {
		fmt.Fprintf(p.w, "bench %d/%d: %s\n", p.n, p.of, name)
	}
}

func (p *progress) done() {
	if p.w != nil && p.terminal && p.n > 0 {
		fmt.Fprint(p.w, "\r\033[K")
	}
}

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

// progress is one line on a terminal's stderr, rewritten at each step.
type progress struct {
	w     io.Writer
	n, of int
}

func newProgress(w io.Writer, steps int) *progress { return &progress{w: w, of: steps} }

func (p *progress) step(name string) {
	if p.w == nil {
		return
	}
	p.n++
	fmt.Fprintf(p.w, "\r\033[Kbench %d/%d: %s", p.n, p.of, name)
}

func (p *progress) done() {
	if p.w != nil && p.n > 0 {
		fmt.Fprint(p.w, "\r\033[K")
	}
}

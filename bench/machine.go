package bench

import (
	"bufio"
	"fmt"
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

// Say tells a step of a run on o.Progress: on a terminal as its one line,
// rewritten at each step; elsewhere (a log, a pipe) as a plain line.
func (o Options) Say(format string, args ...any) {
	switch {
	case o.Progress == nil:
	case o.Terminal:
		fmt.Fprintf(o.Progress, "\r\033[K"+format, args...)
	default:
		fmt.Fprintf(o.Progress, format+"\n", args...)
	}
}

// EndSay clears the line Say rewrites on a terminal; elsewhere there is
// nothing to clear.
func (o Options) EndSay() {
	if o.Progress != nil && o.Terminal {
		fmt.Fprint(o.Progress, "\r\033[K")
	}
}

// progress counts the steps of a run as it Says them.
type progress struct {
	o     Options
	n, of int
}

func newProgress(o Options, steps int) *progress { return &progress{o: o, of: steps} }

func (p *progress) step(name string) {
	p.n++
	p.o.Say("bench %d/%d: %s", p.n, p.of, name)
}

func (p *progress) done() {
	if p.n > 0 {
		p.o.EndSay()
	}
}

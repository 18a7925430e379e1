//go:build failpoints

package store

import (
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
)

// armed is one failpoint set by IMAGEREPO_FAILPOINT: what it does and on
// which hit.
type armed struct {
	action string
	on     int64
	hits   atomic.Int64
}

// failpoints are the armed failpoints by name, read once at start.
var failpoints = parseFailpoints(os.Getenv("IMAGEREPO_FAILPOINT"))

func parseFailpoints(spec string) map[string]*armed {
	out := map[string]*armed{}
	for item := range strings.SplitSeq(spec, ",") {
		if item = strings.TrimSpace(item); item == "" {
			continue
		}
		name, action, ok := strings.Cut(item, "=")
		a := &armed{on: 1}
		if act, n, found := strings.Cut(action, "@"); found {
			on, err := strconv.ParseInt(n, 10, 64)
			if err != nil || on < 1 {
				ok = false
			}
			action, a.on = act, on
		}
		a.action = action
		if !ok || !slices.Contains(failpointNames, name) || !slices.Contains([]string{"crash", "enospc", "eio"}, action) {
			fmt.Fprintf(os.Stderr, "imagerepo: IMAGEREPO_FAILPOINT: cannot use %q: want NAME=crash|enospc|eio[@N] with NAME one of %s\n",
				item, strings.Join(failpointNames, ", "))
			os.Exit(2)
		}
		out[name] = a
	}
	return out
}

// failpoint does what IMAGEREPO_FAILPOINT says at the named place, on the
// hit it names: exits, or returns the error a failing file operation would.
func failpoint(name string) error {
	a := failpoints[name]
	if a == nil || a.hits.Add(1) != a.on {
		return nil
	}
	switch a.action {
	case "crash":
		fmt.Fprintf(os.Stderr, "imagerepo: failpoint %s: crashing\n", name)
		os.Exit(137)
	case "enospc":
		return &os.PathError{Op: "failpoint", Path: name, Err: syscall.ENOSPC}
	}
	return &os.PathError{Op: "failpoint", Path: name, Err: syscall.EIO}
}

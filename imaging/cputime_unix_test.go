//go:build unix

package imaging_test

import (
	"syscall"
	"time"
)

// cpuTime is the user and system CPU time the process has taken so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

// Release builds stamp these (see .goreleaser.yaml):
//
//	-ldflags "-X main.version=1.2.0 -X main.commit=<sha> -X main.date=<RFC 3339>"
//
// A plain `go build` in a git checkout leaves them empty, and versionLine
// takes the commit and its time from the build info Go records instead.
var (
	version = "dev"
	commit  = ""
	date    = ""
)

// versionLine is what `imagerepo version` and `--version` print:
// "imagerepo 1.2.0 (commit 0123abcd, 2026-12-03T10:00:00Z, go1.26.8 linux/amd64)".
func versionLine() string {
	rev, when, dirty := commit, date, false
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				if rev == "" {
					rev = s.Value
				}
			case "vcs.time":
				if when == "" {
					when = s.Value
				}
			case "vcs.modified":
				dirty = s.Value == "true" && commit == ""
			}
		}
	}
	if rev == "" {
		rev = "unknown"
	} else if len(rev) > 12 {
		rev = rev[:12]
	}
	if dirty {
		rev += "+changes"
	}
	if when != "" {
		when += ", "
	}
	return fmt.Sprintf("imagerepo %s (commit %s, %s%s %s/%s)", version, rev, when, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}

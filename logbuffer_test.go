package main

import (
	"log/slog"
	"strings"
	"testing"
	"time"
)

// The serve log holds info lines briefly, writes a warning out at once
// with the lines before it, and loses nothing at Close.
func TestLogBuffer(t *testing.T) {
	var out syncBuffer
	logs := newLogBuffer(&out)
	logger := newLogger(logs, slog.LevelInfo, "text")

	logger.Info("request", "n", 1)
	if got := out.String(); got != "" {
		t.Errorf("an info line went out at once: %q", got)
	}
	deadline := time.Now().Add(10 * logFlushInterval)
	for !strings.Contains(out.String(), "n=1") {
		if time.Now().After(deadline) {
			t.Fatal("an info line was not written out by the timed flush")
		}
		time.Sleep(logFlushInterval / 4)
	}

	logger.Info("request", "n", 2)
	logger.With("job", "sweep").Warn("trouble")
	if got := out.String(); !strings.Contains(got, "n=2") || !strings.Contains(got, "msg=trouble job=sweep") {
		t.Errorf("a warning did not go out at once with the line before it: %q", got)
	}

	logger.Info("request", "n", 3)
	if err := logs.Close(); err != nil {
		t.Fatal(err)
	}
	if got := out.String(); !strings.Contains(got, "n=3") || strings.Count(got, "\n") != 4 {
		t.Errorf("after Close: %q", got)
	}
}

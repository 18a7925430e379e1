package main

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"testing"
	"time"
)

// TestLineHandler_SameAsStandard writes records of the request line's shape,
// and others the line handler hands on, through it and through slog's own
// handlers, and wants the same bytes, in both formats.
func TestLineHandler_SameAsStandard(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	strs := []string{"GET", "/api/images/:id", "/api/images/0123abcd/thumb/small", "", "127.0.0.1", "::1",
		"a b", "x=y", `quote"d`, "tab\there", "ünïcode", "<script>", "back\\slash", "line\nbreak", "\xff\xfe", "%2F..%2F"}
	times := []time.Time{
		time.Date(2026, 12, 3, 18, 4, 5, 999_999_999, time.UTC),
		time.Date(2026, 12, 3, 18, 4, 5, 0, time.FixedZone("", 3600)),
		time.Date(1999, 1, 2, 3, 4, 5, 123_456_000, time.UTC),
		time.Date(10001, 1, 1, 0, 0, 0, 0, time.UTC),
	}
	for _, json := range []bool{false, true} {
		for i := range 2000 {
			r := slog.NewRecord(times[i%len(times)], slog.Level(4*(rng.IntN(4)-1)), []string{"request", "media migration", "a=b"}[rng.IntN(3)], 0)
			for range rng.IntN(9) {
				key := []string{"method", "route", "status", "with space", "duration"}[rng.IntN(5)]
				switch rng.IntN(7) {
				case 0, 1:
					r.AddAttrs(slog.String(key, strs[rng.IntN(len(strs))]))
				case 2:
					r.AddAttrs(slog.Int(key, rng.IntN(1000)-500))
				case 3:
					r.AddAttrs(slog.Duration(key, time.Duration(rng.Int64N(int64(10*time.Second)))))
				case 4:
					r.AddAttrs(slog.Uint64(key, rng.Uint64()), slog.Bool(key, rng.IntN(2) == 0))
				case 5:
					r.AddAttrs(slog.Any("err", errors.New("disk full")))
				case 6:
					r.AddAttrs(slog.Group("g", slog.Int("n", 1)))
				}
			}
			var got, want bytes.Buffer
			opts := &slog.HandlerOptions{Level: slog.LevelDebug}
			var std slog.Handler = slog.NewTextHandler(&want, opts)
			if json {
				std = slog.NewJSONHandler(&want, opts)
			}
			if err := newLineHandler(&got, opts, json).Handle(context.Background(), r); err != nil {
				t.Fatal(err)
			}
			if err := std.Handle(context.Background(), r); err != nil {
				t.Fatal(err)
			}
			if got.String() != want.String() {
				t.Fatalf("json=%v:\n got %q\nwant %q", json, got.String(), want.String())
			}
		}
	}
}

// TestLineHandler_FastPath checks that the request line takes the fast path
// (a test that only compared outputs would pass with every record handed
// on).
func TestLineHandler_FastPath(t *testing.T) {
	r := slog.NewRecord(time.Now(), slog.LevelInfo, "request", 0)
	r.AddAttrs(slog.String("method", "GET"), slog.String("route", "/api/images/:id"),
		slog.String("path", "/api/images/abc"), slog.Int("status", 200), slog.Duration("duration", 81*time.Microsecond),
		slog.Int64("bytes", 575), slog.String("remote", "127.0.0.1"))
	for _, json := range []bool{false, true} {
		if _, ok := newLineHandler(nil, nil, json).appendRecord(nil, r); !ok {
			t.Errorf("json=%v: the request line is handed on", json)
		}
	}
}

func BenchmarkRequestLine(b *testing.B) {
	r := slog.NewRecord(time.Now(), slog.LevelInfo, "request", 0)
	r.AddAttrs(slog.String("method", "GET"), slog.String("route", "/api/images/:id"),
		slog.String("path", "/api/images/0123456789abcdef"), slog.Int("status", 200), slog.Duration("duration", 81*time.Microsecond),
		slog.Int64("bytes", 575), slog.String("remote", "127.0.0.1"))
	for _, h := range []struct {
		name string
		h    slog.Handler
	}{
		{"std-text", slog.NewTextHandler(discard{}, nil)},
		{"line-text", newLineHandler(discard{}, nil, false)},
		{"std-json", slog.NewJSONHandler(discard{}, nil)},
		{"line-json", newLineHandler(discard{}, nil, true)},
	} {
		b.Run(h.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				h.h.Handle(context.Background(), r)
			}
		})
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

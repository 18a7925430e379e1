package metrics_test

import (
	"image/color"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// BenchmarkHitPath is GET /api/images/{id} answered from the hot-id cache,
// through the whole handler (authentication, routing, the observe
// middleware, JSON) without a socket, anonymous, for a public image:
// without metrics hooks and with them, with and without the request's log
// line (written by a text handler to io.Discard).
//
//	go test -run '^$' -bench HitPath -benchmem -count 5 ./metrics/
func BenchmarkHitPath(b *testing.B) {
	for _, bc := range []struct {
		name        string
		withMetrics bool
		logLevel    slog.Level
	}{
		{"bare", false, slog.LevelWarn},
		{"metrics", true, slog.LevelWarn},
		{"log", false, slog.LevelInfo},
		{"metrics+log", true, slog.LevelInfo},
	} {
		b.Run(bc.name, func(b *testing.B) {
			handler, req := hotImage(b, bc.withMetrics, bc.logLevel)
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				rec := httptest.NewRecorder()
				handler.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK || rec.Header().Get("X-Cache") != "hit" {
					b.Fatalf("status %d, X-Cache %q", rec.Code, rec.Header().Get("X-Cache"))
				}
			}
		})
	}
}

// BenchmarkHitPath_Paired alternates the same cache hit on a bare server
// (no metrics, request lines off) and on an observed one (metrics, the
// request line, or both), timing each request, so that both see the same
// load on a shared machine: overhead-ns/op is what observing costs.
//
//	go test -run '^$' -bench HitPath_Paired -count 6 ./metrics/
func BenchmarkHitPath_Paired(b *testing.B) {
	for _, bc := range []struct {
		name          string
		metrics, logs bool
	}{{"metrics", true, false}, {"log", false, true}, {"metrics+log", true, true}} {
		b.Run(bc.name, func(b *testing.B) {
			var reqs [2]*http.Request
			var handlers [2]http.Handler
			for i := range handlers {
				level := slog.LevelWarn
				if i == 1 && bc.logs {
					level = slog.LevelInfo
				}
				handlers[i], reqs[i] = hotImage(b, i == 1 && bc.metrics, level)
			}
			var spent [2]time.Duration
			n := 0
			for b.Loop() {
				for i := range handlers {
					rec := httptest.NewRecorder()
					start := time.Now()
					handlers[i].ServeHTTP(rec, reqs[i])
					spent[i] += time.Since(start)
					if rec.Header().Get("X-Cache") != "hit" {
						b.Fatalf("X-Cache %q", rec.Header().Get("X-Cache"))
					}
				}
				n++
			}
			b.ReportMetric(float64(spent[0].Nanoseconds())/float64(n), "bare-ns/op")
			b.ReportMetric(float64(spent[1].Nanoseconds())/float64(n), "observed-ns/op")
			b.ReportMetric(float64((spent[1]-spent[0]).Nanoseconds())/float64(n), "overhead-ns/op")
		})
	}
}

// hotImage starts a stack, stores one public image and fetches it once,
// so that the returned request is a cache hit on the returned handler.
func hotImage(b *testing.B, withMetrics bool, level slog.Level) (http.Handler, *http.Request) {
	logger := slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: level}))
	s := newStackWith(b, "admin", withMetrics, logger)
	_, id := s.upload(b, "one.png", pngOf(b, color.RGBA{1, 2, 3, 255}))
	if id == "" {
		b.Fatal("upload failed")
	}
	h := s.admin.Clone()
	h.Set("Content-Type", "application/json")
	if code, body := s.do(b, "PATCH", "/api/images/"+id, strings.NewReader(`{"visibility":"public"}`), h); code != 200 {
		b.Fatalf("make public: %d %s", code, body)
	}
	req := httptest.NewRequest("GET", "/api/images/"+id, nil)
	s.handler.ServeHTTP(httptest.NewRecorder(), req)
	return s.handler, req
}

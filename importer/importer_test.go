package importer

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestDetect(t *testing.T) {
	ftyp := func(major string, compat ...string) []byte {
		body := major + "\x00\x00\x00\x00" + strings.Join(compat, "")
		n := 8 + len(body)
		return append([]byte{0, 0, 0, byte(n), 'f', 't', 'y', 'p'}, body...)
	}
	tests := []struct {
		name string
		head []byte
		want string
	}{
		{"jpeg", []byte{0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, 'J', 'F', 'I', 'F'}, "image/jpeg"},
		{"png", []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), "image/png"},
		{"gif87a", []byte("GIF87a\x01\x00"), "image/gif"},
		{"gif89a", []byte("GIF89a\x01\x00"), "image/gif"},
		{"webp", []byte("RIFF\x24\x00\x00\x00WEBPVP8 "), "image/webp"},
		{"heic", ftyp("heic", "mif1", "heic"), "image/heic"},
		{"heif mif1 only", ftyp("mif1", "mif1"), "image/heic"},
		{"heic in compatible brands", ftyp("mif1", "mif1", "miaf", "heic"), "image/heic"},
		{"avif", ftyp("avif", "avif", "mif1", "miaf"), "image/avif"},
		{"avif after mif1", ftyp("mif1", "mif1", "avif"), "image/avif"},
		{"mp4 is not an image", ftyp("isom", "isom", "mp41"), ""},
		{"quicktime", ftyp("qt  ", "qt  "), ""},
		{"riff wave", []byte("RIFF\x24\x00\x00\x00WAVEfmt "), ""},
		{"text", []byte("hello, this is a .jpg in name only"), ""},
		{"empty", nil, ""},
		{"short jpeg prefix", []byte{0xFF, 0xD8}, ""},
		{"bmp is not accepted", []byte("BM\x36\x00\x00\x00"), ""},
		{"tiff is not accepted", []byte("II*\x00\x08\x00\x00\x00"), ""},
		{"pdf", []byte("%PDF-1.7\n"), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Detect(tt.head); got != tt.want {
				t.Fatalf("Detect(%q) = %q, want %q", tt.head, got, tt.want)
			}
		})
	}
}

func TestRetryAfter(t *testing.T) {
	if d, ok := retryAfter("3"); !ok || d != 3*time.Second {
		t.Fatalf("3: %v %v", d, ok)
	}
	if d, ok := retryAfter(time.Now().Add(2 * time.Hour).UTC().Format(http.TimeFormat)); !ok || d != maxRetryAfter {
		t.Fatalf("far date: %v %v, want the cap", d, ok)
	}
	if _, ok := retryAfter("soon"); ok {
		t.Fatal("soon parsed")
	}
}

// fakeServer answers /api/me, and the rest with the handler; it counts
// requests per path.
func fakeServer(t *testing.T, h http.HandlerFunc) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer tok" {
			w.WriteHeader(401)
			io.WriteString(w, `{"error":{"code":"unauthorized","message":"sign in"}}`)
			return
		}
		if r.URL.Path == "/api/me" {
			io.WriteString(w, `{"username":"alice","role":"user"}`)
			return
		}
		if r.URL.Path == "/api/images" && r.Method == http.MethodGet {
			io.WriteString(w, `{"images":[],"next":""}`)
			return
		}
		n.Add(1)
		h(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func onePNG(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "a.png"), []byte("\x89PNG\r\n\x1a\nnot really"), 0o600); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestRun_Retries(t *testing.T) {
	created := func(w http.ResponseWriter) {
		w.WriteHeader(201)
		io.WriteString(w, `{"images":[{"id":"x"}],"failed":[]}`)
	}
	tests := []struct {
		name         string
		fail         func(w http.ResponseWriter, r *http.Request) // the first try's answer
		wantRequests int32
		wantUploaded int
		wantFailed   string
		wantErr      error
	}{
		{name: "5xx is retried", fail: func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(503) },
			wantRequests: 2, wantUploaded: 1},
		{name: "429 is retried", fail: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(429)
		}, wantRequests: 2, wantUploaded: 1},
		{name: "a dropped connection is retried", fail: func(w http.ResponseWriter, r *http.Request) {
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close()
			}
		}, wantRequests: 2, wantUploaded: 1},
		{name: "4xx is not retried", fail: func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(415)
			io.WriteString(w, `{"error":{"code":"unsupported","message":"not an image we take"}}`)
		}, wantRequests: 1, wantFailed: "not an image we take (415)"},
		{name: "a refused token stops the run", fail: func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(401) },
			wantRequests: 1, wantErr: ErrTokenRefused},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var first atomic.Bool
			srv, n := fakeServer(t, func(w http.ResponseWriter, r *http.Request) {
				io.Copy(io.Discard, r.Body)
				if !first.Swap(true) {
					tt.fail(w, r)
					return
				}
				created(w)
			})
			sum, err := Run(context.Background(), Options{Server: srv.URL, Token: "tok", Dirs: []string{onePNG(t)}, Backoff: time.Millisecond})
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if got := n.Load(); got != tt.wantRequests {
				t.Errorf("%d upload requests, want %d", got, tt.wantRequests)
			}
			if sum.Uploaded != tt.wantUploaded {
				t.Errorf("uploaded %d, want %d", sum.Uploaded, tt.wantUploaded)
			}
			if tt.wantFailed != "" && (len(sum.Failed) != 1 || sum.Failed[0].Error != tt.wantFailed) {
				t.Errorf("failed = %+v, want %q", sum.Failed, tt.wantFailed)
			}
		})
	}
}

func TestRun_GivesUpAfterRetries(t *testing.T) {
	srv, n := fakeServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(500)
		io.WriteString(w, `{"error":{"code":"internal","message":"disk on fire"}}`)
	})
	sum, err := Run(context.Background(), Options{Server: srv.URL, Token: "tok", Dirs: []string{onePNG(t)}, Retries: 2, Backoff: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if got := n.Load(); got != 3 {
		t.Errorf("%d tries, want 3", got)
	}
	if len(sum.Failed) != 1 || !strings.Contains(sum.Failed[0].Error, "disk on fire") {
		t.Fatalf("failed = %+v", sum.Failed)
	}
}

func TestRun_HonoursRetryAfter(t *testing.T) {
	var first atomic.Bool
	srv, _ := fakeServer(t, func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		if !first.Swap(true) {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(429)
			return
		}
		w.WriteHeader(201)
		io.WriteString(w, `{"images":[{"id":"x","duplicate":true}]}`)
	})
	start := time.Now()
	sum, err := Run(context.Background(), Options{Server: srv.URL, Token: "tok", Dirs: []string{onePNG(t)}, Backoff: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	// The backoff alone would have waited a millisecond.
	if d := time.Since(start); d < time.Second {
		t.Errorf("retried after %v, before the Retry-After second", d)
	}
	if sum.Duplicates != 1 || sum.Uploaded != 0 {
		t.Errorf("summary = %+v, want one duplicate", sum)
	}
}

func TestRun_BadTokenAndNoServer(t *testing.T) {
	srv, _ := fakeServer(t, func(w http.ResponseWriter, r *http.Request) {})
	if _, err := Run(context.Background(), Options{Server: srv.URL, Token: "wrong", Dirs: []string{t.TempDir()}}); !errors.Is(err, ErrTokenRefused) {
		t.Fatalf("wrong token: err = %v", err)
	}
	srv.Close()
	_, err := Run(context.Background(), Options{Server: srv.URL, Token: "tok", Dirs: []string{t.TempDir()}, Backoff: time.Millisecond})
	if err == nil || !strings.Contains(err.Error(), "cannot reach") {
		t.Fatalf("closed server: err = %v", err)
	}
}

func TestRun_Interrupted(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	srv, _ := fakeServer(t, func(w http.ResponseWriter, r *http.Request) {
		cancel()
		io.Copy(io.Discard, r.Body) // ends when the client hangs up
	})
	sum, err := Run(ctx, Options{Server: srv.URL, Token: "tok", Dirs: []string{onePNG(t)}})
	if !errors.Is(err, context.Canceled) || !sum.Interrupted {
		t.Fatalf("err = %v, summary %+v", err, sum)
	}
	if len(sum.Failed) != 0 {
		t.Fatalf("an interrupted file is not a failure: %+v", sum.Failed)
	}
}

func TestProgress_Line(t *testing.T) {
	p := newProgress(io.Discard, true, 10, 2_000_000)
	p.doneFiles, p.doneBytes = 5, 1_000_000
	got := p.line(2 * time.Second)
	for _, want := range []string{"[############............]", "5/10 files", "1.0 MB/2.0 MB", "500.0 kB/s", "2s left"} {
		if !strings.Contains(got, want) {
			t.Errorf("line %q lacks %q", got, want)
		}
	}
	p.terminal = false
	if got := p.line(time.Second); strings.Contains(got, "[") {
		t.Errorf("plain line %q has a bar", got)
	}
}

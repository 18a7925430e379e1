package backupclient_test

import (
	"archive/tar"
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"imagerepo/backupclient"
)

// archive makes a tar with the given entry names, each holding its name.
func archive(t *testing.T, names ...string) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, n := range names {
		tw.WriteHeader(&tar.Header{Name: n, Size: int64(len(n)), Mode: 0o600, Typeflag: tar.TypeReg})
		tw.Write([]byte(n))
	}
	tw.Close()
	return buf.Bytes()
}

// TestDownload: a whole archive lands in the file; a stream cut short, one
// without its manifest, or an answer that is not an archive leaves no file
// at all, not even a temporary one.
func TestDownload(t *testing.T) {
	whole := archive(t, "imagerepo.db", "blobs/aa/x", "manifest.json")
	tests := []struct {
		name    string
		handler http.HandlerFunc
		want    string // in the error; "" for success
	}{
		{"whole", func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Authorization") != "Bearer secret" {
				http.Error(w, "no", 401)
				return
			}
			w.Header().Set("Content-Type", "application/x-tar")
			w.Write(whole)
		}, ""},
		{"cut short", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/x-tar")
			w.Write(whole[:len(whole)/2])
			w.(http.Flusher).Flush()
			panic(http.ErrAbortHandler)
		}, "backup failed after"},
		{"no manifest", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/x-tar")
			w.Write(archive(t, "imagerepo.db"))
		}, "without its manifest"},
		{"not an archive", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.Write([]byte("<html>"))
		}, "not a backup archive"},
		{"not an admin", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(403)
			w.Write([]byte(`{"error":{"code":"forbidden","message":"only an admin may do that"}}`))
		}, "not an admin's"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(tt.handler)
			defer srv.Close()
			dir := t.TempDir()
			file := filepath.Join(dir, "backup.tar")
			var progress bytes.Buffer
			n, err := backupclient.Download(context.Background(), backupclient.Options{
				Server: srv.URL, Token: "secret", File: file, Progress: &progress,
			})
			entries, _ := os.ReadDir(dir)
			if tt.want == "" {
				got, rerr := os.ReadFile(file)
				if err != nil || rerr != nil || !bytes.Equal(got, whole) || n != int64(len(whole)) || len(entries) != 1 {
					t.Fatalf("Download = %d, %v; file %d bytes (%v); dir %v", n, err, len(got), rerr, entries)
				}
				if !strings.Contains(progress.String(), "backup: ") {
					t.Errorf("no progress line: %q", progress.String())
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Download = %v, want an error with %q", err, tt.want)
			}
			if len(entries) != 0 {
				t.Errorf("a failed download left %v", entries)
			}
		})
	}
}

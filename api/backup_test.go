package api_test

import (
	"archive/tar"
	"bytes"
	"image/color"
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestServer_Backup: only an admin gets the archive; it holds the bbolt
// file, the blobs of every image and the manifest last.
func TestServer_Backup(t *testing.T) {
	ts := newTestServer(t, nil).withAccounts(t)
	ts.upload(t, "alice", part{"file", "a.png", pngBytes(t, 40, 30, color.NRGBA{200, 10, 10, 255})})
	for _, who := range []struct {
		name string
		want int
	}{{"", http.StatusUnauthorized}, {"alice", http.StatusForbidden}} {
		resp, b := do(t, "GET", ts.URL+"/api/backup", nil, ts.as(who.name))
		if resp.StatusCode != who.want || !strings.Contains(string(b), `"error"`) {
			t.Errorf("backup as %q: %d %s, want %d and the error shape", who.name, resp.StatusCode, b, who.want)
		}
	}
	resp, b := do(t, "GET", ts.URL+"/api/backup", nil, ts.as("admin"))
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/x-tar" ||
		!strings.HasPrefix(resp.Header.Get("Content-Disposition"), "attachment") || resp.ContentLength != int64(len(b)) {
		t.Fatalf("backup as admin: %d %v", resp.StatusCode, resp.Header)
	}
	tr := tar.NewReader(bytes.NewReader(b))
	var names []string
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("the archive: %v", err)
		}
		names = append(names, hdr.Name)
	}
	// The original and its thumbnails (both sizes are the same bytes for
	// so small an image).
	if len(names) != 4 || names[0] != "imagerepo.db" || names[3] != "manifest.json" || !strings.HasPrefix(names[1], "blobs/") {
		t.Errorf("entries %v", names)
	}
}

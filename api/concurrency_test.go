//go:build unix

package api_test

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
)

// blobCount counts the blob files of the data dir dir.
func blobCount(t *testing.T, dir string) int {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "blobs", "[0-9a-f][0-9a-f]", "*"))
	if err != nil {
		t.Fatal(err)
	}
	return len(files)
}

// bigPNG encodes a w×h PNG without compression, so that its bytes are
// about 4·w·h however plain its pixels.
func bigPNG(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for i := 0; i < len(img.Pix); i += 4 {
		img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = uint8(i), uint8(i>>8), uint8(i>>16), 255
	}
	var buf bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.NoCompression}).Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestConcurrency_DeleteOneImageFiftyTimes(t *testing.T) {
	dir := t.TempDir()
	ts := newTestServerIn(t, dir, nil).withAccounts(t)
	id := ts.upload(t, "alice", part{"file", "once.png", pngBytes(t, 40, 30, color.RGBA{1, 2, 3, 255})}).Images[0].ID

	const n = 50
	statuses := make([]int, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			req, _ := http.NewRequest("DELETE", ts.URL+"/api/images/"+id, nil)
			req.Header = ts.as("alice")
			<-start
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			statuses[i] = resp.StatusCode
		})
	}
	close(start)
	wg.Wait()

	count := map[int]int{}
	for _, s := range statuses {
		count[s]++
	}
	if count[http.StatusNoContent] != 1 || count[http.StatusNotFound] != n-1 {
		t.Fatalf("statuses %v, want one 204 and %d 404", count, n-1)
	}
	for _, path := range []string{"", "/file", "/thumb/small", "/thumb/large"} {
		if resp, b := do(t, "GET", ts.URL+"/api/images/"+id+path, nil, ts.as("alice")); resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s after the deletes: %d %s", path, resp.StatusCode, b)
		}
	}
	if n := blobCount(t, dir); n != 0 {
		t.Errorf("%d blobs left", n)
	}
	if err := ts.db.Verify(t.Context()); err != nil {
		t.Error(err)
	}
}

// TestConcurrency_DeleteWhileDownloading deletes an image while a slow
// client is part way through its file: the download ends with the right
// bytes (or ends early with a prefix of them, never wrong ones), the delete
// takes the bytes off the disk, and the file is gone afterwards.
func TestConcurrency_DeleteWhileDownloading(t *testing.T) {
	dir := t.TempDir()
	ts := newTestServerIn(t, dir, nil).withAccounts(t)
	// About 6 MB: more than the server's socket send buffer (4 MiB at
	// most on Linux) and the client's receive buffer hold together.
	data := bigPNG(t, 1250, 1250)
	id := ts.upload(t, "alice", part{"file", "big.png", data}).Images[0].ID

	// A small receive buffer keeps the server from pushing the whole file
	// into the connection before the delete.
	slow := &http.Client{Transport: &http.Transport{DialContext: (&net.Dialer{
		Control: func(_, _ string, c syscall.RawConn) error {
			var serr error
			err := c.Control(func(fd uintptr) { serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 16<<10) })
			if err != nil {
				return err
			}
			return serr
		},
	}).DialContext}}
	req, _ := http.NewRequest("GET", ts.URL+"/api/images/"+id+"/file", nil)
	req.Header = ts.as("alice")
	resp, err := slow.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("download: %d", resp.StatusCode)
	}
	got := make([]byte, 64<<10)
	if _, err := io.ReadFull(resp.Body, got); err != nil {
		t.Fatal(err)
	}

	if resp, b := do(t, "DELETE", ts.URL+"/api/images/"+id, nil, ts.as("alice")); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("delete during the download: %d %s", resp.StatusCode, b)
	}
	if n := blobCount(t, dir); n != 0 {
		t.Errorf("%d blobs left after the delete", n)
	}

	rest, err := io.ReadAll(resp.Body)
	got = append(got, rest...)
	switch {
	case err == nil && !bytes.Equal(got, data):
		t.Errorf("the download finished with %d bytes that differ from the %d stored", len(got), len(data))
	case err != nil && !bytes.HasPrefix(data, got):
		t.Errorf("the download ended (%v) with %d bytes that are not a prefix of the file", err, len(got))
	case err != nil:
		t.Logf("the download ended early, cleanly, after %d of %d bytes: %v", len(got), len(data), err)
	}

	for _, path := range []string{"", "/file", "/thumb/small", "/thumb/large"} {
		if resp, b := do(t, "GET", ts.URL+"/api/images/"+id+path, nil, ts.as("alice")); resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s after the delete: %d %s", path, resp.StatusCode, b)
		}
	}
	if err := ts.db.Verify(t.Context()); err != nil {
		t.Error(err)
	}
}

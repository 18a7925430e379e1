package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"math/rand/v2"
	"mime/multipart"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"imagerepo/store"
)

// This file runs the real binary as a child process, for the crash and
// failpoint tests: start it, find its URL, kill or stop it, read its log.

// hangLimit is how long a child is given for what should take a moment; it
// only turns a hang into a failure, it measures nothing.
const hangLimit = 60 * time.Second

// buildTagged builds the real executable with the given build tags.
func buildTagged(t *testing.T, tags string) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "imagerepo")
	cmd := exec.Command("go", "build", "-tags", tags, "-o", bin, ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build -tags %s: %v\n%s", tags, err, out)
	}
	return bin
}

// child is one run of `imagerepo serve` on a data dir.
type child struct {
	cmd  *exec.Cmd
	url  string
	done chan struct{} // closed when the process has exited; err is its Wait
	err  error

	mu    sync.Mutex
	lines []string // its stderr so far
}

// startChild runs bin serve on dir with extra environment variables and
// returns once it listens. It fails the test if the process ends first.
func startChild(t *testing.T, bin, dir string, env ...string) *child {
	t.Helper()
	c := &child{cmd: exec.Command(bin, "serve", "--addr", "127.0.0.1:0", "--data", dir), done: make(chan struct{})}
	c.cmd.Env = append(os.Environ(), env...)
	stderr, err := c.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			c.mu.Lock()
			c.lines = append(c.lines, sc.Text())
			c.mu.Unlock()
			if m := regexp.MustCompile(`url=(http://\S+)`).FindStringSubmatch(sc.Text()); m != nil {
				select {
				case urls <- m[1]:
				default:
				}
			}
		}
		c.err = c.cmd.Wait()
		close(c.done)
	}()
	t.Cleanup(func() { c.kill() })
	select {
	case c.url = <-urls:
		return c
	case <-c.done:
		t.Fatalf("the server exited before listening: %v\n%s", c.err, c.log())
	case <-time.After(hangLimit):
		t.Fatalf("the server did not listen within %v\n%s", hangLimit, c.log())
	}
	return nil
}

func (c *child) log() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return strings.Join(c.lines, "\n")
}

// kill sends SIGKILL and waits for the process to be gone.
func (c *child) kill() {
	_ = c.cmd.Process.Signal(syscall.SIGKILL)
	<-c.done
}

// stop sends SIGTERM and fails the test unless the process exits with 0.
func (c *child) stop(t *testing.T) {
	t.Helper()
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	c.wait(t)
	if c.err != nil {
		t.Fatalf("exit after SIGTERM: %v, want 0\n%s", c.err, c.log())
	}
}

// wait waits for the process to end by itself.
func (c *child) wait(t *testing.T) {
	t.Helper()
	select {
	case <-c.done:
	case <-time.After(hangLimit):
		t.Fatalf("the server did not exit within %v\n%s", hangLimit, c.log())
	}
}

// waitLog waits until the server has logged a line containing s.
func (c *child) waitLog(t *testing.T, s string) {
	t.Helper()
	deadline := time.Now().Add(hangLimit)
	for !strings.Contains(c.log(), s) {
		select {
		case <-c.done:
			if strings.Contains(c.log(), s) {
				return
			}
			t.Fatalf("the server exited (%v) without logging %q\n%s", c.err, s, c.log())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %q logged within %v\n%s", s, hangLimit, c.log())
		}
	}
}

// client is an API client signed in with a bearer token; base follows the
// server across restarts. It never fails the test itself, so that worker
// goroutines can use it.
type client struct {
	base  string
	token string
	hc    *http.Client
}

// newAdminClient makes the first admin on a fresh server and returns a
// client with a token of theirs.
func newAdminClient(t *testing.T, base string) *client {
	t.Helper()
	c := signIn(t, base, "admin", "admin-password", true)
	return &client{base: base, token: createToken(t, c, base), hc: &http.Client{Timeout: hangLimit}}
}

// do sends one request and reads the whole answer.
func (c *client) do(method, path string, body io.Reader, contentType string) (int, []byte, error) {
	req, err := http.NewRequest(method, c.base+path, body)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, nil, err
	}
	return resp.StatusCode, b, nil
}

// upload sends one file with a title and returns the new image's id on 201.
func (c *client) upload(name, title string, data []byte) (status int, id string, body []byte, err error) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	_ = mw.WriteField("title", title)
	w, _ := mw.CreateFormFile("file", name)
	_, _ = w.Write(data)
	_ = mw.Close()
	status, body, err = c.do("POST", "/api/images", &buf, mw.FormDataContentType())
	if err != nil || status != http.StatusCreated {
		return status, "", body, err
	}
	var out struct{ Images []struct{ ID string } }
	if err := json.Unmarshal(body, &out); err != nil || len(out.Images) != 1 {
		return status, "", body, fmt.Errorf("upload answer %s: %v", body, err)
	}
	return status, out.Images[0].ID, body, nil
}

// checkGone checks that the image with that id is 404 on every path that
// reads it: the document, the file and both thumbnails.
func checkGone(t *testing.T, c *client, id string) {
	t.Helper()
	for _, path := range []string{"", "/file", "/thumb/small", "/thumb/large"} {
		if status, b, err := c.do("GET", "/api/images/"+id+path, nil, ""); err != nil || status != http.StatusNotFound {
			t.Errorf("deleted image %s%s: %d %s %v", id, path, status, b, err)
		}
	}
}

// listed is an image as the list and search answers show it.
type listed struct {
	ID     string `json:"id"`
	Title  string `json:"title"`
	SHA256 string `json:"sha256"`
	Bytes  int64  `json:"bytes"`
}

// listAll pages through GET /api/images with the query q (list or search).
func (c *client) listAll(query string) ([]listed, error) {
	var all []listed
	cursor := ""
	for {
		status, b, err := c.do("GET", "/api/images?limit=200&"+query+"&cursor="+cursor, nil, "")
		if err != nil {
			return nil, err
		} else if status != http.StatusOK {
			return nil, fmt.Errorf("list %s: %d %s", query, status, b)
		}
		var page struct {
			Images []listed
			Next   string
		}
		if err := json.Unmarshal(b, &page); err != nil {
			return nil, err
		}
		all = append(all, page.Images...)
		if page.Next == "" {
			return all, nil
		}
		cursor = page.Next
	}
}

// pictureN encodes a small PNG whose pixels, and so whose bytes, differ
// for every n.
func pictureN(n int) []byte {
	r := rand.New(rand.NewPCG(uint64(n), 7))
	img := image.NewRGBA(image.Rect(0, 0, 24, 16))
	for i := 0; i < len(img.Pix); i += 4 {
		img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = uint8(r.Uint32()), uint8(r.Uint32()), uint8(r.Uint32()), 255
	}
	img.Set(0, 0, color.RGBA{uint8(n), uint8(n >> 8), uint8(n >> 16), 255}) // distinct even if the generator repeated
	return encodePNG(img)
}

// bigPictureN encodes a PNG larger than the small thumbnail's box, so that
// its original and two thumbnails are three different blobs; it differs
// for every n.
func bigPictureN(n int) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 400, 300))
	for y := range 300 {
		for x := range 400 {
			img.Set(x, y, color.RGBA{uint8(x + n), uint8(y + 3*n), uint8(x ^ y), 255})
		}
	}
	img.Set(0, 0, color.RGBA{uint8(n), uint8(n >> 8), uint8(n >> 16), 255})
	return encodePNG(img)
}

func encodePNG(img image.Image) []byte {
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		panic(err) // an in-memory RGBA always encodes
	}
	return buf.Bytes()
}

// blobFiles lists the blob files of a data dir (not the temp folder).
func blobFiles(t *testing.T, dir string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "blobs", "[0-9a-f][0-9a-f]", "*"))
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// dirEntries lists what is in one folder of the data dir ("" when it is gone).
func dirEntries(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	} else if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// verifyStopped opens the data dir of a stopped server, lets the sweep of
// an unclean stop finish, and fails the test on any problem Verify finds or
// any temp file left.
func verifyStopped(t *testing.T, dir string) {
	t.Helper()
	db, err := store.Open(dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	db.WaitSweep()
	if err := db.Verify(t.Context()); err != nil {
		t.Errorf("verify: %v", err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if left := dirEntries(t, filepath.Join(dir, "blobs", "tmp")); len(left) > 0 {
		t.Errorf("temp files left in blobs/tmp: %v", left)
	}
	// And `imagerepo verify`, which also hashes every blob and holds the
	// search index to the store.
	var out, errs strings.Builder
	if code := run(t.Context(), []string{"verify", "--data", dir}, strings.NewReader(""), &out, &errs); code != 0 {
		t.Errorf("imagerepo verify: exit %d\n%s%s", code, out.String(), errs.String())
	}
}

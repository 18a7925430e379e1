package main

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"imagerepo/importer"
)

// createToken makes an API token for the signed-in client.
func createToken(t *testing.T, c *http.Client, base string) string {
	t.Helper()
	resp, err := c.Post(base+"/api/tokens", "application/json", strings.NewReader(`{"name":"import"}`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct{ Token string }
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != 201 || out.Token == "" {
		t.Fatalf("create token: %d %v", resp.StatusCode, err)
	}
	return out.Token
}

// genImage encodes a small picture that differs by seed, as PNG or JPEG.
func genImage(t *testing.T, seed int, asJPEG bool) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 16+seed, 12))
	for x := range 16 + seed {
		for y := range 12 {
			img.Set(x, y, color.RGBA{uint8(seed * 40), uint8(x * 15), uint8(y * 20), 255})
		}
	}
	var buf bytes.Buffer
	var err error
	if asJPEG {
		err = jpeg.Encode(&buf, img, nil)
	} else {
		err = png.Encode(&buf, img)
	}
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func writeFiles(t *testing.T, root string, files map[string][]byte) {
	t.Helper()
	for name, data := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// countingTransport counts the requests by method and path.
type countingTransport struct {
	uploads, lookups atomic.Int32
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/api/images":
		c.uploads.Add(1)
	case r.Method == http.MethodGet && r.URL.Query().Has("sha256"):
		c.lookups.Add(1)
	}
	return http.DefaultTransport.RoundTrip(r)
}

func TestImport_FolderTreeTwice(t *testing.T) {
	m := startMain(t, t.TempDir())
	defer m.Close()
	c := signIn(t, m.URL(), "admin", "admin-password", true)
	token := createToken(t, c, m.URL())

	root := t.TempDir()
	a := genImage(t, 1, false)
	writeFiles(t, root, map[string][]byte{
		"a.png":               a,
		"trip/b.png":          genImage(t, 2, false),
		"trip/day1/c.jpg":     genImage(t, 3, true),
		"trip/day1/d":         genImage(t, 4, false), // no extension: found by its bytes
		"trip/day2/e.jpeg":    genImage(t, 5, true),
		"notes.txt":           []byte("just some notes\n"),
		"trip/fake.jpg":       []byte("I am text wearing a .jpg name\n"),
		"copies/a-again.png":  a,
		"trip/day2/empty.gif": {},
	})
	// A link back up the tree must not make a loop.
	if err := os.Symlink(root, filepath.Join(root, "trip", "loop")); err != nil {
		t.Fatal(err)
	}

	count := &countingTransport{}
	opts := importer.Options{Server: m.URL(), Token: token, Dirs: []string{root}, HTTPClient: &http.Client{Transport: count}}
	var progress bytes.Buffer
	opts.Progress = &progress
	sum, err := importer.Run(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Uploaded != 5 || sum.Duplicates != 1 || len(sum.Failed) != 0 {
		t.Fatalf("first run: %+v", sum)
	}
	var skipped []string
	for _, s := range sum.Skipped {
		skipped = append(skipped, filepath.ToSlash(strings.TrimPrefix(s.Path, root)))
	}
	if got := strings.Join(skipped, " "); got != "/notes.txt /trip/day2/empty.gif /trip/fake.jpg /trip/loop" {
		t.Fatalf("skipped %q", got)
	}
	if got := count.uploads.Load(); got != 5 {
		t.Errorf("first run sent %d uploads, want 5 (the copy is known by its hash)", got)
	}
	if !strings.Contains(progress.String(), "9/9 files") {
		t.Errorf("progress %q lacks the final 9/9 files", progress.String())
	}

	code, body := get(t, c, m.URL()+"/api/images?limit=50")
	var list struct {
		Images []struct{ Title, Owner string }
	}
	if err := json.Unmarshal(body, &list); err != nil || code != 200 {
		t.Fatalf("list: %d %s", code, body)
	}
	var titles []string
	for _, img := range list.Images {
		titles = append(titles, img.Title)
		if img.Owner != "admin" {
			t.Errorf("image %q owned by %q", img.Title, img.Owner)
		}
	}
	if len(titles) != 5 {
		t.Fatalf("server has %v, want the five images", titles)
	}

	// The second run finds everything on the server and sends no bytes.
	count2 := &countingTransport{}
	opts.HTTPClient = &http.Client{Transport: count2}
	sum, err = importer.Run(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Uploaded != 0 || sum.Duplicates != 6 || sum.Bytes != 0 || len(sum.Failed) != 0 {
		t.Fatalf("second run: %+v", sum)
	}
	if n := count2.uploads.Load(); n != 0 {
		t.Fatalf("second run sent %d uploads, want none", n)
	}
	if n := count2.lookups.Load(); n != 5 {
		t.Errorf("second run made %d sha256 lookups, want 5", n)
	}
	if _, body := get(t, c, m.URL()+"/api/images?limit=50"); strings.Count(string(body), `"sha256"`) != 5 {
		t.Fatalf("after the second run: %s", body)
	}
}

func TestImport_Command(t *testing.T) {
	m := startMain(t, t.TempDir())
	defer m.Close()
	c := signIn(t, m.URL(), "admin", "admin-password", true)
	token := createToken(t, c, m.URL())
	root := t.TempDir()
	writeFiles(t, root, map[string][]byte{
		"one.png":    genImage(t, 1, false),
		"broken.png": []byte("\x89PNG\r\n\x1a\nthe rest is not a PNG"),
	})

	t.Run("flags from the environment, json on stdout, a failure exits 1", func(t *testing.T) {
		t.Setenv("IMAGEREPO_SERVER", m.URL())
		t.Setenv("IMAGEREPO_TOKEN", token)
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), []string{"import", root, "--json", "--tags", "trip,2024", "--visibility", "private"}, nil, &stdout, &stderr)
		if code != 1 {
			t.Fatalf("exit %d, want 1 for the broken file\n%s", code, stderr.String())
		}
		var sum struct {
			Uploaded int
			Failed   []struct{ Path, Error string }
		}
		if err := json.Unmarshal(stdout.Bytes(), &sum); err != nil {
			t.Fatalf("stdout %q: %v", stdout.String(), err)
		}
		if sum.Uploaded != 1 || len(sum.Failed) != 1 || !strings.HasSuffix(sum.Failed[0].Path, "broken.png") {
			t.Fatalf("summary %+v", sum)
		}
		if !strings.Contains(stderr.String(), "1 uploaded") || !strings.Contains(stderr.String(), "1 failed") {
			t.Fatalf("stderr %q lacks the summary", stderr.String())
		}
		_, body := get(t, c, m.URL()+"/api/images?tag=trip")
		if !strings.Contains(string(body), `"visibility":"private"`) || !strings.Contains(string(body), `"2024"`) {
			t.Fatalf("the tags and visibility did not arrive: %s", body)
		}
	})

	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantErr  string
	}{
		{"bad token", []string{"import", "--server", m.URL(), "--token", "nope", root}, 1, "the token was refused"},
		{"no server there", []string{"import", "--server", "http://127.0.0.1:1", "--token", token, root}, 1, "cannot reach"},
		{"no token", []string{"import", "--server", m.URL(), root}, 2, "--token"},
		{"no server", []string{"import", "--token", token, root}, 2, "--server"},
		{"no folder", []string{"import", "--server", m.URL(), "--token", token}, 2, "folder"},
		{"missing folder", []string{"import", "--server", m.URL(), "--token", token, filepath.Join(root, "nothing")}, 1, "cannot read"},
		{"bad visibility", []string{"import", "--server", m.URL(), "--token", token, "--visibility", "secret", root}, 2, "--visibility"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), tt.args, nil, &stdout, &stderr)
			if code != tt.wantCode || !strings.Contains(stderr.String(), tt.wantErr) {
				t.Fatalf("exit %d, want %d; stderr %q, want %q", code, tt.wantCode, stderr.String(), tt.wantErr)
			}
		})
	}
}

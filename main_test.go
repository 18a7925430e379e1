package main

import (
	"bufio"
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

// startMain runs the whole program in-process on a free port.
func startMain(t *testing.T, dir string) *Main {
	t.Helper()
	m := NewMain()
	m.Config.Addr = "127.0.0.1:0"
	m.Config.DataDir = dir
	m.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	return m
}

func testPNG(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 3, 2))
	img.Set(1, 1, color.RGBA{9, 8, 7, 255})
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// signIn returns a client with the session cookie of username, making the
// account the first admin first when create is set.
func signIn(t *testing.T, base, username, password string, create bool) *http.Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	body := `{"username":"` + username + `","password":"` + password + `"}`
	if create {
		if resp, err := c.Post(base+"/api/users", "application/json", strings.NewReader(body)); err != nil || resp.StatusCode != 201 {
			t.Fatalf("create admin: %v %v", resp, err)
		}
	}
	resp, err := c.Post(base+"/api/session", "application/json", strings.NewReader(body))
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("sign in: %v %v", resp, err)
	}
	return c
}

func uploadFile(t *testing.T, c *http.Client, base, name string, data []byte) string {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	w, _ := mw.CreateFormFile("file", name)
	w.Write(data)
	mw.Close()
	resp, err := c.Post(base+"/api/images", mw.FormDataContentType(), &buf)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("upload: %d %s", resp.StatusCode, b)
	}
	id := regexp.MustCompile(`"id":"([a-z0-9]+)"`).FindSubmatch(b)
	if id == nil {
		t.Fatalf("no id in %s", b)
	}
	return string(id[1])
}

func get(t *testing.T, c *http.Client, url string) (int, []byte) {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func TestMain_Run_RestartKeepsImages(t *testing.T) {
	dir := t.TempDir()
	data := testPNG(t)
	m := startMain(t, dir)
	c := signIn(t, m.URL(), "admin", "admin-password", true)
	id := uploadFile(t, c, m.URL(), "kept.png", data)
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}

	m = startMain(t, dir)
	defer m.Close()
	// The session survives the restart too.
	if code, b := get(t, c, m.URL()+"/api/images/"+id); code != 200 || !strings.Contains(string(b), `"title":"kept"`) {
		t.Fatalf("after restart: %d %s", code, b)
	}
	if code, b := get(t, c, m.URL()+"/api/images/"+id+"/file"); code != 200 || !bytes.Equal(b, data) {
		t.Fatalf("file after restart: %d, %d bytes", code, len(b))
	}
}

// The real wiring: /metrics is the admin's, counts what happened, and
// /healthz answers while the store does.
func TestMain_Run_MetricsAndHealth(t *testing.T) {
	m := startMain(t, t.TempDir())
	defer m.Close()
	c := signIn(t, m.URL(), "admin", "admin-password", true)
	id := uploadFile(t, c, m.URL(), "one.png", testPNG(t))
	get(t, c, m.URL()+"/api/images/"+id)

	if code, _ := get(t, http.DefaultClient, m.URL()+"/metrics"); code != http.StatusUnauthorized {
		t.Errorf("anonymous /metrics: %d, want 401", code)
	}
	code, b := get(t, c, m.URL()+"/metrics")
	if code != 200 {
		t.Fatalf("admin /metrics: %d %s", code, b)
	}
	for _, want := range []string{
		"imagerepo_images_stored 1\n",
		"imagerepo_cache_misses_total 1\n",
		`imagerepo_http_requests_total{code="201",method="POST",route="/api/images"} 1`,
		"go_goroutines ",
		"process_resident_memory_bytes ",
	} {
		if !strings.Contains(string(b), want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if code, b := get(t, http.DefaultClient, m.URL()+"/healthz"); code != 200 || !strings.Contains(string(b), `"status":"ok"`) {
		t.Errorf("/healthz: %d %s", code, b)
	}
}

func TestMain_Run_DataDirInUse(t *testing.T) {
	dir := t.TempDir()
	m := startMain(t, dir)
	defer m.Close()

	second := NewMain()
	second.Config.Addr = "127.0.0.1:0"
	second.Config.DataDir = dir
	start := time.Now()
	err := second.Run(context.Background())
	second.Close()
	if err == nil || !strings.Contains(err.Error(), "in use") {
		t.Fatalf("second Run: err = %v, want a data dir in use error", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("second Run took %v to fail", d)
	}
}

func TestMain_ParseFlags(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		check   func(*Main) bool
		wantErr string
	}{
		{name: "defaults", check: func(m *Main) bool {
			return m.Config.Addr == ":8080" && m.Config.DataDir == "./imagerepo-data" && m.Config.API.MaxFileBytes == 50<<20 && m.Config.API.MaxFiles == 100
		}},
		{name: "flags", args: []string{"--addr", ":9000", "--data", "/tmp/x", "--max-file-size", "2MiB", "--cache-size", "5"},
			check: func(m *Main) bool {
				return m.Config.Addr == ":9000" && m.Config.DataDir == "/tmp/x" && m.Config.API.MaxFileBytes == 2<<20 && m.Config.CacheSize == 5
			}},
		{name: "environment", env: map[string]string{"IMAGEREPO_ADDR": ":7000", "IMAGEREPO_MAX_FILE_SIZE": "10MB", "IMAGEREPO_MAX_PIXELS": "42"},
			check: func(m *Main) bool {
				return m.Config.Addr == ":7000" && m.Config.API.MaxFileBytes == 10_000_000 && m.Config.MaxPixels == 42
			}},
		{name: "flag beats environment", args: []string{"--addr", ":1"}, env: map[string]string{"IMAGEREPO_ADDR": ":2"},
			check: func(m *Main) bool { return m.Config.Addr == ":1" }},
		{name: "bad environment value", env: map[string]string{"IMAGEREPO_CACHE_SIZE": "many"}, wantErr: "IMAGEREPO_CACHE_SIZE"},
		{name: "bad size", args: []string{"--max-file-size", "lots"}, wantErr: "size"},
		{name: "zero cache", args: []string{"--cache-size", "0"}, wantErr: "--cache-size"},
		{name: "stray argument", args: []string{"extra"}, wantErr: "unexpected argument"},
		{name: "observability", args: []string{"--metrics", "public", "--log-level", "warn", "--log-format", "json"},
			check: func(m *Main) bool {
				return m.Config.API.MetricsAccess == "public" && m.Config.LogLevel == slog.LevelWarn && m.Config.LogFormat == "json"
			}},
		{name: "bad metrics access", args: []string{"--metrics", "everyone"}, wantErr: "--metrics"},
		{name: "bad log level", env: map[string]string{"IMAGEREPO_LOG_LEVEL": "loud"}, wantErr: "IMAGEREPO_LOG_LEVEL"},
		{name: "bad log format", args: []string{"--log-format", "xml"}, wantErr: "--log-format"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			m := NewMain()
			err := m.ParseFlags(tt.args, io.Discard)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one with %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !tt.check(m) {
				t.Fatalf("config = %+v", m.Config)
			}
		})
	}
}

// The version and commit buildBinary stamps, as a release build does.
const (
	testVersion = "9.9.9-test"
	testCommit  = "0123456789abcdef0123"
)

// buildBinary builds the real executable once per test that needs it.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "imagerepo")
	cmd := exec.Command("go", "build", "-ldflags", "-X main.version="+testVersion+" -X main.commit="+testCommit, "-o", bin, ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func TestBinary_ServeAndStop(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := buildBinary(t)
	dir := filepath.Join(t.TempDir(), "data")

	t.Run("version", func(t *testing.T) {
		for _, args := range [][]string{{"--version"}, {"version"}} {
			out, err := exec.Command(bin, args...).Output()
			want := "imagerepo " + testVersion + " (commit " + testCommit[:12] + ", "
			if err != nil || !strings.HasPrefix(string(out), want) || !strings.Contains(string(out), runtime.Version()) {
				t.Fatalf("%s: %q %v, want %q…", args[0], out, err, want)
			}
		}
	})
	t.Run("unknown command", func(t *testing.T) {
		err := exec.Command(bin, "frobnicate").Run()
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 2 {
			t.Fatalf("err = %v, want exit 2", err)
		}
	})

	t.Run("user add", func(t *testing.T) {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		add := exec.Command(bin, "user", "add", "root", "--admin", "--data", dir)
		add.Stdin = strings.NewReader("root-password\n")
		if out, err := add.CombinedOutput(); err != nil || !strings.Contains(string(out), "added root (admin)") {
			t.Fatalf("user add: %v %s", err, out)
		}
		short := exec.Command(bin, "user", "add", "bob", "--data", dir)
		short.Stdin = strings.NewReader("short\n")
		out, err := short.CombinedOutput()
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 || !strings.Contains(string(out), "at least 8") {
			t.Fatalf("short password: %v %s", err, out)
		}
	})

	cmd := exec.Command(bin, "serve", "--addr", "127.0.0.1:0")
	cmd.Env = append(os.Environ(), "IMAGEREPO_DATA="+dir)
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	url := ""
	sc := bufio.NewScanner(stderr)
	for sc.Scan() {
		if m := regexp.MustCompile(`url=(http://\S+)`).FindStringSubmatch(sc.Text()); m != nil {
			url = m[1]
			break
		}
	}
	if url == "" {
		t.Fatal("the server did not print its URL")
	}
	go io.Copy(io.Discard, stderr)
	c := signIn(t, url, "root", "root-password", false)
	id := uploadFile(t, c, url, "bin.png", testPNG(t))
	if code, _ := get(t, c, url+"/api/images/"+id); code != 200 {
		t.Fatalf("get: %d", code)
	}
	if _, err := os.Stat(filepath.Join(dir, ".running")); err != nil {
		t.Fatalf("no running marker while serving: %v", err)
	}
	t.Run("import", func(t *testing.T) {
		token := createToken(t, c, url)
		folder := t.TempDir()
		writeFiles(t, folder, map[string][]byte{"x/new.png": genImage(t, 7, false), "readme.txt": []byte("hi")})
		imp := exec.Command(bin, "import", "--json", folder)
		imp.Env = append(os.Environ(), "IMAGEREPO_SERVER="+url, "IMAGEREPO_TOKEN="+token)
		var stderr bytes.Buffer
		imp.Stderr = &stderr
		out, err := imp.Output()
		if err != nil || !strings.Contains(string(out), `"uploaded": 1`) || !strings.Contains(stderr.String(), "1 skipped") {
			t.Fatalf("import: %v\nstdout %s\nstderr %s", err, out, stderr.String())
		}
		bad := exec.Command(bin, "import", "--server", url, "--token", "wrong", folder)
		out, err = bad.CombinedOutput()
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 || !strings.Contains(string(out), "the token was refused") {
			t.Fatalf("bad token: %v %s", err, out)
		}
	})

	cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v, want 0", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("no exit 30s after SIGTERM")
	}
	if _, err := os.Stat(filepath.Join(dir, ".running")); !os.IsNotExist(err) {
		t.Fatalf("running marker left after a clean stop: %v", err)
	}

	t.Run("reindex", func(t *testing.T) {
		out, err := exec.Command(bin, "reindex", "--data", dir).CombinedOutput()
		if err != nil || !strings.Contains(string(out), "reindexed 2 images in") {
			t.Fatalf("reindex: %v %s", err, out)
		}
		out, err = exec.Command(bin, "reindex", "--data", filepath.Join(dir, "nothing")).CombinedOutput()
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 || !strings.Contains(string(out), "no imagerepo data") {
			t.Fatalf("reindex of no data: %v %s", err, out)
		}
	})
}

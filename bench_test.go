package main

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"imagerepo/bench"
)

// benchJSONFields are every field of the bench's JSON, as the README lists them.
var benchJSONFields = map[string][]string{
	"machine":  {"cpu", "cores", "go", "os"},
	"fixture":  {"server", "images", "distinct_files", "cache_size", "hot_ids", "absent_ids", "load_seconds", "miss_method"},
	"original": {"present_speedup", "absent_speedup"},
	"component": {"cache_present_ns", "store_present_ns", "cache_absent_ns", "store_absent_ns", "present_speedup",
		"absent_speedup", "cache_present_seconds", "store_present_seconds", "cache_absent_seconds", "store_absent_seconds"},
	"service": {"hit_ns", "miss_ns", "absent_ns", "hit_speedup", "hit_seconds", "miss_seconds", "absent_seconds",
		"hit_cache_hits", "hit_cache_misses", "miss_cache_hits", "miss_cache_misses"},
	"http": {"concurrency", "hit_p50_us", "hit_p99_us", "hit_rps", "miss_p50_us", "miss_p99_us", "miss_rps",
		"absent_p50_us", "absent_p99_us", "absent_rps", "p50_speedup", "rps_speedup", "hit_requests", "miss_requests",
		"absent_requests", "hit_seconds", "miss_seconds", "absent_seconds", "hit_x_cache_hits", "hit_x_cache_misses",
		"miss_x_cache_hits", "miss_x_cache_misses", "absent_x_cache_hits", "absent_x_cache_misses", "hit_cache_hits",
		"hit_cache_misses", "miss_cache_hits", "miss_cache_misses", "absent_cache_hits", "absent_cache_misses"},
}

// runBenchJSON runs imagerepo bench with args and --json and returns its
// JSON object, failing the test unless it exits 0 with only JSON on stdout.
func runBenchJSON(t *testing.T, args ...string) map[string]map[string]any {
	t.Helper()
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), append([]string{"bench", "--json"}, args...), nil, &stdout, &stderr); code != 0 {
		t.Fatalf("bench %v: exit %d\n%s", args, code, stderr.String())
	}
	var got map[string]json.RawMessage
	dec := json.NewDecoder(&stdout)
	if err := dec.Decode(&got); err != nil {
		t.Fatalf("stdout is not one JSON object: %v", err)
	}
	if rest, _ := io.ReadAll(dec.Buffered()); len(bytes.TrimSpace(rest)) > 0 || stdout.Len() > 0 {
		t.Fatalf("more than one JSON object on stdout: %s", rest)
	}
	if !strings.Contains(stderr.String(), "bench 1/") {
		t.Errorf("no progress line on stderr: %q", stderr.String())
	}
	var secs float64
	if err := json.Unmarshal(got["seconds"], &secs); err != nil || secs <= 0 {
		t.Errorf("seconds = %s, want the run's length", got["seconds"])
	}
	delete(got, "seconds")
	out := map[string]map[string]any{}
	for level, raw := range got {
		var m map[string]any
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatalf("%s: %v", level, err)
		}
		out[level] = m
	}
	return out
}

func num(t *testing.T, r map[string]map[string]any, level, field string) float64 {
	t.Helper()
	v, ok := r[level][field].(float64)
	if !ok {
		t.Fatalf("%s.%s = %v, want a number", level, field, r[level][field])
	}
	return v
}

// TestBench_Local: a small run on a temporary repository completes, its
// JSON has every field, the hit cases were hits and the miss cases misses
// by the X-Cache header and by the cache's own counters, and the chart is
// well-formed SVG with a fast and a slow bar per comparison.
func TestBench_Local(t *testing.T) {
	svg := filepath.Join(t.TempDir(), "bench.svg")
	r := runBenchJSON(t, "--images", "200", "--duration", "50ms", "--concurrency", "4", "--svg", svg)
	for level, fields := range benchJSONFields {
		for _, f := range fields {
			if _, ok := r[level][f]; !ok {
				t.Errorf("JSON lacks %s.%s", level, f)
			}
		}
		if len(r[level]) != len(fields) {
			t.Errorf("%s has %d fields, the README lists %d: %v", level, len(r[level]), len(fields), r[level])
		}
	}
	if n := num(t, r, "fixture", "images"); n != 200 {
		t.Errorf("fixture.images = %v", n)
	}
	for _, f := range []string{"present_speedup", "absent_speedup", "cache_present_ns", "store_absent_ns"} {
		if num(t, r, "component", f) <= 0 {
			t.Errorf("component.%s is not positive", f)
		}
	}
	if num(t, r, "service", "hit_cache_hits") == 0 || num(t, r, "service", "hit_cache_misses") != 0 ||
		num(t, r, "service", "miss_cache_misses") == 0 || num(t, r, "service", "miss_cache_hits") != 0 {
		t.Errorf("service cases: cache counters %v", r["service"])
	}
	for _, c := range []struct{ kase, header, counter string }{
		{"hit", "hit_x_cache_hits", "hit_cache_hits"},
		{"miss", "miss_x_cache_misses", "miss_cache_misses"},
		{"absent", "absent_x_cache_misses", "absent_cache_misses"},
	} {
		n := num(t, r, "http", c.kase+"_requests")
		if n == 0 {
			t.Errorf("http %s case: no requests", c.kase)
		}
		if h := num(t, r, "http", c.header); h != n {
			t.Errorf("http %s case: %v of %v responses had the expected X-Cache", c.kase, h, n)
		}
		// Each request is one cache look-up: the cache's count agrees.
		if got := num(t, r, "http", c.counter); got != n {
			t.Errorf("http %s case: the cache counted %v, the responses %v", c.kase, got, n)
		}
	}
	if num(t, r, "http", "hit_cache_misses") != 0 || num(t, r, "http", "miss_cache_hits") != 0 {
		t.Errorf("hits and misses mixed: %v", r["http"])
	}

	f, err := os.Open(svg)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	bars := map[string]int{}
	dec := xml.NewDecoder(f)
	root := ""
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("the SVG is not well-formed XML: %v", err)
		}
		if se, ok := tok.(xml.StartElement); ok {
			if root == "" {
				root = se.Name.Space + " " + se.Name.Local
			}
			for _, a := range se.Attr {
				if se.Name.Local == "rect" && a.Name.Local == "class" {
					bars[a.Value]++
				}
			}
		}
	}
	if root != "http://www.w3.org/2000/svg svg" {
		t.Errorf("root element %q, want svg", root)
	}
	// component present and absent, service Get, HTTP p50 and p99.
	if bars["bar fast"] != 5 || bars["bar slow"] != 5 {
		t.Errorf("bars %v, want 5 fast and 5 slow", bars)
	}
}

// TestBench_Table: without --json stdout is the table, beside the
// original's ratios, and the progress stays on stderr.
func TestBench_Table(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"bench", "--images", "40", "--duration", "20ms", "--concurrency", "2"}, nil, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	for _, want := range []string{"component", "store look-up, absent id", "service", "Get, miss", "GET /api/images/{id}",
		"7.6x", "3.9x", "cores", "go1.", "misses: each miss asks for the next of all 40 ids"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, stdout.String())
		}
	}
	if strings.Contains(stdout.String(), "bench 1/") || strings.Contains(stdout.String(), "\r") {
		t.Errorf("progress on stdout:\n%q", stdout.String())
	}
	// stderr is no terminal: one plain line per step, no redrawing.
	if strings.ContainsAny(stderr.String(), "\r\033") || !strings.Contains(stderr.String(), "bench 1/10: component: cache look-up, present id\n") {
		t.Errorf("progress on a non-terminal:\n%q", stderr.String())
	}
}

// TestBench_Server: --server measures a running server's own images,
// private ones too with a token, and changes none of them.
func TestBench_Server(t *testing.T) {
	m := startMain(t, t.TempDir())
	defer m.Close()
	c := signIn(t, m.URL(), "admin", "admin-password", true)
	for i := range 5 {
		data, err := benchPNG(i)
		if err != nil {
			t.Fatal(err)
		}
		uploadFile(t, c, m.URL(), "photo.png", data)
	}
	resp, err := c.Post(m.URL()+"/api/tokens", "application/json", strings.NewReader(`{"name":"bench"}`))
	if err != nil {
		t.Fatal(err)
	}
	var tok struct{ Token string }
	err = json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("token: %d %v", resp.StatusCode, err)
	}
	_, before := get(t, c, m.URL()+"/api/images")

	r := runBenchJSON(t, "--server", m.URL(), "--token", tok.Token, "--duration", "50ms", "--concurrency", "3")
	if r["component"] != nil || r["service"] != nil {
		t.Errorf("--server measured in process: %v %v", r["component"], r["service"])
	}
	if n := num(t, r, "fixture", "images"); n != 5 {
		t.Errorf("fixture.images = %v, want the server's 5 (private, seen with the token)", n)
	}
	if s, _ := r["fixture"]["server"].(string); s != m.URL() {
		t.Errorf("fixture.server = %q", s)
	}
	hits := num(t, r, "http", "hit_requests")
	if hits == 0 || num(t, r, "http", "hit_x_cache_hits") != hits {
		t.Errorf("hit case: %v requests, %v X-Cache hits", hits, r["http"]["hit_x_cache_hits"])
	}
	// The server's cache holds all 5 images: what the miss case asks for is
	// served from the cache, and the report says so.
	if n := num(t, r, "http", "miss_requests"); n == 0 || num(t, r, "http", "miss_x_cache_hits") != n {
		t.Errorf("miss case against a cache holding everything: %v", r["http"])
	}
	if n := num(t, r, "http", "absent_requests"); n == 0 || num(t, r, "http", "absent_x_cache_misses") != n {
		t.Errorf("absent case: %v", r["http"])
	}
	// So there is no miss to compare the hits with: no ratio.
	if r["http"]["p50_speedup"] != nil || r["http"]["rps_speedup"] != nil {
		t.Errorf("ratios of a miss case that hit: %v %v, want null", r["http"]["p50_speedup"], r["http"]["rps_speedup"])
	}
	if r["http"]["hit_cache_hits"] != nil {
		t.Errorf("http.hit_cache_hits = %v, want null: the cache is in another process", r["http"]["hit_cache_hits"])
	}
	if _, after := get(t, c, m.URL()+"/api/images"); !bytes.Equal(before, after) {
		t.Errorf("the images changed:\nbefore %s\nafter  %s", before, after)
	}
}

// TestBench_BadFlags: each mistake is a message and exit 2, before any
// work.
func TestBench_BadFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--images", "5"}, "--images"},
		{[]string{"--images", "many"}, "invalid value"},
		{[]string{"--concurrency", "0"}, "--concurrency"},
		{[]string{"--duration", "1ns"}, "--duration"},
		{[]string{"--token", "x"}, "--token goes with --server"},
		{[]string{"--server", "localhost:8080"}, "http://"},
		{[]string{"--server", "http://localhost:1", "--images", "50"}, "--images"},
		{[]string{"extra"}, "unexpected argument"},
		{[]string{"--nope"}, "not defined"},
	} {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), append([]string{"bench"}, tc.args...), nil, &stdout, &stderr)
		if code != 2 || !strings.Contains(stderr.String(), tc.want) || stdout.Len() != 0 {
			t.Errorf("bench %v: exit %d, stderr %q; want 2 and %q", tc.args, code, stderr.String(), tc.want)
		}
	}
}

// TestBench_READMEFields: the README documents every JSON field. Its table
// names them as `level.field`, `.field` (same level as before) and
// `{a,b}` alternatives.
func TestBench_READMEFields(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	documented := map[string]bool{}
	level := ""
	for _, m := range regexp.MustCompile("`([a-z0-9_.{},]+)`").FindAllStringSubmatch(string(readme), -1) {
		name := m[1]
		if strings.HasPrefix(name, ".") {
			name = level + name
		} else if l, _, ok := strings.Cut(name, "."); ok {
			level = l
		}
		for _, n := range expandBraces(name) {
			documented[n] = true
		}
	}
	for level, fields := range benchJSONFields {
		for _, f := range fields {
			if !documented[level+"."+f] {
				t.Errorf("README does not document %s.%s", level, f)
			}
		}
	}
	if !documented["seconds"] {
		t.Error("README does not document seconds")
	}
}

// expandBraces expands a{b,c}d{e,f} into abde, abdf, acde, acdf.
func expandBraces(s string) []string {
	open := strings.Index(s, "{")
	end := strings.Index(s, "}")
	if open < 0 || end < open {
		return []string{s}
	}
	var out []string
	for _, alt := range strings.Split(s[open+1:end], ",") {
		out = append(out, expandBraces(s[:open]+alt+s[end+1:])...)
	}
	return out
}

// TestBench_RealServer: the temporary repository's server is wired as
// serve's: the metrics hooks (/metrics asks for an admin instead of being
// 404) and the request log handler, which writes a line per request.
func TestBench_RealServer(t *testing.T) {
	var logs bytes.Buffer
	repo := &benchRepo{logTo: &logs}
	defer repo.close()
	l, err := repo.open(context.Background(), 20, bench.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		path string
		want int
	}{{"/api/images/" + l.IDs[0], http.StatusOK}, {"/metrics", http.StatusUnauthorized}} {
		resp, err := http.Get(l.URL + c.path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != c.want {
			t.Errorf("GET %s: %d, want %d", c.path, resp.StatusCode, c.want)
		}
	}
	repo.close() // writes the held log lines out
	if want := "msg=request method=GET route=/api/images/:id path=/api/images/" + l.IDs[0] + " status=200"; !strings.Contains(logs.String(), want) {
		t.Errorf("no request line %q in the log:\n%s", want, logs.String())
	}
}

// TestBench_Environment: IMAGEREPO_TOKEN alone (set for import or backup)
// does not stop a run on a temporary repository; IMAGEREPO_SERVER measures
// that server and says so, and --images beside it is a mistake that names
// it.
func TestBench_Environment(t *testing.T) {
	small := []string{"bench", "--images", "40", "--duration", "10ms", "--concurrency", "2"}
	t.Run("token", func(t *testing.T) {
		t.Setenv("IMAGEREPO_TOKEN", "abc")
		var stdout, stderr bytes.Buffer
		if code := run(context.Background(), small, nil, &stdout, &stderr); code != 0 || !strings.Contains(stdout.String(), "fixture: 40 images") {
			t.Errorf("exit %d, stderr %q", code, stderr.String())
		}
	})
	t.Run("server", func(t *testing.T) {
		t.Setenv("IMAGEREPO_SERVER", "http://127.0.0.1:1")
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), []string{"bench", "--duration", "10ms"}, nil, &stdout, &stderr)
		if code != 1 || !strings.Contains(stderr.String(), "measuring http://127.0.0.1:1 (from IMAGEREPO_SERVER") {
			t.Errorf("exit %d, stderr %q; want 1 and where the server came from", code, stderr.String())
		}
		stderr.Reset()
		code = run(context.Background(), small, nil, &stdout, &stderr)
		if code != 2 || !strings.Contains(stderr.String(), "IMAGEREPO_SERVER") {
			t.Errorf("--images with IMAGEREPO_SERVER: exit %d, stderr %q; want 2 naming IMAGEREPO_SERVER", code, stderr.String())
		}
	})
}

// TestBench_SVGUnwritable: an --svg file that cannot be made is an error
// before anything is measured.
func TestBench_SVGUnwritable(t *testing.T) {
	svg := filepath.Join(t.TempDir(), "no", "such", "dir", "bench.svg")
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"bench", "--images", "40", "--duration", "10ms", "--concurrency", "2", "--svg", svg}, nil, &stdout, &stderr)
	if code != 1 || !strings.Contains(stderr.String(), "bench.svg") || strings.Contains(stderr.String(), "bench: making") || stdout.Len() != 0 {
		t.Errorf("exit %d, stderr %q; want 1 and the error before any work", code, stderr.String())
	}
}

// TestBench_SVGNotAFile: --svg to a device or a pipe (/dev/stdout, here
// /dev/null) is written to, not refused because it cannot be truncated.
func TestBench_SVGNotAFile(t *testing.T) {
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"bench", "--images", "40", "--duration", "10ms", "--concurrency", "2", "--svg", os.DevNull}, nil, &stdout, &stderr)
	if code != 0 || stdout.Len() == 0 {
		t.Errorf("exit %d, stderr %q", code, stderr.String())
	}
}

// cancelAt is a progress writer that cancels a run when a line it writes
// holds at.
type cancelAt struct {
	mu     sync.Mutex
	b      bytes.Buffer
	at     string
	cancel context.CancelFunc
}

func (w *cancelAt) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if bytes.Contains(p, []byte(w.at)) {
		w.cancel()
	}
	return w.b.Write(p)
}

// TestBench_Interrupted: a run stopped part way (Ctrl-C) says it was
// interrupted and exits 130, not with the error a case met on the way out,
// and leaves no --svg file behind.
func TestBench_Interrupted(t *testing.T) {
	svg := filepath.Join(t.TempDir(), "bench.svg")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stderr := &cancelAt{at: "store look-up, absent id", cancel: cancel}
	var stdout bytes.Buffer
	code := run(ctx, []string{"bench", "--images", "40", "--duration", "200ms", "--concurrency", "2", "--svg", svg}, nil, &stdout, stderr)
	if code != 130 || !strings.HasSuffix(stderr.b.String(), "imagerepo bench: interrupted\n") || stdout.Len() != 0 {
		t.Errorf("exit %d, stderr %q; want 130 and interrupted", code, stderr.b.String())
	}
	if _, err := os.Stat(svg); !os.IsNotExist(err) {
		t.Errorf("the SVG file is left: %v", err)
	}
}

package metrics_test

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"imagerepo/api"
	"imagerepo/cache"
	"imagerepo/imaging"
	"imagerepo/metrics"
	"imagerepo/search"
	"imagerepo/store"
)

// stack is the real server wired as main.go wires it: store, search index,
// a hot-id cache of one document, the metrics registry and the routes.
type stack struct {
	*httptest.Server
	db      *store.DB
	admin   http.Header  // a bearer token of the admin
	handler http.Handler // the server's, for benchmarks without sockets
}

func newStack(t testing.TB, access string) *stack {
	t.Helper()
	return newStackWith(t, access, true, slog.New(slog.DiscardHandler))
}

// newStackWith builds the stack with the metrics hooks wired or not, and
// the server logging to logger.
func newStackWith(t testing.TB, access string, withMetrics bool, logger *slog.Logger) *stack {
	t.Helper()
	dir := t.TempDir()
	quiet := slog.New(slog.DiscardHandler)
	db, err := store.Open(dir, store.Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	stored := store.NewImageService(db)
	seq, err := db.WriteSeq()
	if err != nil {
		t.Fatal(err)
	}
	idx, err := search.Open(filepath.Join(dir, "search"), search.Options{Logger: quiet, StoreSeq: seq, Source: stored})
	if err != nil {
		t.Fatal(err)
	}
	images := cache.New(search.NewImageService(stored, idx), 1)
	reg := metrics.New(metrics.Sources{
		Cache: func() metrics.CacheStats {
			st := images.Stats()
			return metrics.CacheStats{Hits: st.Hits, Misses: st.Misses, Evictions: st.Evictions, Len: st.Len, Size: st.Size}
		},
		Store: func(ctx context.Context) (metrics.StoreStats, error) {
			n, b, err := db.ImageStats(ctx)
			return metrics.StoreStats{Images: n, Bytes: b}, err
		},
	})
	cfg := api.DefaultConfig()
	cfg.UploadDir = t.TempDir()
	cfg.MetricsAccess = access
	svc := api.Services{
		Images:   images,
		Users:    search.NewUserService(store.NewUserService(db), idx),
		Sessions: store.NewSessionService(db),
		Tokens:   store.NewTokenService(db),
		Search:   reg.Search(idx),
		Similar:  stored,
		Hooks: api.Hooks{Route: reg.Route, UploadRefused: reg.UploadRefused, Metrics: reg.Handler(),
			Health: db.Ping},
	}
	if !withMetrics {
		svc.Search, svc.Hooks = idx, api.Hooks{}
	}
	srv := api.NewServer(cfg, svc, imaging.New(imaging.Limits{MaxPixels: 4_000_000}), nil, logger)
	s := &stack{Server: httptest.NewServer(srv.Handler()), db: db, handler: srv.Handler()}
	t.Cleanup(func() {
		s.Close()
		idx.Close()
		db.Close()
	})
	if code, b := s.do(t, "POST", "/api/users", strings.NewReader(`{"username":"admin","password":"admin-password"}`),
		http.Header{"Content-Type": {"application/json"}}); code != 201 {
		t.Fatalf("first admin: %d %s", code, b)
	}
	secret, _, err := store.NewTokenService(db).CreateToken(context.Background(), "admin", "test")
	if err != nil {
		t.Fatal(err)
	}
	s.admin = http.Header{"Authorization": {"Bearer " + secret}}
	return s
}

func (s *stack) do(t testing.TB, method, path string, body io.Reader, h http.Header) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, s.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	for k, vs := range h {
		req.Header[k] = vs
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b
}

// upload posts one file as the admin and returns the status and the first
// image's id, if any.
func (s *stack) upload(t testing.TB, name string, data []byte) (int, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	w, _ := mw.CreateFormFile("file", name)
	w.Write(data)
	mw.Close()
	h := s.admin.Clone()
	h.Set("Content-Type", mw.FormDataContentType())
	code, b := s.do(t, "POST", "/api/images", &buf, h)
	var res struct{ Images []struct{ ID string } }
	json.Unmarshal(b, &res)
	if len(res.Images) > 0 {
		return code, res.Images[0].ID
	}
	return code, ""
}

// scrape reads /metrics as the admin and parses it.
func (s *stack) scrape(t *testing.T) families {
	t.Helper()
	code, b := s.do(t, "GET", "/metrics", nil, s.admin)
	if code != 200 {
		t.Fatalf("/metrics: %d %s", code, b)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("/metrics does not parse: %v\n%s", err, b)
	}
	return fams
}

type families map[string]*dto.MetricFamily

// value is the value of the series of name with these labels (a counter,
// a gauge, or a histogram's count); -1 when there is none.
func (f families) value(name string, labels ...string) float64 {
	fam, ok := f[name]
	if !ok {
		return -1
	}
next:
	for _, m := range fam.GetMetric() {
		for i := 0; i+1 < len(labels); i += 2 {
			found := false
			for _, lp := range m.GetLabel() {
				if lp.GetName() == labels[i] && lp.GetValue() == labels[i+1] {
					found = true
				}
			}
			if !found {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue()
		case m.Gauge != nil:
			return m.Gauge.GetValue()
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount())
		}
	}
	return -1
}

func pngOf(t testing.TB, c color.Color) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 4, 3))
	for i := range img.Pix {
		img.Pix[i] = 0xff
	}
	img.Set(1, 1, c)
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestMetrics_CacheAtWork(t *testing.T) {
	s := newStack(t, api.MetricsAdmin)
	a, b := pngOf(t, color.RGBA{1, 2, 3, 255}), pngOf(t, color.RGBA{200, 100, 0, 255})
	_, idA := s.upload(t, "a.png", a)
	_, idB := s.upload(t, "b.png", b)
	if idA == "" || idB == "" {
		t.Fatal("uploads failed")
	}
	before := s.scrape(t)

	// The cache holds one document: A misses then hits; B misses and
	// pushes A out.
	for _, id := range []string{idA, idA, idB} {
		if code, body := s.do(t, "GET", "/api/images/"+id, nil, s.admin); code != 200 {
			t.Fatalf("GET %s: %d %s", id, code, body)
		}
	}
	after := s.scrape(t)
	for _, c := range []struct {
		name string
		want float64
	}{
		{"imagerepo_cache_misses_total", 2},
		{"imagerepo_cache_hits_total", 1},
		{"imagerepo_cache_evictions_total", 1},
	} {
		if got := after.value(c.name) - before.value(c.name); got != c.want {
			t.Errorf("%s moved by %v, want %v", c.name, got, c.want)
		}
	}
	if got := after.value("imagerepo_cache_entries"); got != 1 {
		t.Errorf("cache entries %v, want 1", got)
	}
	if got := after.value("imagerepo_images_stored"); got != 2 {
		t.Errorf("images stored %v, want 2", got)
	}
	if got := after.value("imagerepo_image_bytes_stored"); got != float64(len(a)+len(b)) {
		t.Errorf("bytes stored %v, want %d", got, len(a)+len(b))
	}

	// Requests are labelled with the route pattern, never the id.
	// No GET of one image came before: the series holds these three.
	if got := after.value("imagerepo_http_requests_total", "method", "GET", "route", "/api/images/:id", "code", "200"); got != 3 {
		t.Errorf("GET /api/images/:id 200 counted %v, want 3", got)
	}
	if got := after.value("imagerepo_http_request_duration_seconds", "method", "GET", "route", "/api/images/:id", "class", "2xx"); got != 3 {
		t.Errorf("GET /api/images/:id 2xx durations: %v observations, want 3", got)
	}
	for _, fam := range after {
		for _, m := range fam.GetMetric() {
			for _, lp := range m.GetLabel() {
				if strings.Contains(lp.GetValue(), idA) || strings.Contains(lp.GetValue(), idB) {
					t.Errorf("%s has an image id in label %s=%q", fam.GetName(), lp.GetName(), lp.GetValue())
				}
			}
		}
	}
}

func TestMetrics_UnknownPathsShareOneSeries(t *testing.T) {
	s := newStack(t, api.MetricsAdmin)
	for _, p := range []string{"/nothing/here", "/api/nowhere/1", "/api/nowhere/2"} {
		s.do(t, "POST", p, nil, nil)
	}
	f := s.scrape(t)
	if got := f.value("imagerepo_http_requests_total", "method", "POST", "route", "unmatched"); got != 3 {
		t.Errorf("unmatched POSTs counted %v, want 3", got)
	}
	for _, m := range f["imagerepo_http_requests_total"].GetMetric() {
		for _, lp := range m.GetLabel() {
			if strings.Contains(lp.GetValue(), "nowhere") || strings.Contains(lp.GetValue(), "nothing") {
				t.Errorf("a raw path became a label: %q", lp.GetValue())
			}
		}
	}
}

func TestMetrics_UploadsRefusedByReason(t *testing.T) {
	s := newStack(t, api.MetricsAdmin)
	before := s.scrape(t)
	if got := before.value("imagerepo_uploads_refused_total", "reason", "unsupported"); got != 0 {
		t.Fatalf("unsupported refusals at start: %v, want 0 (present from the start)", got)
	}
	if code, _ := s.upload(t, "notes.png", []byte("these are not image bytes")); code != http.StatusUnsupportedMediaType {
		t.Fatalf("text upload: %d, want 415", code)
	}
	data := pngOf(t, color.RGBA{9, 9, 9, 255})
	if code, _ := s.upload(t, "one.png", data); code != 201 {
		t.Fatalf("upload: %d", code)
	}
	if code, _ := s.upload(t, "again.png", data); code != 201 {
		t.Fatalf("duplicate upload: %d", code)
	}
	// Refused before any file: not multipart.
	h := s.admin.Clone()
	h.Set("Content-Type", "application/json")
	if code, _ := s.do(t, "POST", "/api/images", strings.NewReader("{}"), h); code != http.StatusUnsupportedMediaType {
		t.Fatalf("JSON upload: %d, want 415", code)
	}
	after := s.scrape(t)
	for reason, want := range map[string]float64{"unsupported": 2, "duplicate": 1, "too_large": 0, "unprocessable": 0} {
		if got := after.value("imagerepo_uploads_refused_total", "reason", reason); got != want {
			t.Errorf("refused for %s: %v, want %v", reason, got, want)
		}
	}
	if got := after.value("imagerepo_images_stored"); got != 1 {
		t.Errorf("images stored %v, want 1", got)
	}
}

func TestMetrics_SearchLatency(t *testing.T) {
	s := newStack(t, api.MetricsAdmin)
	before := s.scrape(t).value("imagerepo_search_duration_seconds")
	for _, q := range []string{"harbour", "boats"} {
		if code, b := s.do(t, "GET", "/api/images?q="+q, nil, s.admin); code != 200 {
			t.Fatalf("search: %d %s", code, b)
		}
	}
	if got := s.scrape(t).value("imagerepo_search_duration_seconds") - before; got != 2 {
		t.Errorf("search histogram counted %v queries, want 2", got)
	}
}

func TestMetrics_Access(t *testing.T) {
	tests := []struct {
		access           string
		anonymous, admin int
	}{
		{api.MetricsAdmin, http.StatusUnauthorized, http.StatusOK},
		{api.MetricsPublic, http.StatusOK, http.StatusOK},
		{api.MetricsOff, http.StatusNotFound, http.StatusNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.access, func(t *testing.T) {
			s := newStack(t, tt.access)
			if code, b := s.do(t, "GET", "/metrics", nil, nil); code != tt.anonymous {
				t.Errorf("anonymous: %d, want %d: %s", code, tt.anonymous, b)
			}
			code, b := s.do(t, "GET", "/metrics", nil, s.admin)
			if code != tt.admin {
				t.Errorf("admin: %d, want %d: %s", code, tt.admin, b)
			}
			if code == 200 && !bytes.Contains(b, []byte("go_goroutines")) {
				t.Errorf("no Go runtime metrics:\n%s", b)
			}
		})
	}
}

// /healthz follows the store: 503 with the error shape once it is closed,
// and a scrape leaves the store's metrics out but serves the rest.
func TestMetrics_HealthFollowsStore(t *testing.T) {
	s := newStack(t, api.MetricsPublic)
	if code, b := s.do(t, "GET", "/healthz", nil, nil); code != 200 {
		t.Fatalf("healthz: %d %s", code, b)
	}
	if err := s.db.Close(); err != nil {
		t.Fatal(err)
	}
	code, b := s.do(t, "GET", "/healthz", nil, nil)
	if code != http.StatusServiceUnavailable || !bytes.Contains(b, []byte(`"code":"unavailable"`)) {
		t.Fatalf("healthz with the store closed: %d %s", code, b)
	}
	code, b = s.do(t, "GET", "/metrics", nil, nil)
	if code != 200 || bytes.Contains(b, []byte("imagerepo_images_stored")) || !bytes.Contains(b, []byte("imagerepo_cache_hits_total")) {
		t.Fatalf("metrics with the store closed: %d\n%s", code, b)
	}
}

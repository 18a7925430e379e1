package metrics

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestRoute_CodesAndClasses(t *testing.T) {
	r := New(Sources{})
	f := r.Route("GET", "/api/images/:id")
	f(200, time.Millisecond)
	f(200, time.Millisecond)
	f(418, time.Millisecond) // not a code imagerepo answers with: its class
	f(404, time.Millisecond)
	f(0, time.Millisecond) // out of range: a failure
	r.Route("POST", "")(405, time.Millisecond)

	for _, c := range []struct {
		labels []string
		want   float64
	}{
		{[]string{"GET", "/api/images/:id", "200"}, 2},
		{[]string{"GET", "/api/images/:id", "404"}, 1},
		{[]string{"GET", "/api/images/:id", "4xx"}, 1},
		{[]string{"GET", "/api/images/:id", "500"}, 1},
		{[]string{"POST", "unmatched", "405"}, 1},
	} {
		if got := testutil.ToFloat64(r.requests.WithLabelValues(c.labels...)); got != c.want {
			t.Errorf("requests%v = %v, want %v", c.labels, got, c.want)
		}
	}
	if got := testutil.CollectAndCount(r.duration); got != 4 {
		t.Errorf("%d duration series (GET 2xx, 4xx, 5xx; POST 4xx), want 4", got)
	}
	if n := testutil.CollectAndCount(r.requests); n != 5 {
		t.Errorf("%d request series, want 5", n)
	}
}

func TestRegistry_UploadRefused(t *testing.T) {
	r := New(Sources{})
	r.UploadRefused("too_large")
	r.UploadRefused("no such reason")
	if got := testutil.ToFloat64(r.refused.WithLabelValues("too_large")); got != 1 {
		t.Errorf("too_large = %v", got)
	}
	if got := testutil.ToFloat64(r.refused.WithLabelValues("other")); got != 1 {
		t.Errorf("other = %v", got)
	}
}

// BenchmarkRoute_Observe is the whole per-request cost of the metrics: one
// counter and one histogram child, resolved, bumped.
func BenchmarkRoute_Observe(b *testing.B) {
	f := New(Sources{}).Route("GET", "/api/images/:id")
	b.ReportAllocs()
	for b.Loop() {
		f(200, 150*time.Microsecond)
	}
}

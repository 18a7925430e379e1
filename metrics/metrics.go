// Package metrics owns imagerepo's Prometheus registry: what the server
// counts and measures, and the handler that serves it at /metrics in the
// Prometheus text format.
//
// Only this package imports github.com/prometheus/client_golang. The other
// packages never see it: api reports through plain funcs (api.Hooks) that
// main.go fills from a Registry, the search latency is measured by a
// gallery.SearchService decorator, and the cache and store counters are
// read through funcs when a scrape asks for them, so that they cost nothing
// per request.
//
// # Caveats
//
// Request metrics are labelled with the route pattern (/api/images/:id),
// never the path, so unknown paths cannot grow the label set; requests no
// route matched share the pattern "unmatched". The status code label takes
// the codes imagerepo answers with; any other code is counted as the class
// ("2xx", "4xx", ...) it belongs to.
package metrics

import (
	"context"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// namespace prefixes every imagerepo metric.
const namespace = "imagerepo"

// CacheStats are the hot-id cache's counters, read at scrape time.
type CacheStats struct {
	Hits, Misses, Evictions uint64
	Len, Size               int
}

// StoreStats are what the store holds, read at scrape time.
type StoreStats struct {
	Images uint64 // image documents
	Bytes  uint64 // sum of their originals' sizes
}

// Sources are read at each scrape; a nil field is left out.
type Sources struct {
	Cache func() CacheStats
	Store func(context.Context) (StoreStats, error)
}

// Registry holds imagerepo's metrics.
type Registry struct {
	reg *prometheus.Registry

	requests *prometheus.CounterVec   // method, route, code
	duration *prometheus.HistogramVec // method, route, class
	refused  *prometheus.CounterVec   // reason
	reasons  map[string]prometheus.Counter
	search   prometheus.Histogram
}

// New builds a registry with the Go runtime and process collectors and
// imagerepo's own metrics, reading src at each scrape.
func New(src Sources) *Registry {
	r := &Registry{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "http_requests_total",
			Help: "HTTP requests answered, by method, route pattern and status code.",
		}, []string{"method", "route", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Name: "http_request_duration_seconds",
			Help:    "Time from routing a request to its handler's return (the response written), by method, route pattern and status class.",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60},
		}, []string{"method", "route", "class"}),
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "uploads_refused_total",
			Help: "Uploaded files (or whole upload requests refused before any file) not stored, by reason: the error code, or duplicate.",
		}, []string{"reason"}),
		search: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: namespace, Name: "search_duration_seconds",
			Help:    "Time the search index took to answer a query.",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}),
	}
	r.reasons = make(map[string]prometheus.Counter, len(refusalReasons))
	for _, reason := range refusalReasons {
		r.reasons[reason] = r.refused.WithLabelValues(reason) // present, at 0, from the start
	}
	r.reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		r.requests, r.duration, r.refused, r.search,
		&scraped{src: src},
	)
	return r
}

// Handler serves the metrics in the Prometheus text format. A source that
// fails leaves its metrics out of that scrape; the rest are served.
func (r *Registry) Handler() http.Handler {
	return promhttp.HandlerFor(r.reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
}

// Gatherer is the registry, for tests that read it without HTTP.
func (r *Registry) Gatherer() prometheus.Gatherer { return r.reg }

// refusalReasons are the reasons an upload is refused: the gallery error
// codes an upload can fail with, and duplicate. Any other is "other".
var refusalReasons = []string{
	"invalid", "unauthorized", "forbidden", "too_large", "unsupported", "unprocessable",
	"rate_limited", "insufficient_storage", "internal", "duplicate", "other",
}

// UploadRefused counts one upload refused for reason.
func (r *Registry) UploadRefused(reason string) {
	c, ok := r.reasons[reason]
	if !ok {
		c = r.reasons["other"]
	}
	c.Inc()
}

// ObserveSearch records how long one search took.
func (r *Registry) ObserveSearch(d time.Duration) { r.search.Observe(d.Seconds()) }

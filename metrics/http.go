package metrics

import (
	"strconv"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// knownCodes are the status codes imagerepo answers with. Each route keeps
// one pre-resolved counter slot per known code, so that counting a request
// builds no label string and looks nothing up by name.
var knownCodes = [...]int{
	200, 201, 204, 206, 301, 302, 304, 307, 308,
	400, 401, 403, 404, 405, 409, 413, 415, 416, 422, 429, 431,
	500, 502, 503, 504, 507,
}

// codeSlot maps a status code to its slot in route.codes; 0 is "other".
var codeSlot [600]uint8

func init() {
	for i, code := range knownCodes {
		codeSlot[code] = uint8(i + 1)
	}
}

var classLabels = [5]string{"1xx", "2xx", "3xx", "4xx", "5xx"}

// route holds the metric children of one method and route pattern,
// resolved on their first use and then read with one atomic load.
type route struct {
	r               *Registry
	method, pattern string
	codes           [1 + len(knownCodes)]atomic.Pointer[counter] // by codeSlot
	other           [5]atomic.Pointer[counter]                   // codes not in knownCodes, by class
	classes         [5]atomic.Pointer[observer]                  // durations by class
}

type counter struct{ prometheus.Counter }
type observer struct{ prometheus.Observer }

// Route returns the func that records each request the route (method and
// pattern, e.g. "GET" and "/api/images/:id") answered. The api package calls
// it once per route when it builds its router; pattern "" stands for
// requests no route matched.
func (r *Registry) Route(method, pattern string) func(status int, elapsed time.Duration) {
	if pattern == "" {
		pattern = "unmatched"
	}
	rt := &route{r: r, method: method, pattern: pattern}
	return rt.observe
}

func (rt *route) observe(status int, elapsed time.Duration) {
	if status < 100 || status > 599 {
		status = 500 // net/http would not send it; count it as a failure
	}
	class := status/100 - 1
	var slot *atomic.Pointer[counter]
	if i := codeSlot[status]; i > 0 {
		slot = &rt.codes[i]
	} else {
		slot = &rt.other[class]
	}
	c := slot.Load()
	if c == nil {
		label := classLabels[class]
		if codeSlot[status] > 0 {
			label = strconv.Itoa(status)
		}
		c = &counter{rt.r.requests.WithLabelValues(rt.method, rt.pattern, label)}
		slot.Store(c) // a racing first use stores the same child
	}
	c.Inc()

	o := rt.classes[class].Load()
	if o == nil {
		o = &observer{rt.r.duration.WithLabelValues(rt.method, rt.pattern, classLabels[class])}
		rt.classes[class].Store(o)
	}
	o.Observe(elapsed.Seconds())
}

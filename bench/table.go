package bench

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// WriteTable writes r as one table with notes, for people.
func WriteTable(w io.Writer, r *Report) error {
	var b strings.Builder
	fmt.Fprintln(&b, "imagerepo bench: fetching one image by id, cache hit against miss")
	fmt.Fprintf(&b, "machine: %s, %d cores, %s %s\n", r.Machine.CPU, r.Machine.Cores, r.Machine.Go, r.Machine.OS)
	f := r.Fixture
	if f.Server != "" {
		fmt.Fprintf(&b, "server:  %s, %d images listed\n", f.Server, f.Images)
	} else {
		fmt.Fprintf(&b, "fixture: %d images (%d distinct generated files) in a temporary repository, made in %.1fs; cache of %d documents\n",
			f.Images, f.DistinctFiles, f.LoadSeconds, f.CacheSize)
	}
	fmt.Fprintln(&b)

	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	row := func(cells ...string) { fmt.Fprintln(tw, strings.Join(cells, "\t")) }
	orig := func(v float64) string { return fmt.Sprintf("%.1fx", v) }
	if c := r.Component; c != nil {
		row("level", "case", "time/op", "ran", "ratio", "original")
		row("component", "cache look-up, present id", dur(c.CachePresentNS), secs(c.CachePresentSeconds), "", "")
		row("", "store look-up, present id", dur(c.StorePresentNS), secs(c.StorePresentSeconds), times(c.PresentSpeedup), orig(r.Original.PresentSpeedup))
		row("", "cache look-up, absent id", dur(c.CacheAbsentNS), secs(c.CacheAbsentSeconds), "", "")
		row("", "store look-up, absent id", dur(c.StoreAbsentNS), secs(c.StoreAbsentSeconds), times(c.AbsentSpeedup), orig(r.Original.AbsentSpeedup))
	}
	if s := r.Service; s != nil {
		row("service", "Get, hit", dur(s.HitNS), secs(s.HitSeconds), "", "")
		row("", "Get, miss (present, not cached)", dur(s.MissNS), secs(s.MissSeconds), times(s.HitSpeedup), orig(r.Original.PresentSpeedup))
		row("", "Get, absent id", dur(s.AbsentNS), secs(s.AbsentSeconds), "", "")
		row("", "", "", "", "", "")
	}
	h := r.HTTP
	row("http", "GET /api/images/{id}", "p50", "p99", "req/s", "ran", "X-Cache", "ratio", "original")
	row("", "hit", dur(h.HitP50us*1e3), dur(h.HitP99us*1e3), fmt.Sprintf("%.0f", h.HitRPS), secs(h.HitSeconds),
		share("hit", h.HitXCacheHits, h.HitRequests), "", "")
	httpRatio, httpOrig := "—", "" // the cases were not a hit and a miss (see the warnings)
	if h.P50Speedup != nil && h.RPSSpeedup != nil {
		httpRatio, httpOrig = times(*h.P50Speedup)+" p50, "+times(*h.RPSSpeedup)+" req/s", orig(r.Original.PresentSpeedup)
	}
	row("", "miss", dur(h.MissP50us*1e3), dur(h.MissP99us*1e3), fmt.Sprintf("%.0f", h.MissRPS), secs(h.MissSeconds),
		share("miss", h.MissXCacheMisses, h.MissRequests), httpRatio, httpOrig)
	row("", "absent id (404)", dur(h.AbsentP50us*1e3), dur(h.AbsentP99us*1e3), fmt.Sprintf("%.0f", h.AbsentRPS), secs(h.AbsentSeconds),
		share("miss", h.AbsentXCacheMiss, h.AbsentRequests), "", "")
	if err := tw.Flush(); err != nil {
		return err
	}

	fmt.Fprintln(&b)
	fmt.Fprintf(&b, "ratios: store / cache (component), miss / hit (service, http p50), hit / miss (http req/s); the original's are its Redis cache against MongoDB\n")
	fmt.Fprintf(&b, "http: %d keep-alive clients on loopback, each asking again when answered; hits: %d hot ids, fetched once first\n", h.Concurrency, f.HotIDs)
	fmt.Fprintf(&b, "misses: %s\n", f.MissMethod)
	if h.HitCacheHits != nil {
		fmt.Fprintf(&b, "cache counters: hit case +%d hits +%d misses; miss case +%d hits +%d misses\n",
			*h.HitCacheHits, *h.HitCacheMisses, *h.MissCacheHits, *h.MissCacheMisses)
	}
	if s := r.Service; s != nil {
		fmt.Fprintf(&b, "service counters: hit case +%d hits +%d misses; miss case +%d hits +%d misses\n",
			s.HitCacheHits, s.HitCacheMisses, s.MissCacheHits, s.MissCacheMisses)
	}
	for _, w := range warnings(r) {
		fmt.Fprintf(&b, "warning: %s\n", w)
	}
	fmt.Fprintf(&b, "whole run %.1fs\n", r.Seconds)
	lines := strings.Split(b.String(), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " ") // tabwriter pads empty last cells
	}
	_, err := io.WriteString(w, strings.Join(lines, "\n"))
	return err
}

// dur formats nanoseconds with a unit that suits them.
func dur(ns float64) string {
	switch {
	case ns < 1e3:
		return fmt.Sprintf("%.0f ns", ns)
	case ns < 1e6:
		return fmt.Sprintf("%.2f µs", ns/1e3)
	default:
		return fmt.Sprintf("%.2f ms", ns/1e6)
	}
}

func secs(s float64) string { return fmt.Sprintf("%.1fs", s) }

func times(v float64) string { return fmt.Sprintf("%.1fx", v) }

func share(what string, n, of int) string {
	if of == 0 {
		return "-"
	}
	return fmt.Sprintf("%s %.1f%%", what, 100*float64(n)/float64(of))
}

// warnings says where a case did not measure what it is named for.
func warnings(r *Report) []string {
	var out []string
	h := r.HTTP
	if h.HitXCacheHits != h.HitRequests {
		out = append(out, fmt.Sprintf("%d of the http hit case's %d responses were not X-Cache: hit", h.HitRequests-h.HitXCacheHits, h.HitRequests))
	}
	if h.MissXCacheMisses != h.MissRequests {
		out = append(out, fmt.Sprintf("%d of the http miss case's %d responses were not X-Cache: miss", h.MissRequests-h.MissXCacheMisses, h.MissRequests))
	}
	switch {
	case 2*h.MissXCacheHits > h.MissRequests:
		out = append(out, "no http ratio: most of the miss case's responses were cache hits, so there is no miss to compare with")
	case 2*h.HitXCacheMisses > h.HitRequests:
		out = append(out, "no http ratio: most of the hit case's responses were cache misses, so there is no hit to compare with")
	}
	if h.HitCacheHits != nil && (*h.HitCacheHits != uint64(h.HitXCacheHits) || *h.MissCacheMisses != uint64(h.MissXCacheMisses)) {
		out = append(out, "the cache's counters and the X-Cache headers disagree")
	}
	if s := r.Service; s != nil && (s.HitCacheMisses != 0 || s.MissCacheHits != 0) {
		out = append(out, "the service hit case missed or the miss case hit (see the service counters)")
	}
	return out
}

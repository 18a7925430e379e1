package bench

import (
	"strings"
	"testing"
)

// TestWriteTable_Warnings: a run whose hit case was not all hits, or whose
// miss case was not all misses, says so under the table.
func TestWriteTable_Warnings(t *testing.T) {
	ok := func() *Report {
		n, zero := uint64(10), uint64(0)
		return &Report{Service: &Service{}, HTTP: &HTTP{HitRequests: 10, HitXCacheHits: 10, MissRequests: 10, MissXCacheMisses: 10,
			HitCacheHits: &n, HitCacheMisses: &zero, MissCacheHits: &zero, MissCacheMisses: &n}}
	}
	for _, tc := range []struct {
		name  string
		spoil func(r *Report)
		want  string
	}{
		{"clean", func(*Report) {}, ""},
		{"hit case missed", func(r *Report) { r.HTTP.HitXCacheHits = 7 }, "3 of the http hit case's 10 responses were not X-Cache: hit"},
		{"miss case hit", func(r *Report) { r.HTTP.MissXCacheMisses = 9 }, "1 of the http miss case's 10 responses"},
		{"counters disagree", func(r *Report) { n := uint64(11); r.HTTP.HitCacheHits = &n }, "the cache's counters and the X-Cache headers disagree"},
		{"service hit missed", func(r *Report) { r.Service.HitCacheMisses = 1 }, "the service hit case missed"},
	} {
		r := ok()
		tc.spoil(r)
		var b strings.Builder
		if err := WriteTable(&b, r); err != nil {
			t.Fatal(err)
		}
		got := b.String()
		if tc.want == "" && strings.Contains(got, "warning:") || tc.want != "" && !strings.Contains(got, "warning: "+tc.want) {
			t.Errorf("%s: table\n%s\nwant warning %q", tc.name, got, tc.want)
		}
	}
}

// TestWriteTable_NoRatio: when the miss case was all hits (a running
// server whose cache holds every image), or the hit case all misses, the
// table gives no ratio beside the original's, the JSON null, and the
// warnings say why.
func TestWriteTable_NoRatio(t *testing.T) {
	for _, tc := range []struct {
		name string
		h    loadResult
		m    loadResult
		want string
	}{
		{"miss case hit", loadResult{Requests: 10, XCacheHits: 10, P50us: 100, RPS: 900}, loadResult{Requests: 10, XCacheHits: 10, P50us: 90, RPS: 1000},
			"most of the miss case's responses were cache hits"},
		{"hit case missed", loadResult{Requests: 10, XCacheMisses: 9, P50us: 100, RPS: 900}, loadResult{Requests: 10, XCacheMisses: 10, P50us: 90, RPS: 1000},
			"most of the hit case's responses were cache misses"},
	} {
		r := &Report{Original: Original{PresentSpeedup: 7.6}, HTTP: (&HTTP{hit: tc.h, miss: tc.m}).finish()}
		if r.HTTP.P50Speedup != nil || r.HTTP.RPSSpeedup != nil {
			t.Errorf("%s: ratios %v %v, want none", tc.name, *r.HTTP.P50Speedup, *r.HTTP.RPSSpeedup)
		}
		var b strings.Builder
		if err := WriteTable(&b, r); err != nil {
			t.Fatal(err)
		}
		got := b.String()
		if strings.Contains(got, "7.6x") || strings.Contains(got, "x p50") || !strings.Contains(got, "—") || !strings.Contains(got, "warning: no http ratio: "+tc.want) {
			t.Errorf("%s: table\n%s", tc.name, got)
		}
		b.Reset()
		if err := WriteSVG(&b, r); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(b.String(), "original 7.6x") || !strings.Contains(b.String(), "no ratio") {
			t.Errorf("%s: chart\n%s", tc.name, b.String())
		}
	}
	// Mostly misses: a ratio, beside the original's.
	r := &Report{Original: Original{PresentSpeedup: 7.6}, HTTP: (&HTTP{
		hit:  loadResult{Requests: 10, XCacheHits: 10, P50us: 100, RPS: 1000},
		miss: loadResult{Requests: 10, XCacheMisses: 8, XCacheHits: 2, P50us: 150, RPS: 800}}).finish()}
	var b strings.Builder
	if err := WriteTable(&b, r); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "1.5x p50, 1.2x req/s  7.6x") {
		t.Errorf("table\n%s", b.String())
	}
}

// TestProgress: on a terminal one line redrawn and cleared at the end;
// elsewhere a plain line per step.
func TestProgress(t *testing.T) {
	for _, tc := range []struct {
		terminal bool
		want     string
	}{
		{true, "\r\033[Kbench 1/2: one\r\033[Kbench 2/2: two\r\033[K"},
		{false, "bench 1/2: one\nbench 2/2: two\n"},
	} {
		var b strings.Builder
		p := newProgress(Options{Progress: &b, Terminal: tc.terminal}, 2)
		p.step("one")
		p.step("two")
		p.done()
		if b.String() != tc.want {
			t.Errorf("terminal %v: %q, want %q", tc.terminal, b.String(), tc.want)
		}
	}
}

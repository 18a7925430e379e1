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

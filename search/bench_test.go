package search_test

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"imagerepo/gallery"
	"imagerepo/search"
)

// The benchmarks index benchN generated titles (100,000 unless
// IMAGEREPO_SEARCH_BENCH_N says otherwise) once per test binary; see
// BENCHMARKS.md for the command and the figures.

func benchN(tb testing.TB) int {
	if v := os.Getenv("IMAGEREPO_SEARCH_BENCH_N"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 100 {
			tb.Fatalf("IMAGEREPO_SEARCH_BENCH_N=%q: want a number of at least 100", v)
		}
		return n
	}
	return 100_000
}

// corpus is the generated collection: titles of one to five words drawn
// from a real English word list and the film fixture's words, a fifth of
// the images private, spread over 50 owners.
type corpus struct {
	words  []string // the vocabulary, lower case
	titles []string
	src    *memSource
}

func newCorpus(tb testing.TB, n int) *corpus {
	tb.Helper()
	c := &corpus{}
	seen := map[string]bool{}
	add := func(w string) {
		if w = strings.ToLower(w); len(w) >= 3 && !seen[w] {
			seen[w] = true
			c.words = append(c.words, w)
		}
	}
	for _, w := range readLines(tb, "../testdata/words.txt") {
		add(w)
	}
	for _, title := range readLines(tb, "../testdata/films.txt") {
		for _, w := range strings.FieldsFunc(title, func(r rune) bool { return !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z') }) {
			add(w)
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	rng.Shuffle(len(c.words), func(i, j int) { c.words[i], c.words[j] = c.words[j], c.words[i] })
	imgs := make([]*gallery.Image, n)
	for i := range n {
		k := 1 + rng.IntN(3) + rng.IntN(3) // 1..5 words, mostly 2 to 4
		ws := make([]string, k)
		for j := range ws {
			// Skewed, as real words are: some come up far more than others.
			ws[j] = c.words[int(float64(len(c.words))*rng.Float64()*rng.Float64())]
		}
		ws[0] = strings.ToUpper(ws[0][:1]) + ws[0][1:]
		title := strings.Join(ws, " ")
		c.titles = append(c.titles, title)
		img := fixtureImage(i, title)
		img.Owner = fmt.Sprintf("user%02d", i%50)
		if rng.IntN(5) == 0 {
			img.Visibility = gallery.Private
		}
		imgs[i] = img
	}
	c.src = newMemSource(imgs...)
	return c
}

var bench struct {
	once    sync.Once
	corpus  *corpus
	dir     string
	idx     *search.Index
	buildIn time.Duration
}

// benchIndex builds the shared benchmark index once.
func benchIndex(b *testing.B) (*search.Index, *corpus) {
	b.Helper()
	bench.once.Do(func() {
		bench.corpus = newCorpus(b, benchN(b))
		dir, err := os.MkdirTemp("", "imagerepo-search-bench-")
		if err != nil {
			b.Fatal(err)
		}
		shared.mu.Lock()
		shared.cleanups = append(shared.cleanups, func() {
			if bench.idx != nil {
				_ = bench.idx.Close()
			}
			_ = os.RemoveAll(dir)
		})
		shared.mu.Unlock()
		bench.dir = dir
		start := time.Now()
		bench.idx = openBench(b)
		bench.idx.WaitRebuild()
		bench.buildIn = time.Since(start)
	})
	if bench.idx == nil {
		b.Fatal("benchmark index failed to build")
	}
	return bench.idx, bench.corpus
}

func openBench(b *testing.B) *search.Index {
	idx, err := search.Open(bench.dir, search.Options{Source: bench.corpus.src, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	return idx
}

// latencies runs b.N searches, cycling through queries, and reports the
// 50th and 99th percentile of one search in milliseconds.
func latencies(b *testing.B, idx *search.Index, queries []gallery.SearchQuery) {
	b.Helper()
	ctx := context.Background()
	for _, q := range queries[:min(len(queries), 50)] { // warm up
		if _, err := idx.SearchImages(ctx, q); err != nil {
			b.Fatal(err)
		}
	}
	ds := make([]time.Duration, 0, b.N)
	hits := 0
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		start := time.Now()
		res, err := idx.SearchImages(ctx, queries[i%len(queries)])
		ds = append(ds, time.Since(start))
		if err != nil {
			b.Fatal(err)
		}
		hits += len(res.IDs)
	}
	b.StopTimer()
	slices.Sort(ds)
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	b.ReportMetric(ms(ds[len(ds)/2]), "p50-ms")
	b.ReportMetric(ms(ds[len(ds)*99/100]), "p99-ms")
	b.ReportMetric(float64(hits)/float64(len(ds)), "hits/op")
}

// queries makes 500 queries with gen, from a fixed seed.
func queries(c *corpus, viewer *gallery.User, gen func(rng *rand.Rand, title []string) string) []gallery.SearchQuery {
	rng := rand.New(rand.NewPCG(3, 4))
	qs := make([]gallery.SearchQuery, 500)
	for i := range qs {
		words := strings.Fields(strings.ToLower(c.titles[rng.IntN(len(c.titles))]))
		qs[i] = gallery.SearchQuery{Text: gen(rng, words), Viewer: viewer, Limit: 20}
	}
	return qs
}

// typo changes one letter of w (not the first: people rarely miss that).
func typo(rng *rand.Rand, w string) string {
	r := []byte(w)
	i := 1 + rng.IntN(len(r)-1)
	r[i] = byte('a' + (int(r[i]-'a')+1+rng.IntN(24))%26)
	return string(r)
}

func BenchmarkIndex_SearchImages(b *testing.B) {
	idx, c := benchIndex(b)
	user := &gallery.User{Username: "user07", Role: gallery.RoleUser}
	// A trailing space says the last word is complete: no prefix clause.
	kinds := []struct {
		name   string
		viewer *gallery.User
		gen    func(rng *rand.Rand, title []string) string
	}{
		{"OneWord", nil, func(rng *rand.Rand, t []string) string { return t[rng.IntN(len(t))] + " " }},
		{"OneWordAsAdmin", &gallery.User{Username: "root", Role: gallery.RoleAdmin}, func(rng *rand.Rand, t []string) string { return t[rng.IntN(len(t))] + " " }},
		{"Prefix3", nil, func(rng *rand.Rand, t []string) string { return t[rng.IntN(len(t))][:3] }},
		{"Fuzzy1", nil, func(rng *rand.Rand, t []string) string { return typo(rng, t[rng.IntN(len(t))]) + " " }},
		{"Phrase2", nil, func(rng *rand.Rand, t []string) string {
			if len(t) < 2 {
				return t[0] + " " + c.words[rng.IntN(len(c.words))] + " "
			}
			i := rng.IntN(len(t) - 1)
			return t[i] + " " + t[i+1] + " "
		}},
		// What the search bar sends as one types: whole words, the last one
		// cut short, one of them misspelt, as a signed-in user.
		{"AsYouType", user, func(rng *rand.Rand, t []string) string {
			ws := slices.Clone(t[:min(len(t), 3)])
			if len(ws) > 1 {
				j := rng.IntN(len(ws) - 1)
				ws[j] = typo(rng, ws[j])
			}
			last := ws[len(ws)-1]
			ws[len(ws)-1] = last[:min(len(last), 3+rng.IntN(3))]
			return strings.Join(ws, " ")
		}},
		{"FilterOnly", user, func(*rand.Rand, []string) string { return "" }},
	}
	for _, k := range kinds {
		b.Run(k.name, func(b *testing.B) {
			latencies(b, idx, queries(c, k.viewer, k.gen))
		})
	}
}

// BenchmarkIndex_Open measures Open of the built index, in step with the
// store: what every start pays.
func BenchmarkIndex_Open(b *testing.B) {
	idx, _ := benchIndex(b)
	if err := idx.Close(); err != nil {
		b.Fatal(err)
	}
	bench.idx = nil
	ds := make([]time.Duration, 0, b.N)
	for b.Loop() {
		start := time.Now()
		o := openBench(b)
		ds = append(ds, time.Since(start))
		o.WaitRebuild()
		if err := o.Close(); err != nil {
			b.Fatal(err)
		}
	}
	slices.Sort(ds)
	b.ReportMetric(float64(ds[len(ds)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(ds[len(ds)-1].Microseconds())/1000, "max-ms")
	bench.idx = openBench(b)
}

// BenchmarkIndex_Rebuild measures indexing every image from scratch, in
// batches, as Open after a crash and imagerepo reindex do.
func BenchmarkIndex_Rebuild(b *testing.B) {
	idx, c := benchIndex(b)
	var indexing, total time.Duration
	for b.Loop() {
		start := time.Now()
		var batchesEnd time.Time
		err := idx.Rebuild(context.Background(), func(done, all int) {
			if done == all {
				batchesEnd = time.Now()
			}
		})
		if err != nil {
			b.Fatal(err)
		}
		indexing += batchesEnd.Sub(start)
		total += time.Since(start)
	}
	n := float64(b.N)
	b.ReportMetric(indexing.Seconds()/n, "batches-s")
	b.ReportMetric((total-indexing).Seconds()/n, "compact-s")
	b.ReportMetric(float64(len(c.titles))/(indexing.Seconds()/n), "images/s")
	// The first build: Open of an empty dir until its background rebuild
	// (batches and compaction) ended.
	b.ReportMetric(bench.buildIn.Seconds(), "first-build-s")
}

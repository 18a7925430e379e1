package imaging_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"imagerepo/imaging"
)

// benchFile returns a generated photo encoded by enc, and writes it to
// $IMAGING_BENCH_DIR when that is set, so that vipsthumbnail can be timed on
// the very same bytes (see BENCHMARKS.md).
func benchFile(b *testing.B, name string, w, h int, enc func(testing.TB) []byte) []byte {
	b.Helper()
	data := enc(b)
	if dir := os.Getenv("IMAGING_BENCH_DIR"); dir != "" {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	return data
}

func benchProcess(b *testing.B, data []byte) {
	d := imaging.New(imaging.Limits{})
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	cpu := cpuTime()
	for b.Loop() {
		if _, err := d.Process(b.Context(), bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
	}
	// The CPU time of all threads, which a busy machine inflates less than
	// the wall time (bench_vips.sh sets it beside vipsthumbnail's).
	if cpu > 0 {
		b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N), "cpu-ns/op")
	}
}

func BenchmarkProcess_JPEG12MP(b *testing.B) {
	benchProcess(b, benchFile(b, "photo12mp.jpg", 4000, 3000, func(t testing.TB) []byte {
		return encodeJPEG(t, photo(4000, 3000, 12), 90)
	}))
}

func BenchmarkProcess_JPEG2MP(b *testing.B) {
	benchProcess(b, benchFile(b, "photo2mp.jpg", 1920, 1080, func(t testing.TB) []byte {
		return encodeJPEG(t, photo(1920, 1080, 2), 90)
	}))
}

func BenchmarkProcess_PNG4MP(b *testing.B) {
	benchProcess(b, benchFile(b, "photo4mp.png", 2560, 1600, func(t testing.TB) []byte {
		return encodePNG(t, photo(2560, 1600, 4))
	}))
}

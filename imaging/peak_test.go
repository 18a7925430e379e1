package imaging_test

import (
	"bytes"
	"os"
	"runtime"
	"strings"
	"testing"

	"imagerepo/imaging"
)

// TestProcess_PeakMemory reports the peak memory of one Process of the
// file $IMAGING_PEAK_FILE (see BENCHMARKS.md): the process's high-water
// resident size (VmHWM, which includes the test binary itself and the
// file's bytes) and the Go heap's. It runs alone, in a process of its own,
// and asserts nothing: memory is measured, not tested.
func TestProcess_PeakMemory(t *testing.T) {
	file := os.Getenv("IMAGING_PEAK_FILE")
	if file == "" {
		t.Skip("set IMAGING_PEAK_FILE to an image to measure")
	}
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	before := vmHWM(t)
	res, err := imaging.New(imaging.Limits{}).Process(t.Context(), bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	t.Logf("%s: %dx%d, %d bytes; VmHWM before %s, after %s; Go heap obtained from the OS %d MB, total allocated %d MB",
		file, res.Info.Width, res.Info.Height, len(data), before, vmHWM(t), ms.HeapSys>>20, ms.TotalAlloc>>20)
}

func vmHWM(t *testing.T) string {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return "unknown"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

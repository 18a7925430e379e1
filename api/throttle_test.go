package api

import (
	"testing"
	"time"
)

func TestThrottle(t *testing.T) {
	now := time.Unix(1_000_000, 0)
	th := newThrottle(2, time.Minute)
	th.now = func() time.Time { return now }

	// Two tries under way fill the allowance of two; the third waits
	// briefly, for them, not for the window.
	if th.begin("k") != 0 || th.begin("k") != 0 {
		t.Fatal("the first two tries were refused")
	}
	if w := th.begin("k"); w != busyRetry {
		t.Fatalf("third try while two are under way: wait %v", w)
	}
	th.end("k", true)
	th.end("k", true)
	if w := th.begin("k"); w != time.Minute {
		t.Fatalf("after two failures: wait %v, want the window", w)
	}
	now = now.Add(59 * time.Second)
	if w := th.begin("k"); w != time.Second {
		t.Fatalf("a second before the window ends: wait %v", w)
	}
	now = now.Add(time.Second)
	if th.begin("k") != 0 {
		t.Fatal("refused after the window ended")
	}
	th.end("k", false)
	if _, ok := th.entries["k"]; ok {
		t.Fatal("a key with no failures and no tries under way is kept")
	}

	// A right password forgets the failures but not the other tries under way.
	th.begin("j")
	th.end("j", true)
	th.begin("j")
	th.reset("j")
	if e := th.entries["j"]; e == nil || e.failures != 0 || e.pending != 1 {
		t.Fatalf("after reset with a try under way: %+v", e)
	}
	th.end("j", true)
	if e := th.entries["j"]; e == nil || e.failures != 1 || e.pending != 0 {
		t.Fatalf("after that try failed: %+v", e)
	}
}

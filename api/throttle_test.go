package api

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
)

func TestThrottle(t *testing.T) {
	now := time.Unix(1_000_000, 0)
	th := newThrottle(2, time.Minute)
	th.now = func() time.Time { return now }
	begin := func(key string) func(bool) {
		t.Helper()
		end, w := th.begin(key)
		if w != 0 || end == nil {
			t.Fatalf("a try of %s was refused: wait %v", key, w)
		}
		return end
	}
	refused := func(key string, want time.Duration) {
		t.Helper()
		if end, w := th.begin(key); w != want || end != nil {
			t.Fatalf("a try of %s: wait %v, want %v", key, w, want)
		}
	}

	// Two tries under way fill the allowance of two; the third waits
	// briefly, for them, not for the window.
	end1, end2 := begin("k"), begin("k")
	refused("k", busyRetry)
	end1(true)
	end2(true)
	refused("k", time.Minute)
	now = now.Add(59 * time.Second)
	refused("k", time.Second)
	now = now.Add(time.Second)
	begin("k")(false)
	if _, ok := th.entries["k"]; ok {
		t.Fatal("a key with no failures and no tries under way is kept")
	}

	// A right password forgets the failures but not the other tries under way.
	begin("j")(true)
	end := begin("j")
	th.reset("j")
	if e := th.entries["j"]; e == nil || e.failures != 0 || e.pending != 1 {
		t.Fatalf("after reset with a try under way: %+v", e)
	}
	end(true)
	if e := th.entries["j"]; e == nil || e.failures != 1 || e.pending != 0 {
		t.Fatalf("after that try failed: %+v", e)
	}

	// A try begun while the table is full is not tracked, and its end
	// counts nothing, also once there is room again.
	th = newThrottle(2, time.Minute)
	th.now = func() time.Time { return now }
	for i := range maxThrottleEntries {
		begin(fmt.Sprint("full", i))
	}
	untracked := begin("late")
	delete(th.entries, "full0")
	untracked(true)
	if e, ok := th.entries["late"]; ok {
		t.Fatalf("the end of an untracked try made an entry: %+v", e)
	}
}

// TestThrottled_Panic: a password check that panics (echo's recover
// middleware answers 500) ends its tries as not failed, so that they do
// not hold the allowance for ever.
func TestThrottled_Panic(t *testing.T) {
	s := &Server{throttles: [2]*throttle{newThrottle(2, time.Minute), newThrottle(2, time.Minute)}}
	c := echo.New().NewContext(httptest.NewRequest(http.MethodPost, "/api/auth/login", nil), httptest.NewRecorder())
	for range 3 {
		func() {
			defer func() { _ = recover() }()
			_ = s.throttled(c, "alice", func() error { panic("a bug") })
		}()
	}
	for _, th := range s.throttles {
		if len(th.entries) != 0 {
			t.Fatalf("entries after checks that panicked: %v", th.entries)
		}
	}
}

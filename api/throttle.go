package api

import (
	"net"
	"net/http"
	"sync"
	"time"
)

// throttle counts failed password checks per key (an account, a client
// address) in a fixed window, and refuses further tries once a key has
// failed max times, until its window ends. A try is counted from its
// begin, before the password is checked, so that tries made at once
// cannot all pass while none has failed yet. It is in memory: a restart
// forgets it.
type throttle struct {
	max    int
	window time.Duration
	now    func() time.Time

	mu      sync.Mutex
	entries map[string]*throttleEntry
}

type throttleEntry struct {
	failures int
	pending  int // tries begun and not ended
	start    time.Time
}

// maxThrottleEntries bounds the memory a flood of addresses can take;
// beyond it, expired entries are dropped and, if that is not enough, new
// keys are not tracked until some expire.
const maxThrottleEntries = 100_000

// busyRetry is what a key waits when its tries under way, not its
// failures, fill its allowance: they end in well under that.
const busyRetry = time.Second

func newThrottle(max int, window time.Duration) *throttle {
	return &throttle{max: max, window: window, now: time.Now, entries: map[string]*throttleEntry{}}
}

// begin starts a try of key and returns the function that ends it, to
// be called once, with whether the password was wrong; or it returns how
// long key must wait, and starts nothing.
func (t *throttle) begin(key string) (end func(failed bool), wait time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	e := t.entry(key)
	if e == nil {
		return func(bool) {}, 0 // not tracked: the table is full
	}
	if e.failures >= t.max {
		return nil, e.start.Add(t.window).Sub(t.now())
	}
	if e.failures+e.pending >= t.max {
		return nil, busyRetry
	}
	e.pending++
	// e stays key's entry while it has a try under way: only an entry
	// with none is dropped.
	return func(failed bool) { t.end(key, e, failed) }, 0
}

// end ends a try of key, whose entry is e.
func (t *throttle) end(key string, e *throttleEntry, failed bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.roll(e, t.now())
	e.pending--
	if failed {
		e.failures++
	} else if e.failures == 0 && e.pending == 0 {
		delete(t.entries, key)
	}
}

// entry returns key's entry in its current window, made if need be; nil
// when the table is full. The caller holds mu.
func (t *throttle) entry(key string) *throttleEntry {
	now := t.now()
	e, ok := t.entries[key]
	if !ok {
		if len(t.entries) >= maxThrottleEntries {
			t.prune(now)
			if len(t.entries) >= maxThrottleEntries {
				return nil
			}
		}
		e = &throttleEntry{start: now}
		t.entries[key] = e
	} else {
		t.roll(e, now)
	}
	return e
}

// roll starts a new window for e if its window has ended by now.
func (t *throttle) roll(e *throttleEntry, now time.Time) {
	if now.Sub(e.start) >= t.window {
		e.failures, e.start = 0, now
	}
}

// reset forgets key's failures (after a right password).
func (t *throttle) reset(key string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if e, ok := t.entries[key]; ok {
		e.failures = 0
		if e.pending == 0 {
			delete(t.entries, key)
		}
	}
}

func (t *throttle) prune(now time.Time) {
	for k, e := range t.entries {
		if now.Sub(e.start) >= t.window && e.pending == 0 {
			delete(t.entries, k)
		}
	}
}

// trustsProxy reports whether the request came straight from a configured
// trusted proxy, whose X-Forwarded-* headers may then be believed.
func (s *Server) trustsProxy(r *http.Request) bool {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	for _, n := range s.cfg.TrustedProxies {
		if ip != nil && n.Contains(ip) {
			return true
		}
	}
	return false
}

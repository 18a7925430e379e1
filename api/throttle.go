package api

import (
	"net"
	"net/http"
	"sync"
	"time"
)

// throttle counts failed sign-ins per key (an account, a client address)
// in a fixed window, and refuses further tries once a key has failed max
// times, until its window ends. It is in memory: a restart forgets it.
type throttle struct {
	max    int
	window time.Duration
	now    func() time.Time

	mu      sync.Mutex
	entries map[string]*throttleEntry
}

type throttleEntry struct {
	failures int
	start    time.Time
}

// maxThrottleEntries bounds the memory a flood of addresses can take;
// beyond it, expired entries are dropped and, if that is not enough, new
// keys are not tracked until some expire.
const maxThrottleEntries = 100_000

func newThrottle(max int, window time.Duration) *throttle {
	return &throttle{max: max, window: window, now: time.Now, entries: map[string]*throttleEntry{}}
}

// retryAfter returns how long key must wait, or 0 when it may try.
func (t *throttle) retryAfter(key string) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	e, ok := t.entries[key]
	if !ok {
		return 0
	}
	left := e.start.Add(t.window).Sub(t.now())
	if left <= 0 {
		delete(t.entries, key)
		return 0
	}
	if e.failures >= t.max {
		return left
	}
	return 0
}

// fail records a failed try of key.
func (t *throttle) fail(key string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	e, ok := t.entries[key]
	if !ok || now.Sub(e.start) >= t.window {
		if !ok && len(t.entries) >= maxThrottleEntries {
			t.prune(now)
			if len(t.entries) >= maxThrottleEntries {
				return
			}
		}
		e = &throttleEntry{start: now}
		t.entries[key] = e
	}
	e.failures++
}

// reset forgets key's failures (after a successful sign-in).
func (t *throttle) reset(key string) {
	t.mu.Lock()
	delete(t.entries, key)
	t.mu.Unlock()
}

func (t *throttle) prune(now time.Time) {
	for k, e := range t.entries {
		if now.Sub(e.start) >= t.window {
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

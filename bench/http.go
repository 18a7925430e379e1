package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// maxServerImages bounds how many of a running server's images are listed.
const maxServerImages = 100_000

// target is an API server to measure over HTTP.
type target struct {
	url      string
	client   *http.Client
	opts     Options
	counters func() (hits, misses uint64) // nil when the cache is not in this process

	warmHot, warmCycle func() error // fill the cache with the hot ids; run once through every id
}

// measure runs the three HTTP cases: hot ids (hits), every id in turn
// (misses) and absent ids.
func (t *target) measure(ctx context.Context, p *progress, hot, ids, absent []string) (*HTTP, error) {
	h := &HTTP{Concurrency: t.opts.Concurrency}
	// Open the clients' connections before any case is timed, so that no
	// case pays for the handshakes.
	warmConns := make([]string, 2*t.opts.Concurrency)
	for i := range warmConns {
		warmConns[i] = hot[i%len(hot)]
	}
	if err := t.fetchAll(ctx, warmConns); err != nil {
		return nil, fmt.Errorf("bench: open connections: %w", err)
	}
	cases := []struct {
		name   string
		ids    []string
		warm   func() error
		status int
		into   *loadResult
	}{
		{"http: GET /api/images/{id}, hit", hot, t.warmHot, http.StatusOK, &h.hit},
		{"http: GET /api/images/{id}, miss", ids, t.warmCycle, http.StatusOK, &h.miss},
		{"http: GET /api/images/{id}, absent id", absent, nil, http.StatusNotFound, &h.absent},
	}
	for _, c := range cases {
		p.step(c.name)
		if c.warm != nil {
			if err := c.warm(); err != nil {
				return nil, fmt.Errorf("%s: warm up: %w", c.name, err)
			}
		}
		var h0, m0 uint64
		if t.counters != nil {
			h0, m0 = t.counters()
		}
		l, err := t.load(ctx, c.ids, c.status)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", c.name, err)
		}
		if t.counters != nil {
			h1, m1 := t.counters()
			l.CacheHits, l.CacheMisses = ptr(h1-h0), ptr(m1-m0)
		}
		*c.into = l
	}
	return h.finish(), nil
}

func ptr[T any](v T) *T { return &v }

// load has Concurrency clients ask for ids in turn, for Duration, each
// waiting for its answer before it asks again.
func (t *target) load(ctx context.Context, ids []string, status int) (loadResult, error) {
	var (
		next  atomic.Int64
		mu    sync.Mutex
		lat   []time.Duration
		xhit  int
		xmiss int
		errs  []error
		wg    sync.WaitGroup
		start = time.Now()
	)
	deadline := start.Add(t.opts.Duration)
	for range t.opts.Concurrency {
		wg.Go(func() {
			var mine []time.Duration
			hits, misses := 0, 0
			var err error
			for time.Now().Before(deadline) && ctx.Err() == nil {
				id := ids[int(next.Add(1)-1)%len(ids)]
				t0 := time.Now()
				code, xc, e := t.get(ctx, id)
				mine = append(mine, time.Since(t0))
				if e == nil && code != status {
					e = fmt.Errorf("GET %s answered %d, want %d", id, code, status)
				}
				if e != nil {
					err = e
					break
				}
				switch xc {
				case "hit":
					hits++
				case "miss":
					misses++
				}
			}
			mu.Lock()
			lat = append(lat, mine...)
			xhit += hits
			xmiss += misses
			if err != nil {
				errs = append(errs, err)
			}
			mu.Unlock()
		})
	}
	wg.Wait()
	el := time.Since(start)
	if err := errors.Join(append(errs, ctx.Err())...); err != nil {
		return loadResult{}, err
	}
	if len(lat) == 0 {
		return loadResult{}, errors.New("no request finished")
	}
	slices.Sort(lat)
	pct := func(p int) float64 {
		return float64(lat[min(len(lat)-1, len(lat)*p/100)].Nanoseconds()) / 1e3
	}
	return loadResult{Requests: len(lat), Seconds: el.Seconds(), P50us: pct(50), P99us: pct(99),
		RPS: float64(len(lat)) / el.Seconds(), XCacheHits: xhit, XCacheMisses: xmiss}, nil
}

// get fetches one image document and reads the whole answer, so that the
// connection is kept alive for the next request.
func (t *target) get(ctx context.Context, id string) (status int, xCache string, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, t.url+"/api/images/"+url.PathEscape(id), nil)
	if err != nil {
		return 0, "", err
	}
	if t.opts.Token != "" {
		req.Header.Set("Authorization", "Bearer "+t.opts.Token)
	}
	resp, err := t.client.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return 0, "", err
	}
	return resp.StatusCode, resp.Header.Get("X-Cache"), nil
}

// fetchAll asks for every id once, Concurrency at a time, untimed.
func (t *target) fetchAll(ctx context.Context, ids []string) error {
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make([]error, t.opts.Concurrency)
	for w := range t.opts.Concurrency {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < len(ids) && ctx.Err() == nil; i = int(next.Add(1) - 1) {
				if code, _, err := t.get(ctx, ids[i]); err != nil || code != http.StatusOK {
					errs[w] = errors.Join(err, fmt.Errorf("GET %s answered %d", ids[i], code))
					return
				}
			}
		})
	}
	wg.Wait()
	return errors.Join(append(errs, ctx.Err())...)
}

// RunServer measures the HTTP level against a running server's own images,
// which it lists and reads but never changes.
func RunServer(ctx context.Context, serverURL string, o Options) (*Report, error) {
	start := time.Now()
	t := target{url: strings.TrimRight(serverURL, "/"), client: newClient(o.Concurrency), opts: o}
	ids, err := t.list(ctx)
	if err != nil {
		return nil, err
	}
	if len(ids) == 0 {
		return nil, fmt.Errorf("bench: %s shows no images to fetch", serverURL)
	}
	hot := ids[:min(maxHot/10, len(ids))]
	absent := absentIDs(ids, 64)
	r := newReport(o)
	r.Fixture = Fixture{Server: t.url, Images: len(ids), HotIDs: len(hot), AbsentIDs: len(absent),
		MissMethod: fmt.Sprintf("each miss asks for the next of all %d listed ids in turn; they miss only where the server's cache holds fewer (see the X-Cache counts)", len(ids))}
	t.warmHot = func() error { return t.fetchAll(ctx, hot) }
	t.warmCycle = func() error { return t.fetchAll(ctx, ids) }
	p := newProgress(o, 3)
	defer p.done()
	if r.HTTP, err = t.measure(ctx, p, hot, ids, absent); err != nil {
		return nil, err
	}
	r.Seconds = time.Since(start).Seconds()
	return r, nil
}

// list pages through GET /api/images, newest first.
func (t *target) list(ctx context.Context) ([]string, error) {
	var ids []string
	cursor := ""
	for len(ids) < maxServerImages {
		u := t.url + "/api/images?limit=200"
		if cursor != "" {
			u += "&cursor=" + url.QueryEscape(cursor)
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			return nil, err
		}
		if t.opts.Token != "" {
			req.Header.Set("Authorization", "Bearer "+t.opts.Token)
		}
		resp, err := t.client.Do(req)
		if err != nil {
			return nil, fmt.Errorf("bench: list images: %w", err)
		}
		var page struct {
			Images []struct {
				ID string `json:"id"`
			} `json:"images"`
			Next string `json:"next"`
		}
		err = json.NewDecoder(resp.Body).Decode(&page)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("bench: list images: %s answered %s", u, resp.Status)
		} else if err != nil {
			return nil, fmt.Errorf("bench: list images: %w", err)
		}
		for _, img := range page.Images {
			ids = append(ids, img.ID)
		}
		if page.Next == "" {
			break
		}
		cursor = page.Next
	}
	return ids, nil
}

// absentIDs makes up to n ids that look like the server's but name no
// image: each is a listed id with its middle character swapped for another
// character the listed ids use, so that it is as well-formed as they are.
func absentIDs(ids []string, n int) []string {
	seen := map[string]bool{}
	var alphabet []byte
	for _, id := range ids {
		seen[id] = true
		for i := 0; i < len(id); i++ {
			if !slices.Contains(alphabet, id[i]) {
				alphabet = append(alphabet, id[i])
			}
		}
	}
	slices.Sort(alphabet)
	var out []string
	for _, id := range ids {
		if len(out) == n || len(id) < 2 {
			break
		}
		b := []byte(id)
		mid := len(b) / 2
		for _, c := range alphabet {
			if c == b[mid] {
				continue
			}
			b[mid] = c
			if !seen[string(b)] {
				out = append(out, string(b))
				break
			}
		}
	}
	return out
}

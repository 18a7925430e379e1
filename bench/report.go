package bench

// Report is the result of a run. Its JSON field names are stable: scripts
// and the README rely on them.
type Report struct {
	Machine   Machine    `json:"machine"`
	Fixture   Fixture    `json:"fixture"`
	Original  Original   `json:"original"`
	Component *Component `json:"component"` // null with --server
	Service   *Service   `json:"service"`   // null with --server
	HTTP      *HTTP      `json:"http"`
	Seconds   float64    `json:"seconds"` // the whole run, fixture excluded
}

// Machine is what the run ran on.
type Machine struct {
	CPU   string `json:"cpu"`
	Cores int    `json:"cores"`
	Go    string `json:"go"`
	OS    string `json:"os"`
}

// Fixture describes the repository measured.
type Fixture struct {
	Server        string  `json:"server"` // "" for the temporary repository
	Images        int     `json:"images"`
	DistinctFiles int     `json:"distinct_files"`
	CacheSize     int     `json:"cache_size"` // 0 when unknown (--server)
	HotIDs        int     `json:"hot_ids"`
	AbsentIDs     int     `json:"absent_ids"`
	LoadSeconds   float64 `json:"load_seconds"`
	MissMethod    string  `json:"miss_method"`
}

// Original holds the original project's ratios, for comparison.
type Original struct {
	PresentSpeedup float64 `json:"present_speedup"`
	AbsentSpeedup  float64 `json:"absent_speedup"`
}

// timing is one in-process case.
type timing struct {
	Ops     int
	Seconds float64
	NS      float64 // per op
}

// Component compares the cache look-up with the store look-up.
type Component struct {
	CachePresentNS      float64 `json:"cache_present_ns"`
	StorePresentNS      float64 `json:"store_present_ns"`
	CacheAbsentNS       float64 `json:"cache_absent_ns"`
	StoreAbsentNS       float64 `json:"store_absent_ns"`
	PresentSpeedup      float64 `json:"present_speedup"` // store / cache, present id
	AbsentSpeedup       float64 `json:"absent_speedup"`  // store / cache, absent id
	CachePresentSeconds float64 `json:"cache_present_seconds"`
	StorePresentSeconds float64 `json:"store_present_seconds"`
	CacheAbsentSeconds  float64 `json:"cache_absent_seconds"`
	StoreAbsentSeconds  float64 `json:"store_absent_seconds"`

	cachePresent, storePresent, cacheAbsent, storeAbsent timing
}

func (c *Component) finish() *Component {
	c.CachePresentNS, c.CachePresentSeconds = c.cachePresent.NS, c.cachePresent.Seconds
	c.StorePresentNS, c.StorePresentSeconds = c.storePresent.NS, c.storePresent.Seconds
	c.CacheAbsentNS, c.CacheAbsentSeconds = c.cacheAbsent.NS, c.cacheAbsent.Seconds
	c.StoreAbsentNS, c.StoreAbsentSeconds = c.storeAbsent.NS, c.storeAbsent.Seconds
	c.PresentSpeedup = ratio(c.StorePresentNS, c.CachePresentNS)
	c.AbsentSpeedup = ratio(c.StoreAbsentNS, c.CacheAbsentNS)
	return c
}

// Service is Get by id through the whole image service.
type Service struct {
	HitNS           float64 `json:"hit_ns"`
	MissNS          float64 `json:"miss_ns"`
	AbsentNS        float64 `json:"absent_ns"`
	HitSpeedup      float64 `json:"hit_speedup"` // miss / hit
	HitSeconds      float64 `json:"hit_seconds"`
	MissSeconds     float64 `json:"miss_seconds"`
	AbsentSeconds   float64 `json:"absent_seconds"`
	HitCacheHits    uint64  `json:"hit_cache_hits"`   // counted by the cache during the hit case
	HitCacheMisses  uint64  `json:"hit_cache_misses"` // 0 when every hit case look-up hit
	MissCacheHits   uint64  `json:"miss_cache_hits"`  // 0 when every miss case look-up missed
	MissCacheMisses uint64  `json:"miss_cache_misses"`

	hit, miss, absent timing
}

func (s *Service) finish() *Service {
	s.HitNS, s.HitSeconds = s.hit.NS, s.hit.Seconds
	s.MissNS, s.MissSeconds = s.miss.NS, s.miss.Seconds
	s.AbsentNS, s.AbsentSeconds = s.absent.NS, s.absent.Seconds
	s.HitSpeedup = ratio(s.MissNS, s.HitNS)
	return s
}

// loadResult is one HTTP case.
type loadResult struct {
	Requests     int
	Seconds      float64
	P50us, P99us float64
	RPS          float64
	XCacheHits   int     // responses with X-Cache: hit
	XCacheMisses int     // responses with X-Cache: miss
	CacheHits    *uint64 // the cache's own count; nil when it is not in this process
	CacheMisses  *uint64
}

// HTTP is GET /api/images/{id} with Concurrency keep-alive clients.
type HTTP struct {
	Concurrency       int      `json:"concurrency"`
	HitP50us          float64  `json:"hit_p50_us"`
	HitP99us          float64  `json:"hit_p99_us"`
	HitRPS            float64  `json:"hit_rps"`
	MissP50us         float64  `json:"miss_p50_us"`
	MissP99us         float64  `json:"miss_p99_us"`
	MissRPS           float64  `json:"miss_rps"`
	AbsentP50us       float64  `json:"absent_p50_us"`
	AbsentP99us       float64  `json:"absent_p99_us"`
	AbsentRPS         float64  `json:"absent_rps"`
	P50Speedup        *float64 `json:"p50_speedup"` // miss p50 / hit p50; null when not measured (see Compared)
	RPSSpeedup        *float64 `json:"rps_speedup"` // hit req/s / miss req/s; null likewise
	HitRequests       int      `json:"hit_requests"`
	MissRequests      int      `json:"miss_requests"`
	AbsentRequests    int      `json:"absent_requests"`
	HitSeconds        float64  `json:"hit_seconds"`
	MissSeconds       float64  `json:"miss_seconds"`
	AbsentSeconds     float64  `json:"absent_seconds"`
	HitXCacheHits     int      `json:"hit_x_cache_hits"`
	HitXCacheMisses   int      `json:"hit_x_cache_misses"`
	MissXCacheHits    int      `json:"miss_x_cache_hits"`
	MissXCacheMisses  int      `json:"miss_x_cache_misses"`
	AbsentXCacheHits  int      `json:"absent_x_cache_hits"`
	AbsentXCacheMiss  int      `json:"absent_x_cache_misses"`
	HitCacheHits      *uint64  `json:"hit_cache_hits"` // null with --server
	HitCacheMisses    *uint64  `json:"hit_cache_misses"`
	MissCacheHits     *uint64  `json:"miss_cache_hits"`
	MissCacheMisses   *uint64  `json:"miss_cache_misses"`
	AbsentCacheHits   *uint64  `json:"absent_cache_hits"`
	AbsentCacheMisses *uint64  `json:"absent_cache_misses"`

	hit, miss, absent loadResult
}

func (h *HTTP) finish() *HTTP {
	h.HitP50us, h.HitP99us, h.HitRPS, h.HitRequests, h.HitSeconds = h.hit.P50us, h.hit.P99us, h.hit.RPS, h.hit.Requests, h.hit.Seconds
	h.MissP50us, h.MissP99us, h.MissRPS, h.MissRequests, h.MissSeconds = h.miss.P50us, h.miss.P99us, h.miss.RPS, h.miss.Requests, h.miss.Seconds
	h.AbsentP50us, h.AbsentP99us, h.AbsentRPS, h.AbsentRequests, h.AbsentSeconds = h.absent.P50us, h.absent.P99us, h.absent.RPS, h.absent.Requests, h.absent.Seconds
	h.HitXCacheHits, h.HitXCacheMisses = h.hit.XCacheHits, h.hit.XCacheMisses
	h.MissXCacheHits, h.MissXCacheMisses = h.miss.XCacheHits, h.miss.XCacheMisses
	h.AbsentXCacheHits, h.AbsentXCacheMiss = h.absent.XCacheHits, h.absent.XCacheMisses
	h.HitCacheHits, h.HitCacheMisses = h.hit.CacheHits, h.hit.CacheMisses
	h.MissCacheHits, h.MissCacheMisses = h.miss.CacheHits, h.miss.CacheMisses
	h.AbsentCacheHits, h.AbsentCacheMisses = h.absent.CacheHits, h.absent.CacheMisses
	if h.Compared() {
		h.P50Speedup, h.RPSSpeedup = ptr(ratio(h.MissP50us, h.HitP50us)), ptr(ratio(h.HitRPS, h.MissRPS))
	}
	return h
}

// Compared reports whether the hit and the miss case measured what they
// are named for, so that their ratio means something: not when the X-Cache
// headers say most of the miss case's responses were hits (a server whose
// cache holds all its images) or most of the hit case's were misses.
func (h *HTTP) Compared() bool {
	return 2*h.MissXCacheHits <= h.MissRequests && 2*h.HitXCacheMisses <= h.HitRequests
}

func ratio(slow, fast float64) float64 {
	if fast <= 0 {
		return 0
	}
	return slow / fast
}

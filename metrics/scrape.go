package metrics

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// storeTimeout bounds the store read of one scrape.
const storeTimeout = 5 * time.Second

var (
	cacheHitsDesc = prometheus.NewDesc(namespace+"_cache_hits_total",
		"Image lookups by id served from the hot-id cache.", nil, nil)
	cacheMissesDesc = prometheus.NewDesc(namespace+"_cache_misses_total",
		"Image lookups by id the hot-id cache passed to the store.", nil, nil)
	cacheEvictionsDesc = prometheus.NewDesc(namespace+"_cache_evictions_total",
		"Documents the hot-id cache dropped to make room.", nil, nil)
	cacheEntriesDesc = prometheus.NewDesc(namespace+"_cache_entries",
		"Documents in the hot-id cache.", nil, nil)
	cacheCapacityDesc = prometheus.NewDesc(namespace+"_cache_capacity",
		"Documents the hot-id cache can hold (--cache-size).", nil, nil)
	imagesDesc = prometheus.NewDesc(namespace+"_images_stored",
		"Image documents in the store.", nil, nil)
	bytesDesc = prometheus.NewDesc(namespace+"_image_bytes_stored",
		"Sum of the stored images' original sizes in bytes, counted per document (identical bytes are kept once on disk).", nil, nil)
)

// scraped reads the cache's and the store's counters when a scrape asks:
// the request path does no work for them.
type scraped struct{ src Sources }

func (s *scraped) Describe(ch chan<- *prometheus.Desc) {
	if s.src.Cache != nil {
		ch <- cacheHitsDesc
		ch <- cacheMissesDesc
		ch <- cacheEvictionsDesc
		ch <- cacheEntriesDesc
		ch <- cacheCapacityDesc
	}
	if s.src.Store != nil {
		ch <- imagesDesc
		ch <- bytesDesc
	}
}

func (s *scraped) Collect(ch chan<- prometheus.Metric) {
	if s.src.Cache != nil {
		st := s.src.Cache()
		ch <- prometheus.MustNewConstMetric(cacheHitsDesc, prometheus.CounterValue, float64(st.Hits))
		ch <- prometheus.MustNewConstMetric(cacheMissesDesc, prometheus.CounterValue, float64(st.Misses))
		ch <- prometheus.MustNewConstMetric(cacheEvictionsDesc, prometheus.CounterValue, float64(st.Evictions))
		ch <- prometheus.MustNewConstMetric(cacheEntriesDesc, prometheus.GaugeValue, float64(st.Len))
		ch <- prometheus.MustNewConstMetric(cacheCapacityDesc, prometheus.GaugeValue, float64(st.Size))
	}
	if s.src.Store != nil {
		ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
		defer cancel()
		st, err := s.src.Store(ctx)
		if err != nil {
			ch <- prometheus.NewInvalidMetric(imagesDesc, err)
			return
		}
		ch <- prometheus.MustNewConstMetric(imagesDesc, prometheus.GaugeValue, float64(st.Images))
		ch <- prometheus.MustNewConstMetric(bytesDesc, prometheus.GaugeValue, float64(st.Bytes))
	}
}

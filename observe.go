package main

import (
	"context"
	"log/slog"

	"imagerepo/api"
	"imagerepo/cache"
	"imagerepo/gallery"
	"imagerepo/metrics"
	"imagerepo/store"
)

// observe builds the metrics registry over the cache's and the store's
// counters, wraps the search service so that its queries are timed, and
// returns the hooks the HTTP server reports to.
func observe(db *store.DB, images *cache.ImageService, search gallery.SearchService) (api.Hooks, gallery.SearchService) {
	reg := metrics.New(metrics.Sources{
		Cache: func() metrics.CacheStats {
			st := images.Stats()
			return metrics.CacheStats{Hits: st.Hits, Misses: st.Misses, Evictions: st.Evictions, Len: st.Len, Size: st.Size}
		},
		Store: func(ctx context.Context) (metrics.StoreStats, error) {
			n, bytes, err := db.ImageStats(ctx)
			return metrics.StoreStats{Images: n, Bytes: bytes}, err
		},
	})
	return api.Hooks{
		Route:         reg.Route,
		UploadRefused: reg.UploadRefused,
		Metrics:       reg.Handler(),
		Health:        db.Ping,
	}, reg.Search(search)
}

// newLogger is the serve command's structured log on buf: key=value text
// lines, or JSON objects; warnings and errors are written out at once.
func newLogger(buf *logBuffer, level slog.Level, format string) *slog.Logger {
	h := newLineHandler(buf, &slog.HandlerOptions{Level: level}, format == "json")
	return slog.New(flushingHandler{h, buf})
}

package metrics

import (
	"context"
	"time"

	"imagerepo/gallery"
)

// searchService times each query of the search service it wraps.
type searchService struct {
	next gallery.SearchService
	r    *Registry
}

// Search wraps next so that each query's time goes into the search latency
// histogram, failed queries included.
func (r *Registry) Search(next gallery.SearchService) gallery.SearchService {
	return &searchService{next: next, r: r}
}

func (s *searchService) SearchImages(ctx context.Context, q gallery.SearchQuery) (*gallery.SearchResult, error) {
	start := time.Now()
	res, err := s.next.SearchImages(ctx, q)
	s.r.ObserveSearch(time.Since(start))
	return res, err
}

package gallery

import "context"

// CacheStatus records whether the lookups of one request were served from
// the hot-id cache. The api package puts one in the request context and the
// cache fills it, so that the decorators keep one interface.
type CacheStatus struct {
	Looked bool // a cache saw the lookup
	Hit    bool // and served it
}

type cacheStatusKey struct{}

// WithCacheStatus returns a context that carries a fresh *CacheStatus.
func WithCacheStatus(ctx context.Context) (context.Context, *CacheStatus) {
	st := &CacheStatus{}
	return context.WithValue(ctx, cacheStatusKey{}, st), st
}

// CacheStatusFrom returns the *CacheStatus of ctx, or nil.
func CacheStatusFrom(ctx context.Context) *CacheStatus {
	st, _ := ctx.Value(cacheStatusKey{}).(*CacheStatus)
	return st
}

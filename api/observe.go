package api

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"imagerepo/gallery"
)

// Hooks are how the server reports what it does; main.go fills them from
// package metrics. Every field may be nil.
type Hooks struct {
	// Route is called once per route (method and pattern, as
	// "/api/images/:id") while the router is built, and once per method
	// with pattern "" for requests no route matched; the func it returns is
	// called after every request that route answered. Resolving per route
	// up front keeps the per-request cost to one call.
	Route func(method, pattern string) func(status int, elapsed time.Duration)
	// UploadRefused is told, for each uploaded file not stored, the reason:
	// its error code, or "duplicate"; and once, with the code, for an
	// upload request refused before any file was read.
	UploadRefused func(reason string)
	// Metrics serves GET /metrics; nil answers 404.
	Metrics http.Handler
	// Health reports whether the store answers; nil is always healthy.
	Health func(context.Context) error
}

// Who may read /metrics (Config.MetricsAccess).
const (
	MetricsAdmin  = "admin"  // admins only, by session or bearer token (the default)
	MetricsPublic = "public" // anyone who can reach the server
	MetricsOff    = "off"    // 404
)

// stdMethods are the methods whose unmatched requests are told apart; any
// other method counts as the last, "OTHER".
var stdMethods = [...]string{
	http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
	http.MethodDelete, http.MethodOptions, "OTHER",
}

type routeKey struct{ method, pattern string }

type observeFunc = func(status int, elapsed time.Duration)

// observers holds the per-route funcs of Hooks.Route, resolved when the
// router is built.
type observers struct {
	routes    map[routeKey]observeFunc
	unmatched [len(stdMethods)]observeFunc
}

// resolveObservers asks hooks for one func per route of e.
func resolveObservers(e *echo.Echo, route func(method, pattern string) observeFunc) *observers {
	o := &observers{routes: map[routeKey]observeFunc{}}
	if route == nil {
		return o
	}
	for _, r := range e.Routes() {
		o.routes[routeKey{r.Method, r.Path}] = route(r.Method, r.Path)
	}
	for i, m := range stdMethods {
		o.unmatched[i] = route(m, "")
	}
	return o
}

func (o *observers) find(method, pattern string) observeFunc {
	if f, ok := o.routes[routeKey{method, pattern}]; ok {
		return f
	}
	for i, m := range stdMethods[:len(stdMethods)-1] {
		if m == method {
			return o.unmatched[i]
		}
	}
	return o.unmatched[len(stdMethods)-1]
}

// maxLoggedPath bounds the path written to a request's log line.
const maxLoggedPath = 256

// observe is the outermost middleware: it turns an error into its response
// (so that the status is known), then records the request in the metrics
// and writes its one log line. The line holds no secret: the path without
// its query (a query may carry one), never a header but the request id.
func (s *Server) observe(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		err := next(c)
		if err != nil {
			c.Error(err)
		}
		elapsed := time.Since(start)
		r, res := c.Request(), c.Response()
		if f := s.observers.find(r.Method, c.Path()); f != nil {
			f(res.Status, elapsed)
		}
		if level, ok := s.logLevel(r, res.Status); ok {
			s.logRequest(r, level, c.Path(), res.Status, elapsed, res.Size, c.RealIP(), err)
		}
		return nil
	}
}

// observeUnrouted records a request answered before the router saw it
// (refused as cross-origin): counted and logged as unmatched.
func (s *Server) observeUnrouted(r *http.Request, status int, start time.Time) {
	elapsed := time.Since(start)
	if f := s.observers.find(r.Method, ""); f != nil {
		f(status, elapsed)
	}
	if level, ok := s.logLevel(r, status); ok {
		host, _, _ := net.SplitHostPort(r.RemoteAddr)
		s.logRequest(r, level, "", status, elapsed, 0, host, nil)
	}
}

// logLevel is the level of a request's line, info or error for a 5xx, and
// whether the logger takes it.
func (s *Server) logLevel(r *http.Request, status int) (slog.Level, bool) {
	level := slog.LevelInfo
	if status >= 500 {
		level = slog.LevelError
	}
	return level, s.logger.Enabled(r.Context(), level)
}

// logRequest writes one request's line, with the internal error (never
// sent to the client) of a 5xx.
func (s *Server) logRequest(r *http.Request, level slog.Level, route string, status int, elapsed time.Duration, size int64, remote string, err error) {
	path := r.URL.Path
	if len(path) > maxLoggedPath {
		path = path[:maxLoggedPath] + "…"
	}
	// The record goes straight to the handler: Logger.LogAttrs would also
	// look up its caller, which no line shows, on every request.
	rec := slog.NewRecord(time.Now(), level, "request", 0)
	rec.AddAttrs(
		slog.String("method", r.Method),
		slog.String("route", route),
		slog.String("path", path),
		slog.Int("status", status),
		slog.Duration("duration", elapsed),
		slog.Int64("bytes", size),
		slog.String("remote", remote),
	)
	if id := r.Header.Get("X-Request-Id"); id != "" {
		if len(id) > 64 {
			id = id[:64]
		}
		rec.AddAttrs(slog.String("request_id", id))
	}
	if err != nil && status >= 500 {
		rec.AddAttrs(slog.Any("err", err))
	}
	_ = s.logger.Handler().Handle(r.Context(), rec)
}

// handleHealth answers 200 when the store answers a read, else 503.
func (s *Server) handleHealth(c echo.Context) error {
	if s.hooks.Health != nil {
		if err := s.hooks.Health(c.Request().Context()); err != nil {
			// The cause goes to the request's log line, not to the client.
			return fmt.Errorf("health check: %v: %w", err, gallery.Errorf(gallery.EUNAVAILABLE, "the store does not answer"))
		}
	}
	return c.JSON(http.StatusOK, map[string]string{"status": "ok", "version": s.cfg.Version})
}

// handleMetrics serves the metrics to whom Config.MetricsAccess allows.
func (s *Server) handleMetrics(c echo.Context) error {
	if s.hooks.Metrics == nil || s.cfg.MetricsAccess == MetricsOff {
		return gallery.Errorf(gallery.ENOTFOUND, "not found")
	}
	if s.cfg.MetricsAccess != MetricsPublic {
		if _, err := requireAdmin(c); err != nil {
			return err
		}
	}
	s.hooks.Metrics.ServeHTTP(c.Response(), c.Request())
	return nil
}

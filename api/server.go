// Package api is imagerepo's HTTP interface: the Echo routes of the REST API,
// the embedded web UI, JSON encoding and the mapping of error codes to HTTP
// status. It reaches storage and image decoding only through interfaces
// (gallery.ImageService, Decoder) that main.go fills, and reports what it
// does (per-route metrics, refused uploads, health) through Hooks, plain
// funcs that main.go fills from package metrics.
//
// Only this package imports github.com/labstack/echo/v4.
//
// # Caveats
//
// Timeouts are per request: the server allows Config.HeaderTimeout for
// headers and RequestTimeout to read and to answer a request (net/http sets
// both deadlines as each request starts), and the routes that move files
// extend their own, so that a large upload or download can finish while a
// stalled JSON request cannot hold a connection. Once an upload's body is
// read (or given up on), its answer gets RequestTimeout of its own to be
// written.
//
// Thumbnails are sent as immutable for a year (their bytes never change): a
// browser, or for a public image a shared cache, that fetched one keeps it
// after the image is made private or deleted. An original sent to anyone
// but its owner or an admin is the copy without location metadata stored
// beside it at upload; for images stored before such copies were made it is
// made into a temporary file under Config.UploadDir, once per request.
//
// GET /api/images/{id} sends, on a hot-id cache hit, the encoding the cache
// keeps beside the document (Services.Images implementing
// gallery.EncodedFinder); hot thumbnails come from Services.Thumbs. Files
// go out with sendfile only while the writer under Echo's Response has
// ReadFrom: middleware that wraps the writer should keep it.
package api

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"imagerepo/gallery"
)

// Decoder is the image pipeline as the routes need it; imaging.Decoder
// fills it.
type Decoder interface {
	// ProcessUpload checks an upload's bytes and makes what is stored with
	// them: thumbnails, camera data, perceptual hash.
	ProcessUpload(ctx context.Context, r io.ReadSeeker) (*gallery.Processed, error)
	// StripLocation copies the image read from r to w without its location
	// metadata; on an error w may hold part of it.
	StripLocation(r io.ReadSeeker, w io.Writer) error
}

// Config holds the limits and settings of the HTTP layer.
type Config struct {
	MaxFileBytes    int64         // per uploaded file (413 above)
	MaxFiles        int           // per upload request
	MaxJSONBytes    int64         // per JSON request body
	UploadDir       string        // where upload parts are spooled before they are checked
	HeaderTimeout   time.Duration // how long a client may take to send a request's headers
	RequestTimeout  time.Duration // read and write deadline of ordinary requests
	TransferTimeout time.Duration // read deadline of uploads, write deadline of downloads
	ShutdownTimeout time.Duration // how long Close lets requests in flight finish
	Version         string

	OpenRegistration  bool               // anyone may create a (non-admin) account
	DefaultVisibility gallery.Visibility // of uploads that do not say
	SessionTTL        time.Duration      // how long a sign-in lasts
	TrustedProxies    []*net.IPNet       // whose X-Forwarded-For and -Proto are believed
	SignInFailures    int                // failed sign-ins per account (and 4× per address) per window
	SignInWindow      time.Duration
	MetricsAccess     string // who may read /metrics: MetricsAdmin, MetricsPublic or MetricsOff
}

// Services are what the routes act on; main.go builds them.
type Services struct {
	Images   gallery.ImageService
	Users    gallery.UserService
	Sessions gallery.SessionService
	Tokens   gallery.TokenService
	Search   gallery.SearchService  // nil: ?q= is refused
	Similar  gallery.SimilarService // nil: /similar is 404 and uploads are not compared
	Hooks    Hooks                  // metrics and health; see Hooks
	Backup   Backuper               // nil: /api/backup is 404
	Thumbs   ThumbCache             // nil: thumbnails are read from disk every time
}

// DefaultConfig returns the defaults every flag starts from.
func DefaultConfig() Config {
	return Config{
		MaxFileBytes:    50 << 20,
		MaxFiles:        100,
		MaxJSONBytes:    1 << 20,
		HeaderTimeout:   10 * time.Second,
		RequestTimeout:  30 * time.Second,
		TransferTimeout: 30 * time.Minute,
		ShutdownTimeout: 30 * time.Second,

		DefaultVisibility: gallery.Private,
		SessionTTL:        30 * 24 * time.Hour,
		SignInFailures:    5,
		SignInWindow:      15 * time.Minute,
		MetricsAccess:     MetricsAdmin,
	}
}

// Server is the HTTP server: routes bound to the services.
type Server struct {
	cfg      Config
	images   gallery.ImageService
	users    gallery.UserService
	sessions gallery.SessionService
	tokens   gallery.TokenService
	search   gallery.SearchService
	similar  gallery.SimilarService
	backup   Backuper
	thumbs   ThumbCache
	decoder  Decoder
	logger   *slog.Logger
	hooks    Hooks

	observers *observers // per-route funcs of hooks.Route

	// throttles[0] counts failed sign-ins per account, [1] per address.
	throttles [2]*throttle

	echo   *echo.Echo
	server *http.Server
	ln     net.Listener
}

// NewServer builds the routes. ui is the embedded frontend served at /.
func NewServer(cfg Config, svc Services, decoder Decoder, ui fs.FS, logger *slog.Logger) *Server {
	if logger == nil {
		logger = slog.Default()
	}
	s := &Server{cfg: cfg, images: svc.Images, users: svc.Users, sessions: svc.Sessions, tokens: svc.Tokens,
		search: svc.Search, similar: svc.Similar, backup: svc.Backup, thumbs: svc.Thumbs, decoder: decoder, logger: logger, hooks: svc.Hooks}
	s.throttles[0] = newThrottle(cfg.SignInFailures, cfg.SignInWindow)
	s.throttles[1] = newThrottle(4*cfg.SignInFailures, cfg.SignInWindow)
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = s.errorHandler
	e.IPExtractor = echo.ExtractIPDirect()
	if len(cfg.TrustedProxies) > 0 {
		opts := []echo.TrustOption{echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false)}
		for _, n := range cfg.TrustedProxies {
			opts = append(opts, echo.TrustIPRange(n))
		}
		e.IPExtractor = echo.ExtractIPFromXFFHeader(opts...)
	}
	e.Use(s.observe, s.recoverPanic, securityHeaders, s.authenticate)

	e.GET("/healthz", s.handleHealth)
	e.GET("/metrics", s.handleMetrics)
	e.GET("/api/openapi.json", handleOpenAPI)
	e.GET("/api/images", s.handleListImages)
	e.POST("/api/images", s.handleUpload)
	e.POST("/api/images/delete", s.handleBulkDelete)
	e.GET("/api/images/:id", s.handleGetImage)
	e.HEAD("/api/images/:id", s.handleGetImage)
	e.PATCH("/api/images/:id", s.handlePatchImage)
	e.DELETE("/api/images/:id", s.handleDeleteImage)
	e.GET("/api/images/:id/file", s.handleFile)
	e.HEAD("/api/images/:id/file", s.handleFile)
	e.GET("/api/images/:id/thumb/:size", s.handleThumb)
	e.HEAD("/api/images/:id/thumb/:size", s.handleThumb)
	e.GET("/api/images/:id/similar", s.handleSimilar)

	e.GET("/api/setup", s.handleSetup)
	e.POST("/api/users", s.handleCreateUser)
	e.GET("/api/users", s.handleListUsers)
	e.PATCH("/api/users/:username", s.handlePatchUser)
	e.POST("/api/session", s.handleSignIn)
	e.DELETE("/api/session", s.handleSignOut)
	e.GET("/api/me", s.handleMe)
	e.POST("/api/me/password", s.handleChangePassword)
	e.POST("/api/tokens", s.handleCreateToken)
	e.GET("/api/tokens", s.handleListTokens)
	e.DELETE("/api/tokens/:id", s.handleDeleteToken)
	e.GET("/api/backup", s.handleBackup)
	s.routeUI(e, ui)
	s.echo = e
	s.observers = resolveObservers(e, svc.Hooks.Route)

	protect := http.NewCrossOriginProtection()
	protect.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		writeErrorJSON(w, gallery.Errorf(gallery.EFORBIDDEN, "cross-origin request refused"))
		s.observeUnrouted(r, http.StatusForbidden, start)
	}))
	protected := protect.Handler(e)
	s.server = &http.Server{
		// Requests with a bearer token carry no ambient credentials, so a
		// cross-site page cannot forge them: they skip the origin check.
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if scheme, _, _ := strings.Cut(r.Header.Get("Authorization"), " "); strings.EqualFold(scheme, "Bearer") {
				e.ServeHTTP(w, r)
				return
			}
			protected.ServeHTTP(w, r)
		}),
		ConnContext: func(ctx context.Context, c net.Conn) context.Context {
			return context.WithValue(ctx, connKey{}, c)
		},
		ReadHeaderTimeout: cfg.HeaderTimeout,
		ReadTimeout:       cfg.RequestTimeout,
		WriteTimeout:      cfg.RequestTimeout,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	return s
}

// Routes lists "METHOD /path/{param}" for every API route, so that a test
// can hold the OpenAPI document to the router.
func (s *Server) Routes() []string {
	var out []string
	for _, r := range s.echo.Routes() {
		if r.Path == "/*" {
			continue // the UI
		}
		parts := strings.Split(r.Path, "/")
		for i, p := range parts {
			if strings.HasPrefix(p, ":") {
				parts[i] = "{" + p[1:] + "}"
			}
		}
		out = append(out, r.Method+" "+strings.Join(parts, "/"))
	}
	return out
}

// Handler returns the whole HTTP handler, for tests and embedding.
func (s *Server) Handler() http.Handler { return s.server.Handler }

// Listen binds addr and serves in the background. It returns once the
// address is bound, so that Addr is known and a busy port fails here.
func (s *Server) Listen(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	s.ln = ln
	go func() {
		if err := s.server.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.logger.Error("http server stopped", slog.Any("err", err))
		}
	}()
	return nil
}

// Addr is the bound address, once Listen has returned.
func (s *Server) Addr() net.Addr {
	if s.ln == nil {
		return nil
	}
	return s.ln.Addr()
}

// Close stops accepting connections and lets requests in flight finish,
// for at most ShutdownTimeout.
func (s *Server) Close() error {
	if s.ln == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
	defer cancel()
	return s.server.Shutdown(ctx)
}

func (s *Server) extendDeadlines(c echo.Context, read, write time.Duration) {
	rc := http.NewResponseController(c.Response().Writer)
	now := time.Now()
	// Not every ResponseWriter supports deadlines (httptest's recorder does
	// not); the server's own always does.
	if read > 0 {
		_ = rc.SetReadDeadline(now.Add(read))
	}
	if write > 0 {
		_ = rc.SetWriteDeadline(now.Add(write))
	}
}

// recoverPanic turns a handler panic into a logged 500 for that request.
func (s *Server) recoverPanic(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) (err error) {
		defer func() {
			if r := recover(); r != nil {
				if r == http.ErrAbortHandler {
					panic(r)
				}
				s.logger.Error("handler panic", slog.Any("panic", r), slog.String("path", c.Request().URL.Path))
				err = gallery.Errorf(gallery.EINTERNAL, "internal error")
			}
		}()
		return next(c)
	}
}

func securityHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		h["X-Content-Type-Options"] = hdrNosniff
		h["Referrer-Policy"] = hdrSameOrig
		h["X-Frame-Options"] = hdrDeny
		return next(c)
	}
}

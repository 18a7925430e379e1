package api

import (
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"imagerepo/gallery"
)

// Session cookie names: the __Host- prefix (which requires Secure) when the
// request came over TLS.
const (
	sessionCookie       = "imagerepo_session"
	secureSessionCookie = "__Host-imagerepo_session"
)

// viewerKey is where authenticate leaves the signed-in user (or nil).
const viewerKey = "imagerepo.viewer"

// sessionKey is where authenticate leaves the session token, when the
// request was signed in by cookie.
const sessionKey = "imagerepo.session"

// authenticate resolves who is asking, on every request: a bearer token,
// else a session cookie, else anonymous. A bearer token that does not work
// is a 401; a stale cookie is dropped and the request goes on anonymously.
// Nothing is cached here, so a revoked token or a disabled account fails on
// the very next request.
func (s *Server) authenticate(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		if !strings.HasPrefix(r.URL.Path, "/api/") && r.URL.Path != "/metrics" {
			return next(c) // the UI's static files are the same for everyone
		}
		ctx := r.Context()
		if auth := r.Header.Get("Authorization"); auth != "" {
			scheme, secret, _ := strings.Cut(auth, " ")
			if !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(secret) == "" {
				return gallery.Errorf(gallery.EUNAUTHORIZED, "Authorization must be \"Bearer TOKEN\"")
			}
			user, _, err := s.tokens.FindToken(ctx, strings.TrimSpace(secret))
			if err != nil {
				return err
			}
			c.Set(viewerKey, user)
			return next(c)
		}
		for _, name := range []string{secureSessionCookie, sessionCookie} {
			ck, err := r.Cookie(name)
			if err != nil || ck.Value == "" {
				continue
			}
			user, _, err := s.sessions.FindSession(ctx, ck.Value)
			if err != nil {
				if gallery.ErrorCode(err) != gallery.EUNAUTHORIZED {
					return err
				}
				s.clearSessionCookie(c)
				break
			}
			c.Set(viewerKey, user)
			c.Set(sessionKey, ck.Value)
			break
		}
		return next(c)
	}
}

// viewer is the signed-in user of the request, or nil.
func viewer(c echo.Context) *gallery.User {
	u, _ := c.Get(viewerKey).(*gallery.User)
	return u
}

// requireUser returns the signed-in user, or EUNAUTHORIZED.
func requireUser(c echo.Context) (*gallery.User, error) {
	if u := viewer(c); u != nil {
		return u, nil
	}
	return nil, gallery.Errorf(gallery.EUNAUTHORIZED, "sign in first")
}

// requireAdmin returns the signed-in admin; EUNAUTHORIZED when anonymous,
// EFORBIDDEN for other accounts.
func requireAdmin(c echo.Context) (*gallery.User, error) {
	u, err := requireUser(c)
	if err != nil {
		return nil, err
	}
	if !u.IsAdmin() {
		return nil, gallery.Errorf(gallery.EFORBIDDEN, "only an admin may do that")
	}
	return u, nil
}

// denied is the answer for an image the viewer can see but not change:
// 401 when anonymous, 403 when signed in.
func denied(v *gallery.User) error {
	if v == nil {
		return gallery.Errorf(gallery.EUNAUTHORIZED, "sign in to change this image")
	}
	return gallery.Errorf(gallery.EFORBIDDEN, "only the owner or an admin may change this image")
}

func (s *Server) secureRequest(r *http.Request) bool {
	if r.TLS != nil {
		return true
	}
	return s.trustsProxy(r) && strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}

func (s *Server) setSessionCookie(c echo.Context, token string, expires time.Time) {
	name, secure := sessionCookie, s.secureRequest(c.Request())
	if secure {
		name = secureSessionCookie
	}
	c.SetCookie(&http.Cookie{
		Name: name, Value: token, Path: "/", Expires: expires, MaxAge: int(time.Until(expires).Seconds()),
		HttpOnly: true, Secure: secure, SameSite: http.SameSiteLaxMode,
	})
}

func (s *Server) clearSessionCookie(c echo.Context) {
	for _, name := range []string{sessionCookie, secureSessionCookie} {
		if _, err := c.Cookie(name); err != nil {
			continue
		}
		c.SetCookie(&http.Cookie{Name: name, Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
			Secure: name == secureSessionCookie, SameSite: http.SameSiteLaxMode})
	}
}

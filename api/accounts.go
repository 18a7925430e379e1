package api

import (
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"imagerepo/gallery"
)

type credentials struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

type newUserRequest struct {
	Username string       `json:"username"`
	Password string       `json:"password"`
	Role     gallery.Role `json:"role"`
}

type userJSON struct {
	Username  string       `json:"username"`
	Role      gallery.Role `json:"role"`
	Disabled  bool         `json:"disabled,omitempty"`
	CreatedAt *time.Time   `json:"created_at,omitempty"`
}

func renderUser(u *gallery.User, full bool) userJSON {
	j := userJSON{Username: u.Username, Role: u.Role}
	if full {
		j.Disabled, j.CreatedAt = u.Disabled, &u.CreatedAt
	}
	return j
}

// handleSetup tells the UI whether the first (admin) account is still to
// be made, and whether anyone may register.
func (s *Server) handleSetup(c echo.Context) error {
	n, err := s.users.CountUsers(c.Request().Context())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]bool{"needs_admin": n == 0, "open_registration": s.cfg.OpenRegistration})
}

// handleCreateUser makes an account: the first one, anonymously, becomes
// the admin; after that only an admin may, or anyone with open
// registration (as a plain user).
func (s *Server) handleCreateUser(c echo.Context) error {
	var req newUserRequest
	if err := s.decodeJSON(c, &req); err != nil {
		return err
	}
	ctx := c.Request().Context()
	name := strings.ToLower(strings.TrimSpace(req.Username))
	if req.Role != "" && req.Role != gallery.RoleAdmin && req.Role != gallery.RoleUser {
		return gallery.Errorf(gallery.EINVALID, "role must be %q or %q", gallery.RoleUser, gallery.RoleAdmin)
	}
	v := viewer(c)
	if v == nil {
		n, err := s.users.CountUsers(ctx)
		if err != nil {
			return err
		}
		if n == 0 {
			u, err := s.users.CreateFirstAdmin(ctx, name, req.Password)
			if gallery.ErrorCode(err) != gallery.ECONFLICT {
				return s.userCreated(c, u, err)
			}
			// Someone else made the first account meanwhile: go on as any
			// other anonymous request.
		}
	}
	switch {
	case v.IsAdmin():
	case s.cfg.OpenRegistration:
		if req.Role == gallery.RoleAdmin {
			return gallery.Errorf(gallery.EFORBIDDEN, "only an admin may create admin accounts")
		}
	case v == nil:
		return gallery.Errorf(gallery.EUNAUTHORIZED, "sign in as an admin to create accounts")
	default:
		return gallery.Errorf(gallery.EFORBIDDEN, "only an admin may create accounts")
	}
	role := req.Role
	if role == "" {
		role = gallery.RoleUser
	}
	u, err := s.users.CreateUser(ctx, name, req.Password, role)
	return s.userCreated(c, u, err)
}

func (s *Server) userCreated(c echo.Context, u *gallery.User, err error) error {
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, renderUser(u, false))
}

func (s *Server) handleListUsers(c echo.Context) error {
	if _, err := requireAdmin(c); err != nil {
		return err
	}
	users, err := s.users.ListUsers(c.Request().Context())
	if err != nil {
		return err
	}
	out := make([]userJSON, len(users))
	for i, u := range users {
		out[i] = renderUser(u, true)
	}
	return c.JSON(http.StatusOK, map[string]any{"users": out})
}

type userUpdate struct {
	Disabled *bool `json:"disabled"`
}

// handlePatchUser lets an admin disable or enable an account.
func (s *Server) handlePatchUser(c echo.Context) error {
	admin, err := requireAdmin(c)
	if err != nil {
		return err
	}
	var upd userUpdate
	if err := s.decodeJSON(c, &upd); err != nil {
		return err
	}
	name := strings.ToLower(c.Param("username"))
	ctx := c.Request().Context()
	if upd.Disabled != nil {
		if *upd.Disabled && name == admin.Username {
			return gallery.Errorf(gallery.EINVALID, "you cannot disable your own account")
		}
		if err := s.users.SetDisabled(ctx, name, *upd.Disabled); err != nil {
			return err
		}
	}
	u, err := s.users.FindUser(ctx, name)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, renderUser(u, true))
}

// handleSignIn checks a password, throttled per account and per client
// address, and starts a new session (a fresh id at every sign-in).
func (s *Server) handleSignIn(c echo.Context) error {
	var cr credentials
	if err := s.decodeJSON(c, &cr); err != nil {
		return err
	}
	name := strings.ToLower(strings.TrimSpace(cr.Username))
	ctx := c.Request().Context()
	var u *gallery.User
	err := s.throttled(c, name, func() (err error) {
		u, err = s.users.Authenticate(ctx, name, cr.Password)
		return err
	})
	if err != nil {
		return err
	}
	if old, ok := c.Get(sessionKey).(string); ok {
		_ = s.sessions.DeleteSession(ctx, old) // a fresh id at every sign-in
	}
	token, sess, err := s.sessions.CreateSession(ctx, u.Username, s.cfg.SessionTTL)
	if err != nil {
		return err
	}
	s.setSessionCookie(c, token, sess.ExpiresAt)
	return c.JSON(http.StatusOK, renderUser(u, false))
}

func (s *Server) handleSignOut(c echo.Context) error {
	if token, ok := c.Get(sessionKey).(string); ok {
		if err := s.sessions.DeleteSession(c.Request().Context(), token); err != nil {
			return err
		}
	}
	s.clearSessionCookie(c)
	return c.NoContent(http.StatusNoContent)
}

func (s *Server) handleMe(c echo.Context) error {
	u, err := requireUser(c)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, renderUser(u, false))
}

type passwordChange struct {
	OldPassword string `json:"old_password"`
	NewPassword string `json:"new_password"`
}

// handleChangePassword sets the viewer's password; their other sessions end.
func (s *Server) handleChangePassword(c echo.Context) error {
	u, err := requireUser(c)
	if err != nil {
		return err
	}
	var req passwordChange
	if err := s.decodeJSON(c, &req); err != nil {
		return err
	}
	keep, _ := c.Get(sessionKey).(string)
	// Throttled as sign-ins are, and counted with them: a stolen session
	// must not become a way to guess the password.
	if err := s.throttled(c, u.Username, func() error {
		return s.users.ChangePassword(c.Request().Context(), u.Username, req.OldPassword, req.NewPassword, keep)
	}); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// throttled runs check, a check of the account name's password, under the
// throttles of that account and of the client's address: refused with
// 429 and Retry-After while either has failed too often, and counted as a
// failure when check says the password is wrong (EUNAUTHORIZED).
func (s *Server) throttled(c echo.Context, name string, check func() error) error {
	keys := [len(s.throttles)]string{"user:" + name, "ip:" + c.RealIP()}
	var wait time.Duration
	var ends []func(failed bool)
	for i, k := range keys {
		if end, w := s.throttles[i].begin(k); w > 0 {
			wait = max(wait, w)
		} else {
			ends = append(ends, end)
		}
	}
	failed := false
	defer func() { // also where check panics: that try did not fail
		for _, end := range ends {
			end(failed)
		}
	}()
	if wait > 0 {
		c.Response().Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
		return gallery.Errorf(gallery.ERATELIMITED, "too many failed password checks; try again in %s", wait.Round(time.Second))
	}
	err := check()
	failed = gallery.ErrorCode(err) == gallery.EUNAUTHORIZED
	if err == nil {
		s.throttles[0].reset(keys[0])
	}
	return err
}

type tokenRequest struct {
	Name string `json:"name"`
}

type tokenCreated struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Token string `json:"token"`
}

func (s *Server) handleCreateToken(c echo.Context) error {
	u, err := requireUser(c)
	if err != nil {
		return err
	}
	var req tokenRequest
	if err := s.decodeJSON(c, &req); err != nil {
		return err
	}
	secret, t, err := s.tokens.CreateToken(c.Request().Context(), u.Username, req.Name)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, tokenCreated{ID: t.ID, Name: t.Name, Token: secret})
}

func (s *Server) handleListTokens(c echo.Context) error {
	u, err := requireUser(c)
	if err != nil {
		return err
	}
	tokens, err := s.tokens.ListTokens(c.Request().Context(), u.Username)
	if err != nil {
		return err
	}
	if tokens == nil {
		tokens = []*gallery.Token{}
	}
	return c.JSON(http.StatusOK, map[string]any{"tokens": tokens})
}

func (s *Server) handleDeleteToken(c echo.Context) error {
	u, err := requireUser(c)
	if err != nil {
		return err
	}
	if err := s.tokens.DeleteToken(c.Request().Context(), u.Username, c.Param("id")); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

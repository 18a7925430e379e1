package gallery

import (
	"context"
	"time"
	"unicode/utf8"
)

// Role is what an account may do.
type Role string

const (
	RoleAdmin Role = "admin" // sees, changes and deletes every image; manages accounts
	RoleUser  Role = "user"  // sees public images and their own; changes their own
)

// Password limits (bytes of UTF-8).
const (
	MinPasswordLen = 8
	MaxPasswordLen = 128
)

// User is an account. The password hash never leaves the store.
type User struct {
	Username  string    `json:"username"`
	Role      Role      `json:"role"`
	Disabled  bool      `json:"disabled"`
	CreatedAt time.Time `json:"created_at"`
}

// IsAdmin reports whether u is an enabled admin. A nil user (anonymous) is not.
func (u *User) IsAdmin() bool { return u != nil && !u.Disabled && u.Role == RoleAdmin }

// CanSee reports whether viewer (nil when anonymous) may see img: public
// images to everyone, private ones to their owner and admins.
func CanSee(viewer *User, img *Image) bool {
	return img.Visibility == Public || CanChange(viewer, img)
}

// CanChange reports whether viewer may edit or delete img: its owner or an admin.
func CanChange(viewer *User, img *Image) bool {
	if viewer == nil || viewer.Disabled {
		return false
	}
	return viewer.Role == RoleAdmin || (img.Owner != "" && img.Owner == viewer.Username)
}

// ValidateUsername checks a new account's name: 1 to 32 characters of
// a-z, 0-9, '.', '_' and '-', starting with a letter or digit. Names are
// case-folded by the caller before this check.
func ValidateUsername(name string) error {
	if name == "" || len(name) > 32 {
		return Errorf(EINVALID, "username must be 1 to 32 characters")
	}
	for i, r := range name {
		ok := 'a' <= r && r <= 'z' || '0' <= r && r <= '9' || i > 0 && (r == '.' || r == '_' || r == '-')
		if !ok {
			return Errorf(EINVALID, "username may hold only a-z, 0-9, '.', '_' and '-', and must start with a letter or digit")
		}
	}
	return nil
}

// ValidatePassword checks a new password's length.
func ValidatePassword(pw string) error {
	if !utf8.ValidString(pw) {
		return Errorf(EINVALID, "password must be valid UTF-8")
	}
	if len(pw) < MinPasswordLen {
		return Errorf(EINVALID, "password must be at least %d characters", MinPasswordLen)
	}
	if len(pw) > MaxPasswordLen {
		return Errorf(EINVALID, "password may be at most %d bytes", MaxPasswordLen)
	}
	return nil
}

// UserService stores accounts and checks passwords.
type UserService interface {
	// CreateUser adds an account. EINVALID for a bad name or password;
	// ECONFLICT when the name is taken.
	CreateUser(ctx context.Context, username, password string, role Role) (*User, error)

	// CreateFirstAdmin adds the admin account only while there are no
	// accounts at all, atomically. ECONFLICT when an account exists already.
	CreateFirstAdmin(ctx context.Context, username, password string) (*User, error)

	// FindUser returns the account. ENOTFOUND when there is none.
	FindUser(ctx context.Context, username string) (*User, error)

	// ListUsers returns every account, by name.
	ListUsers(ctx context.Context) ([]*User, error)

	// CountUsers returns the number of accounts.
	CountUsers(ctx context.Context) (int, error)

	// Authenticate checks a password. EUNAUTHORIZED, with one message and in
	// about the same time, for an unknown name, a wrong password and a
	// disabled account.
	Authenticate(ctx context.Context, username, password string) (*User, error)

	// ChangePassword sets a new password and ends every session of the
	// account but keepSession (a session token, or ""). EUNAUTHORIZED when
	// old is wrong; EINVALID for a bad new password.
	ChangePassword(ctx context.Context, username, old, new, keepSession string) error

	// SetDisabled disables or enables an account. A disabled account's
	// sessions and tokens stop working at once; its images stay.
	// ENOTFOUND when there is no such account.
	SetDisabled(ctx context.Context, username string, disabled bool) error
}

// Session is a signed-in browser.
type Session struct {
	Username  string    `json:"username"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
}

// SessionService keeps sign-in sessions. Session tokens are random and
// stored only as their SHA-256.
type SessionService interface {
	// CreateSession starts a session for the account and returns its secret
	// token, shown to the client once (as a cookie).
	CreateSession(ctx context.Context, username string, ttl time.Duration) (token string, s *Session, err error)

	// FindSession returns the session's account. EUNAUTHORIZED when the
	// token is unknown, expired or revoked, or the account disabled.
	FindSession(ctx context.Context, token string) (*User, *Session, error)

	// DeleteSession revokes a session; an unknown token is not an error.
	DeleteSession(ctx context.Context, token string) error
}

// Token is an API token for scripts. Its secret is shown once, at creation.
type Token struct {
	ID         string    `json:"id"`
	Name       string    `json:"name"`
	Username   string    `json:"-"`
	CreatedAt  time.Time `json:"created_at"`
	LastUsedAt time.Time `json:"last_used_at,omitzero"`
}

// TokenService keeps API tokens, stored only as their SHA-256.
type TokenService interface {
	// CreateToken makes a token for the account. EINVALID for a bad name.
	CreateToken(ctx context.Context, username, name string) (secret string, t *Token, err error)

	// ListTokens lists the account's tokens, newest first, without secrets.
	ListTokens(ctx context.Context, username string) ([]*Token, error)

	// DeleteToken revokes one of the account's tokens. ENOTFOUND when the
	// account has no token with that id.
	DeleteToken(ctx context.Context, username, id string) error

	// FindToken returns the token's account. EUNAUTHORIZED when the secret
	// is unknown or revoked, or the account disabled.
	FindToken(ctx context.Context, secret string) (*User, *Token, error)
}

// CanSeeLocation reports whether viewer may learn where img was taken, from
// its document or its original's metadata: its owner or an admin.
func CanSeeLocation(viewer *User, img *Image) bool {
	return CanChange(viewer, img)
}

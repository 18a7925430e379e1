package store

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"time"

	"go.etcd.io/bbolt"

	"imagerepo/gallery"
)

var _ gallery.SessionService = (*SessionService)(nil)

// SessionService is the durable gallery.SessionService. A session token is
// 256 random bits; only its sha256 is stored.
type SessionService struct {
	db *DB
}

// NewSessionService returns the session service of db.
func NewSessionService(db *DB) *SessionService {
	return &SessionService{db: db}
}

// maxSecretLen bounds what FindSession and FindToken hash; anything longer
// was never made here.
const maxSecretLen = 256

// sessionDoc is the stored form of a session.
type sessionDoc struct {
	Username  string    `json:"username"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
}

func (d *sessionDoc) session() *gallery.Session {
	return &gallery.Session{Username: d.Username, CreatedAt: d.CreatedAt, ExpiresAt: d.ExpiresAt}
}

func errSessionGone() error {
	return gallery.Errorf(gallery.EUNAUTHORIZED, "session expired or signed out")
}

// randomSecret returns n random bytes in unpadded base64url.
func randomSecret(n int) string {
	b := make([]byte, n)
	rand.Read(b) // never fails; it crashes the program instead
	return base64.RawURLEncoding.EncodeToString(b)
}

// secretKey is the bbolt key of a session token or API token secret: its
// sha256, so that the secret itself is never stored. "" has no key.
func secretKey(secret string) []byte {
	if secret == "" {
		return nil
	}
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

// userKey is name + "\x00" + rest, the key of a per-user index. Names hold
// no NUL, so the first NUL ends the name.
func userKey(name string, rest []byte) []byte {
	return append(append([]byte(name), 0), rest...)
}

// splitUserKey is the inverse of userKey.
func splitUserKey(k []byte) (name string, rest []byte, ok bool) {
	i := bytes.IndexByte(k, 0)
	if i <= 0 {
		return "", nil, false
	}
	return string(k[:i]), k[i+1:], true
}

func getSession(tx *bbolt.Tx, key []byte) (*sessionDoc, error) {
	v := tx.Bucket(sessionsBucket).Get(key)
	if v == nil {
		return nil, nil
	}
	var d sessionDoc
	if err := json.Unmarshal(v, &d); err != nil {
		return nil, fmt.Errorf("store: decode session: %w", err)
	}
	return &d, nil
}

func deleteSession(tx *bbolt.Tx, key []byte, username string) error {
	if err := tx.Bucket(sessionsBucket).Delete(key); err != nil {
		return err
	}
	return tx.Bucket(userSessionsBucket).Delete(userKey(username, key))
}

// deleteUserSessions ends every session of the account but the one whose
// key is keep (nil keeps none), and returns how many it ended.
func deleteUserSessions(tx *bbolt.Tx, name string, keep []byte) (int, error) {
	prefix := userKey(name, nil)
	var keys [][]byte
	c := tx.Bucket(userSessionsBucket).Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		if key := k[len(prefix):]; !bytes.Equal(key, keep) {
			keys = append(keys, bytes.Clone(key))
		}
	}
	for _, key := range keys {
		if err := deleteSession(tx, key, name); err != nil {
			return 0, err
		}
	}
	return len(keys), nil
}

// CreateSession starts a session of ttl for the account. ENOTFOUND for an
// unknown account, EUNAUTHORIZED for a disabled one, EINVALID for a ttl that
// is not positive.
func (s *SessionService) CreateSession(ctx context.Context, username string, ttl time.Duration) (string, *gallery.Session, error) {
	if ttl <= 0 {
		return "", nil, gallery.Errorf(gallery.EINVALID, "session lifetime must be positive")
	}
	token := randomSecret(32)
	key := secretKey(token)
	var sess *gallery.Session
	err := s.db.update(ctx, "create session", func(tx *bbolt.Tx) error {
		u, err := getUser(tx, normalizeUsername(username))
		if err != nil {
			return err
		} else if u.Disabled {
			return gallery.Errorf(gallery.EUNAUTHORIZED, "account is disabled")
		}
		now := s.db.now().UTC()
		d := &sessionDoc{Username: u.Username, CreatedAt: now, ExpiresAt: now.Add(ttl)}
		data, err := json.Marshal(d)
		if err != nil {
			return err
		}
		if err := tx.Bucket(sessionsBucket).Put(key, data); err != nil {
			return err
		}
		sess = d.session()
		return tx.Bucket(userSessionsBucket).Put(userKey(u.Username, key), nil)
	})
	if err != nil {
		return "", nil, err
	}
	return token, sess, nil
}

// FindSession returns the session's account. An expired session is deleted
// when it is seen.
func (s *SessionService) FindSession(ctx context.Context, token string) (*gallery.User, *gallery.Session, error) {
	if token == "" || len(token) > maxSecretLen {
		return nil, nil, errSessionGone()
	}
	key := secretKey(token)
	var (
		u       *gallery.User
		sess    *gallery.Session
		expired bool
	)
	err := s.db.view(ctx, func(tx *bbolt.Tx) error {
		d, err := getSession(tx, key)
		if err != nil || d == nil {
			return err
		}
		if !s.db.now().Before(d.ExpiresAt) {
			expired = true
			return nil
		}
		ud, err := getUser(tx, d.Username)
		if gallery.ErrorCode(err) == gallery.ENOTFOUND {
			return nil
		} else if err != nil {
			return err
		}
		if !ud.Disabled {
			u, sess = ud.user(), d.session()
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	if expired {
		if err := s.db.update(ctx, "delete expired session", func(tx *bbolt.Tx) error {
			d, err := getSession(tx, key)
			if err != nil || d == nil {
				return err
			}
			return deleteSession(tx, key, d.Username)
		}); err != nil {
			return nil, nil, err
		}
	}
	if u == nil {
		return nil, nil, errSessionGone()
	}
	return u, sess, nil
}

// DeleteSession revokes a session; an unknown token is not an error.
func (s *SessionService) DeleteSession(ctx context.Context, token string) error {
	if token == "" || len(token) > maxSecretLen {
		return nil
	}
	key := secretKey(token)
	return s.db.update(ctx, "delete session", func(tx *bbolt.Tx) error {
		d, err := getSession(tx, key)
		if err != nil || d == nil {
			return err
		}
		return deleteSession(tx, key, d.Username)
	})
}

// DeleteExpired removes every expired session, for a periodic sweep, and
// returns how many it removed. It is one write transaction.
func (s *SessionService) DeleteExpired(ctx context.Context) (int, error) {
	n := 0
	err := s.db.update(ctx, "delete expired sessions", func(tx *bbolt.Tx) error {
		now := s.db.now()
		type gone struct {
			key  []byte
			user string
		}
		var expired []gone
		visited := 0
		c := tx.Bucket(sessionsBucket).Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			if visited++; visited%1024 == 0 && ctx.Err() != nil {
				return ctx.Err()
			}
			var d sessionDoc
			if err := json.Unmarshal(v, &d); err != nil {
				return fmt.Errorf("store: decode session: %w", err)
			}
			if !now.Before(d.ExpiresAt) {
				expired = append(expired, gone{bytes.Clone(k), d.Username})
			}
		}
		for _, g := range expired {
			if err := deleteSession(tx, g.key, g.user); err != nil {
				return err
			}
		}
		n = len(expired)
		return nil
	})
	return n, err
}

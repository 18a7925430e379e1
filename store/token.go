package store

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"go.etcd.io/bbolt"

	"imagerepo/gallery"
)

var _ gallery.TokenService = (*TokenService)(nil)

// TokenService is the durable gallery.TokenService. A secret is "ir_" and
// 256 random bits; only its sha256 is stored, so a look-up is one hash and
// one bbolt get.
type TokenService struct {
	db *DB
}

// NewTokenService returns the API token service of db.
func NewTokenService(db *DB) *TokenService {
	return &TokenService{db: db}
}

const (
	// tokenPrefix marks a secret as an imagerepo API token, for people and
	// secret scanners.
	tokenPrefix = "ir_"
	// MaxTokenNameLen is the longest token name, in characters.
	MaxTokenNameLen = 64
	// tokenTouchEvery is how stale a token's last use may get before
	// FindToken writes it: a script calling many times a second costs one
	// write a minute, not one per request.
	tokenTouchEvery = time.Minute
)

// tokenDoc is the stored form of a token, without its secret.
type tokenDoc struct {
	ID         string    `json:"id"`
	Name       string    `json:"name"`
	Username   string    `json:"username"`
	CreatedAt  time.Time `json:"created_at"`
	LastUsedAt time.Time `json:"last_used_at"`
}

func (d *tokenDoc) token() *gallery.Token {
	return &gallery.Token{ID: d.ID, Name: d.Name, Username: d.Username, CreatedAt: d.CreatedAt, LastUsedAt: d.LastUsedAt}
}

func errTokenRefused() error {
	return gallery.Errorf(gallery.EUNAUTHORIZED, "invalid or revoked token")
}

func getToken(tx *bbolt.Tx, key []byte) (*tokenDoc, error) {
	v := tx.Bucket(tokensBucket).Get(key)
	if v == nil {
		return nil, nil
	}
	var d tokenDoc
	if err := json.Unmarshal(v, &d); err != nil {
		return nil, fmt.Errorf("store: decode token: %w", err)
	}
	return &d, nil
}

func putToken(tx *bbolt.Tx, key []byte, d *tokenDoc) error {
	data, err := json.Marshal(d)
	if err != nil {
		return err
	}
	return tx.Bucket(tokensBucket).Put(key, data)
}

// validTokenName trims name and checks it: 1 to MaxTokenNameLen characters
// of text without control characters.
func validTokenName(name string) (string, error) {
	name = strings.TrimSpace(name)
	if !utf8.ValidString(name) || strings.ContainsFunc(name, unicode.IsControl) {
		return "", gallery.Errorf(gallery.EINVALID, "token name must be text without control characters")
	}
	if n := utf8.RuneCountInString(name); n < 1 || n > MaxTokenNameLen {
		return "", gallery.Errorf(gallery.EINVALID, "token name must be 1 to %d characters", MaxTokenNameLen)
	}
	return name, nil
}

// CreateToken makes a token for the account and returns its secret, once.
// EINVALID for a bad name, ENOTFOUND for an unknown account, EUNAUTHORIZED
// for a disabled one.
func (s *TokenService) CreateToken(ctx context.Context, username, name string) (string, *gallery.Token, error) {
	name, err := validTokenName(name)
	if err != nil {
		return "", nil, err
	}
	secret := tokenPrefix + randomSecret(32)
	key := secretKey(secret)
	var t *gallery.Token
	err = s.db.update(ctx, "create token", func(tx *bbolt.Tx) error {
		u, err := getUser(tx, normalizeUsername(username))
		if err != nil {
			return err
		} else if u.Disabled {
			return gallery.Errorf(gallery.EUNAUTHORIZED, "account is disabled")
		}
		// 64 random bits: a repeat within one account is next to
		// impossible, but cheap to rule out.
		id := randomSecret(8)
		for tx.Bucket(userTokensBucket).Get(userKey(u.Username, []byte(id))) != nil {
			id = randomSecret(8)
		}
		d := &tokenDoc{ID: id, Name: name, Username: u.Username, CreatedAt: s.db.now().UTC()}
		if err := putToken(tx, key, d); err != nil {
			return err
		}
		t = d.token()
		return tx.Bucket(userTokensBucket).Put(userKey(u.Username, []byte(id)), key)
	})
	if err != nil {
		return "", nil, err
	}
	return secret, t, nil
}

// ListTokens lists the account's tokens, newest first, without secrets. An
// unknown account has none.
func (s *TokenService) ListTokens(ctx context.Context, username string) ([]*gallery.Token, error) {
	tokens := []*gallery.Token{}
	prefix := userKey(normalizeUsername(username), nil)
	err := s.db.view(ctx, func(tx *bbolt.Tx) error {
		c := tx.Bucket(userTokensBucket).Cursor()
		for k, v := c.Seek(prefix); k != nil && strings.HasPrefix(string(k), string(prefix)); k, v = c.Next() {
			d, err := getToken(tx, v)
			if err != nil {
				return err
			} else if d == nil {
				return fmt.Errorf("store: token index %q refers to no token", k)
			}
			tokens = append(tokens, d.token())
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(tokens, func(a, b *gallery.Token) int {
		return cmp.Or(b.CreatedAt.Compare(a.CreatedAt), strings.Compare(b.ID, a.ID))
	})
	return tokens, nil
}

// DeleteToken revokes one of the account's tokens; the next FindToken with
// its secret fails. ENOTFOUND when the account has no token with that id,
// which includes every other account's tokens.
func (s *TokenService) DeleteToken(ctx context.Context, username, id string) error {
	return s.db.update(ctx, "delete token", func(tx *bbolt.Tx) error {
		name := normalizeUsername(username)
		if strings.IndexByte(name, 0) >= 0 {
			return gallery.Errorf(gallery.ENOTFOUND, "token not found")
		}
		ik := userKey(name, []byte(id))
		key := tx.Bucket(userTokensBucket).Get(ik)
		if key == nil {
			return gallery.Errorf(gallery.ENOTFOUND, "token not found")
		}
		if err := tx.Bucket(tokensBucket).Delete(key); err != nil {
			return err
		}
		return tx.Bucket(userTokensBucket).Delete(ik)
	})
}

// FindToken returns the token's account. The token's last use is written
// only when the stored one is older than tokenTouchEvery, and by one caller
// at a time, so that frequent use does not queue on bbolt's writer.
func (s *TokenService) FindToken(ctx context.Context, secret string) (*gallery.User, *gallery.Token, error) {
	if !strings.HasPrefix(secret, tokenPrefix) || len(secret) > maxSecretLen {
		return nil, nil, errTokenRefused()
	}
	key := secretKey(secret)
	var (
		u *gallery.User
		t *tokenDoc
	)
	err := s.db.view(ctx, func(tx *bbolt.Tx) error {
		d, err := getToken(tx, key)
		if err != nil || d == nil {
			return err
		}
		ud, err := getUser(tx, d.Username)
		if gallery.ErrorCode(err) == gallery.ENOTFOUND {
			return nil
		} else if err != nil {
			return err
		}
		if !ud.Disabled {
			u, t = ud.user(), d
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	} else if u == nil {
		return nil, nil, errTokenRefused()
	}

	now := s.db.now().UTC()
	if now.Sub(t.LastUsedAt) < tokenTouchEvery {
		return u, t.token(), nil
	}
	if _, busy := s.db.touching.LoadOrStore(string(key), true); busy {
		return u, t.token(), nil // another request is writing it now
	}
	defer s.db.touching.Delete(string(key))
	revoked := false
	err = s.db.update(ctx, "touch token", func(tx *bbolt.Tx) error {
		d, err := getToken(tx, key)
		if err != nil {
			return err
		} else if d == nil {
			revoked = true // deleted since the read: revocation wins
			return nil
		}
		if now.Sub(d.LastUsedAt) < tokenTouchEvery {
			t = d
			return nil
		}
		d.LastUsedAt = now
		t = d
		return putToken(tx, key, d)
	})
	if revoked {
		return nil, nil, errTokenRefused()
	}
	if err != nil {
		if ctx.Err() != nil || errors.Is(err, errClosed) {
			return nil, nil, err
		}
		// The token is good; only its bookkeeping failed.
		s.db.log.Warn("store: record token use", "err", err)
	}
	return u, t.token(), nil
}

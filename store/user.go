package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"go.etcd.io/bbolt"

	"imagerepo/gallery"
)

var _ gallery.UserService = (*UserService)(nil)

// UserService is the durable gallery.UserService. Password hashes are
// computed outside any transaction, at most Options.MaxHashes at once.
type UserService struct {
	db *DB
}

// NewUserService returns the account service of db.
func NewUserService(db *DB) *UserService {
	return &UserService{db: db}
}

// userDoc is the stored form of an account.
type userDoc struct {
	Username     string    `json:"username"`
	Role         string    `json:"role"`
	Disabled     bool      `json:"disabled"`
	CreatedAt    time.Time `json:"created_at"`
	PasswordHash string    `json:"password_hash"`
}

func (d *userDoc) user() *gallery.User {
	return &gallery.User{Username: d.Username, Role: gallery.Role(d.Role), Disabled: d.Disabled, CreatedAt: d.CreatedAt}
}

// normalizeUsername is how every method reads a name: trimmed, lower case.
func normalizeUsername(name string) string {
	return strings.ToLower(strings.TrimSpace(name))
}

func errWrongLogin() error {
	return gallery.Errorf(gallery.EUNAUTHORIZED, "wrong username or password")
}

// getUser loads an account; ENOTFOUND when there is none.
func getUser(tx *bbolt.Tx, name string) (*userDoc, error) {
	v := tx.Bucket(usersBucket).Get([]byte(name))
	if v == nil {
		return nil, gallery.Errorf(gallery.ENOTFOUND, "user not found")
	}
	var d userDoc
	if err := json.Unmarshal(v, &d); err != nil {
		return nil, fmt.Errorf("store: decode user %q: %w", name, err)
	}
	return &d, nil
}

func putUser(tx *bbolt.Tx, d *userDoc) error {
	data, err := json.Marshal(d)
	if err != nil {
		return err
	}
	return tx.Bucket(usersBucket).Put([]byte(d.Username), data)
}

// validNewUser normalises and checks what CreateUser and CreateFirstAdmin get.
func validNewUser(username, password string, role gallery.Role) (string, error) {
	name := normalizeUsername(username)
	if err := gallery.ValidateUsername(name); err != nil {
		return "", err
	}
	if err := gallery.ValidatePassword(password); err != nil {
		return "", err
	}
	if role != gallery.RoleAdmin && role != gallery.RoleUser {
		return "", gallery.Errorf(gallery.EINVALID, "role must be %q or %q", gallery.RoleAdmin, gallery.RoleUser)
	}
	return name, nil
}

// CreateUser adds an account. When it is the first admin, the ownerless
// images become its own in the same transaction.
func (s *UserService) CreateUser(ctx context.Context, username, password string, role gallery.Role) (*gallery.User, error) {
	return s.create(ctx, "create user", username, password, role, nil)
}

// create adds an account after precheck (and nameFree) pass, checked once
// before the hash is paid for and again in the write transaction. An admin
// adopts the ownerless images in that transaction.
func (s *UserService) create(ctx context.Context, op, username, password string, role gallery.Role, precheck func(*bbolt.Tx) error) (*gallery.User, error) {
	name, err := validNewUser(username, password, role)
	if err != nil {
		return nil, err
	}
	check := func(tx *bbolt.Tx) error {
		if precheck != nil {
			if err := precheck(tx); err != nil {
				return err
			}
		}
		return nameFree(tx, name)
	}
	if err := s.db.view(ctx, check); err != nil {
		return nil, err
	}
	hash, err := s.db.hashPassword(ctx, password)
	if err != nil {
		return nil, err
	}
	var (
		u       *gallery.User
		adopted int
	)
	err = s.db.update(ctx, op, func(tx *bbolt.Tx) (err error) {
		if err := check(tx); err != nil {
			return err
		}
		d := &userDoc{Username: name, Role: string(role), CreatedAt: s.db.now().UTC(), PasswordHash: hash}
		if err := putUser(tx, d); err != nil {
			return err
		}
		if role == gallery.RoleAdmin {
			if adopted, err = s.db.adoptOwnerless(tx); err != nil {
				return err
			}
		}
		u = d.user()
		return nil
	})
	s.logAdopted(err, adopted)
	return u, err
}

func (s *UserService) logAdopted(err error, n int) {
	if err == nil && n > 0 {
		s.db.hashes.reset() // the owners changed
		s.db.log.Info("store: gave the images stored before accounts to the first admin", "images", n)
	}
}

func nameFree(tx *bbolt.Tx, name string) error {
	if tx.Bucket(usersBucket).Get([]byte(name)) != nil {
		return gallery.Errorf(gallery.ECONFLICT, "username %q is taken", name)
	}
	return nil
}

// CreateFirstAdmin adds the admin account while there is no account at all
// and gives it every ownerless image, in one write transaction.
func (s *UserService) CreateFirstAdmin(ctx context.Context, username, password string) (*gallery.User, error) {
	return s.create(ctx, "create first admin", username, password, gallery.RoleAdmin, noUsers)
}

func noUsers(tx *bbolt.Tx) error {
	if k, _ := tx.Bucket(usersBucket).Cursor().First(); k != nil {
		return gallery.Errorf(gallery.ECONFLICT, "an account exists already")
	}
	return nil
}

// FindUser returns the account; ENOTFOUND when there is none.
func (s *UserService) FindUser(ctx context.Context, username string) (*gallery.User, error) {
	var u *gallery.User
	err := s.db.view(ctx, func(tx *bbolt.Tx) error {
		d, err := getUser(tx, normalizeUsername(username))
		if err == nil {
			u = d.user()
		}
		return err
	})
	return u, err
}

// ListUsers returns every account, by name (the bucket's key order).
func (s *UserService) ListUsers(ctx context.Context) ([]*gallery.User, error) {
	users := []*gallery.User{}
	err := s.db.view(ctx, func(tx *bbolt.Tx) error {
		return tx.Bucket(usersBucket).ForEach(func(k, _ []byte) error {
			d, err := getUser(tx, string(k))
			if err == nil {
				users = append(users, d.user())
			}
			return err
		})
	})
	if err != nil {
		return nil, err
	}
	return users, nil
}

// CountUsers returns the number of accounts.
func (s *UserService) CountUsers(ctx context.Context) (int, error) {
	n := 0
	err := s.db.view(ctx, func(tx *bbolt.Tx) error {
		n = tx.Bucket(usersBucket).Stats().KeyN
		return nil
	})
	return n, err
}

// Authenticate checks a password. An unknown or malformed name is checked
// against a dummy hash with the same parameters, so that it costs the same
// time as a known one; every refusal is the same error.
func (s *UserService) Authenticate(ctx context.Context, username, password string) (*gallery.User, error) {
	d, err := s.lookupForPassword(ctx, username)
	if err != nil {
		return nil, err
	}
	if ok, err := s.checkPassword(ctx, d, password); err != nil {
		return nil, err
	} else if !ok || d == nil || d.Disabled {
		return nil, errWrongLogin()
	}
	return d.user(), nil
}

// lookupForPassword reads the account a password is about to be checked
// against, or nil when there is none.
func (s *UserService) lookupForPassword(ctx context.Context, username string) (*userDoc, error) {
	name := normalizeUsername(username)
	if gallery.ValidateUsername(name) != nil {
		return nil, ctx.Err()
	}
	var d *userDoc
	err := s.db.view(ctx, func(tx *bbolt.Tx) (err error) {
		d, err = getUser(tx, name)
		if gallery.ErrorCode(err) == gallery.ENOTFOUND {
			d, err = nil, nil
		}
		return err
	})
	return d, err
}

// checkPassword checks password against d's hash, or the dummy hash when d
// is nil. A password longer than any that may be set never matches, but costs
// the same.
func (s *UserService) checkPassword(ctx context.Context, d *userDoc, password string) (bool, error) {
	stored, tooLong := s.db.dummyHash, len(password) > gallery.MaxPasswordLen
	if d != nil {
		stored = d.PasswordHash
	}
	if tooLong {
		password = password[:gallery.MaxPasswordLen]
	}
	ok, err := s.db.checkPassword(ctx, stored, password)
	return ok && !tooLong, err
}

// ChangePassword checks old, stores a hash of new and ends every session of
// the account but keepSession. The account's API tokens stay.
func (s *UserService) ChangePassword(ctx context.Context, username, old, new, keepSession string) error {
	if err := gallery.ValidatePassword(new); err != nil {
		return err
	}
	d, err := s.lookupForPassword(ctx, username)
	if err != nil {
		return err
	}
	wrong := gallery.Errorf(gallery.EUNAUTHORIZED, "wrong password")
	if ok, err := s.checkPassword(ctx, d, old); err != nil {
		return err
	} else if !ok || d == nil || d.Disabled {
		return wrong
	}
	hash, err := s.db.hashPassword(ctx, new)
	if err != nil {
		return err
	}
	keep := secretKey(keepSession)
	return s.db.update(ctx, "change password", func(tx *bbolt.Tx) error {
		cur, err := getUser(tx, d.Username)
		if err != nil {
			return err
		}
		// A password changed (or an account disabled) since old was
		// checked makes old stale.
		if cur.PasswordHash != d.PasswordHash || cur.Disabled {
			return wrong
		}
		cur.PasswordHash = hash
		if err := putUser(tx, cur); err != nil {
			return err
		}
		_, err = deleteUserSessions(tx, cur.Username, keep)
		return err
	})
}

// SetDisabled disables or enables an account. Disabling ends its sessions;
// its tokens stay stored but FindToken refuses them while it is disabled.
func (s *UserService) SetDisabled(ctx context.Context, username string, disabled bool) error {
	return s.db.update(ctx, "set disabled", func(tx *bbolt.Tx) error {
		d, err := getUser(tx, normalizeUsername(username))
		if err != nil {
			return err
		}
		d.Disabled = disabled
		if err := putUser(tx, d); err != nil {
			return err
		}
		if disabled {
			_, err = deleteUserSessions(tx, d.Username, nil)
		}
		return err
	})
}

package store

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
)

// DefaultMaxHashes is how many password hashes a DB computes at once when
// Options.MaxHashes is zero. Each takes argonMemory KiB for about 50ms, so a
// burst of sign-ins queues instead of exhausting memory.
const DefaultMaxHashes = 2

// argonParams are the Argon2id parameters of one password hash. New hashes
// use the DB's; a stored hash carries its own, so they can change later
// without invalidating the stored ones.
type argonParams struct {
	memory  uint32 // KiB
	time    uint32 // iterations
	threads uint8
	saltLen int
	keyLen  uint32
}

// defaultArgon is OWASP's first Argon2id choice: 19 MiB, 2 iterations, 1 lane.
var defaultArgon = argonParams{memory: 19 * 1024, time: 2, threads: 1, saltLen: 16, keyLen: 32}

// Bounds on the parameters a stored hash may ask for, so that a damaged
// record cannot make a sign-in allocate gigabytes or spin for minutes.
const (
	maxArgonMemory  = 1 << 21 // KiB: 2 GiB
	maxArgonTime    = 64
	maxArgonThreads = 64
)

// phc is the unpadded standard base64 of the PHC string format.
var phc = base64.RawStdEncoding

// passwordHash is a parsed "$argon2id$v=19$m=..,t=..,p=..$salt$key" string.
type passwordHash struct {
	params argonParams
	salt   []byte
	key    []byte
}

func (h passwordHash) String() string {
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version,
		h.params.memory, h.params.time, h.params.threads, phc.EncodeToString(h.salt), phc.EncodeToString(h.key))
}

// parsePasswordHash reads a stored hash and checks its parameters' bounds.
func parsePasswordHash(s string) (passwordHash, error) {
	var h passwordHash
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return h, errors.New("not an argon2id hash")
	}
	if parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return h, fmt.Errorf("argon2 version %q", parts[2])
	}
	fields := strings.Split(parts[3], ",")
	if len(fields) != 3 {
		return h, fmt.Errorf("argon2 parameters %q", parts[3])
	}
	var vals [3]uint64
	for i, name := range []string{"m", "t", "p"} {
		v, ok := strings.CutPrefix(fields[i], name+"=")
		n, err := strconv.ParseUint(v, 10, 32)
		if !ok || err != nil {
			return h, fmt.Errorf("argon2 parameters %q", parts[3])
		}
		vals[i] = n
	}
	h.params = argonParams{memory: uint32(vals[0]), time: uint32(vals[1]), threads: uint8(vals[2])}
	if vals[0] > maxArgonMemory || vals[1] < 1 || vals[1] > maxArgonTime ||
		vals[2] < 1 || vals[2] > maxArgonThreads || vals[0] < 8*vals[2] {
		return h, fmt.Errorf("argon2 parameters %q out of bounds", parts[3])
	}
	var err error
	if h.salt, err = phc.DecodeString(parts[4]); err != nil || len(h.salt) < 8 || len(h.salt) > 64 {
		return h, errors.New("argon2 salt malformed")
	}
	if h.key, err = phc.DecodeString(parts[5]); err != nil || len(h.key) < 16 || len(h.key) > 128 {
		return h, errors.New("argon2 key malformed")
	}
	h.params.saltLen, h.params.keyLen = len(h.salt), uint32(len(h.key))
	return h, nil
}

// acquireHash waits for one of the DB's hash slots, or for ctx.
func (db *DB) acquireHash(ctx context.Context) (release func(), err error) {
	select {
	case db.hashSem <- struct{}{}:
		return func() { <-db.hashSem }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// hashPassword returns the PHC string of a new hash of password with the
// DB's parameters and a fresh salt. It runs outside any transaction.
func (db *DB) hashPassword(ctx context.Context, password string) (string, error) {
	release, err := db.acquireHash(ctx)
	if err != nil {
		return "", err
	}
	defer release()
	h := passwordHash{params: db.argon, salt: make([]byte, db.argon.saltLen)}
	rand.Read(h.salt)
	h.key = argon2.IDKey([]byte(password), h.salt, h.params.time, h.params.memory, h.params.threads, h.params.keyLen)
	return h.String(), nil
}

// checkPassword reports whether password matches the stored hash, in time
// that depends on the hash's parameters but not on where the bytes differ.
func (db *DB) checkPassword(ctx context.Context, stored, password string) (bool, error) {
	h, err := parsePasswordHash(stored)
	if err != nil {
		return false, fmt.Errorf("store: stored password hash: %w", err)
	}
	release, err := db.acquireHash(ctx)
	if err != nil {
		return false, err
	}
	defer release()
	key := argon2.IDKey([]byte(password), h.salt, h.params.time, h.params.memory, h.params.threads, h.params.keyLen)
	return subtle.ConstantTimeCompare(key, h.key) == 1, nil
}

// dummyPasswordHash is a well-formed hash that no password matches in
// practice: random salt, random key. Checking a password against it costs one
// hash with p, which is what Authenticate spends on an unknown name.
func dummyPasswordHash(p argonParams) string {
	h := passwordHash{params: p, salt: make([]byte, p.saltLen), key: make([]byte, p.keyLen)}
	rand.Read(h.salt)
	rand.Read(h.key)
	return h.String()
}

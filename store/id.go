package store

import (
	"crypto/rand"
	"encoding/base32"
	"encoding/binary"
	"fmt"
	"time"

	"go.etcd.io/bbolt"
)

// An id is 8 bytes of big-endian unix nanoseconds followed by 8 random bytes,
// in lower-case base32hex without padding. That alphabet sorts like the bytes
// it encodes, so ids sort by creation time as strings and as bbolt keys, and
// the random half makes them unguessable.
const idLen = 26

var idEncoding = base32.NewEncoding("0123456789abcdefghijklmnopqrstuv").WithPadding(base32.NoPadding)

// newID returns a fresh id and the creation time it encodes. The time is
// forced past the newest id made or stored, so ids keep their order when two
// fall in the same nanosecond or the clock steps back.
func (db *DB) newID() (string, time.Time) {
	db.idMu.Lock()
	n := db.now().UnixNano()
	if n <= db.lastID {
		n = db.lastID + 1
	}
	db.lastID = n
	db.idMu.Unlock()

	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(n))
	rand.Read(b[8:]) // never fails; it crashes the program instead
	return idEncoding.EncodeToString(b[:]), time.Unix(0, n).UTC()
}

// loadLastID starts the id clock at the newest stored id.
func (db *DB) loadLastID() error {
	return db.viewTx(func(tx *bbolt.Tx) error {
		k, _ := tx.Bucket(imagesBucket).Cursor().Last()
		if k == nil {
			return nil
		}
		if !validID(string(k)) {
			return fmt.Errorf("store: malformed image key %q", k)
		}
		b, _ := idEncoding.DecodeString(string(k))
		db.lastID = int64(binary.BigEndian.Uint64(b[:8]))
		return nil
	})
}

// validID reports whether s is an id this package could have made, without
// allocating: the right length, the alphabet, and zero in the two bits past
// the 128 encoded (26*5 = 130), so that every id has one spelling.
func validID(s string) bool {
	if len(s) != idLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		var v byte
		switch {
		case '0' <= c && c <= '9':
			v = c - '0'
		case 'a' <= c && c <= 'v':
			v = c - 'a' + 10
		default:
			return false
		}
		if i == idLen-1 && v&3 != 0 {
			return false
		}
	}
	return true
}

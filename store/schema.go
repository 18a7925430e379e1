package store

import (
	"encoding/binary"
	"fmt"

	"go.etcd.io/bbolt"
)

// SchemaVersion is the version of the stored data this build reads and
// writes. A change to stored data raises it and appends a migration.
const SchemaVersion = 4

// Buckets.
var (
	// metaBucket holds store-wide values: the schema version, the write
	// sequence and whether ownerless images have been given to an admin.
	metaBucket = []byte("meta")
	// imagesBucket maps an image id to its JSON document.
	imagesBucket = []byte("images")
	// shaBucket maps sha256 + "\x00" + owner to the id of that owner's image
	// with those bytes: the duplicate check and the blob reference count.
	shaBucket = []byte("image_sha")
	// tagBucket holds lower(tag) + "\x00" + id, with empty values.
	tagBucket = []byte("image_tags")
	// thumbRefBucket holds thumbnail sha256 + "\x00" + image id, with empty
	// values: the references to thumbnail bytes, beside shaBucket's to
	// originals, so that a blob is kept while either refers to it.
	thumbRefBucket = []byte("image_thumbs")

	// usersBucket maps a username to its JSON account, password hash included.
	usersBucket = []byte("users")
	// sessionsBucket maps sha256(session token) to its JSON session.
	sessionsBucket = []byte("sessions")
	// userSessionsBucket holds username + "\x00" + sha256(token), with
	// empty values: a user's sessions, to end them all at once.
	userSessionsBucket = []byte("user_sessions")
	// tokensBucket maps sha256(token secret) to its JSON token.
	tokensBucket = []byte("tokens")
	// userTokensBucket maps username + "\x00" + token id to sha256(secret).
	userTokensBucket = []byte("user_tokens")
)

var (
	schemaVersionKey = []byte("schema_version")
	// writeSeqKey counts the image writes; see DB.WriteSeq.
	writeSeqKey = []byte("write_seq")
	// adoptedKey is set once the ownerless images went to the first admin.
	adoptedKey = []byte("owners_adopted")
	// thumblessKey counts the writes of documents without thumbnails, and
	// mediaDoneKey holds its value when the media migration last went
	// through every image; see DB.MediaPending.
	thumblessKey = []byte("thumbless_writes")
	mediaDoneKey = []byte("media_done_at")
)

// migrations[v] upgrades stored data from version v to v+1 inside one write
// transaction, which also records v+1. Version 0 is a new, empty file. Append
// here; never edit a migration that has shipped.
var migrations = []func(tx *bbolt.Tx) error{
	0: func(tx *bbolt.Tx) error {
		for _, name := range [][]byte{metaBucket, imagesBucket, shaBucket, tagBucket} {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		return nil
	},
	// 2: accounts, sessions and API tokens. Handing ownerless images to the
	// first admin is not a step here: at this point no account exists yet
	// (see adoptAtStart).
	1: func(tx *bbolt.Tx) error {
		for _, name := range [][]byte{usersBucket, sessionsBucket, userSessionsBucket, tokensBucket, userTokensBucket} {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		return nil
	},
	// 3: thumbnail references. Documents from before keep no thumbnails and
	// are served from their originals; they need no rewrite.
	2: func(tx *bbolt.Tx) error {
		_, err := tx.CreateBucketIfNotExists(thumbRefBucket)
		return err
	},
	// 4: the image count and byte total kept beside the documents (see
	// imageStatsKey), counted once from them here.
	3: func(tx *bbolt.Tx) error {
		images, bytes, err := countImages(tx)
		if err != nil {
			return err
		}
		return putImageStats(tx, images, bytes)
	},
}

func init() {
	if len(migrations) != SchemaVersion {
		panic("store: SchemaVersion and the migrations disagree")
	}
}

// migrate brings the file up to SchemaVersion, one version per transaction,
// and refuses a file written by a newer build.
func (db *DB) migrate() error {
	var v uint64
	if err := db.viewTx(func(tx *bbolt.Tx) error {
		v = schemaVersion(tx)
		return nil
	}); err != nil {
		return fmt.Errorf("store: read schema version: %w", err)
	}
	if v > SchemaVersion {
		return fmt.Errorf("data dir %q holds schema version %d, newer than this imagerepo understands (%d): run a newer release", db.dir, v, SchemaVersion)
	}
	fresh := v == 0 // a new file is built up silently
	for ; v < SchemaVersion; v++ {
		if !fresh {
			db.log.Info("store: migrating", "from", v, "to", v+1)
		}
		err := db.updateTx(func(tx *bbolt.Tx) error {
			if err := migrations[v](tx); err != nil {
				return err
			}
			return putSchemaVersion(tx, v+1)
		})
		if err != nil {
			return fmt.Errorf("store: migrate schema %d to %d: %w", v, v+1, err)
		}
	}
	return nil
}

// schemaVersion is 0 for a file no migration has touched.
func schemaVersion(tx *bbolt.Tx) uint64 {
	b := tx.Bucket(metaBucket)
	if b == nil {
		return 0
	}
	v := b.Get(schemaVersionKey)
	if len(v) != 8 {
		return 0
	}
	return binary.BigEndian.Uint64(v)
}

func putSchemaVersion(tx *bbolt.Tx, v uint64) error {
	b, err := tx.CreateBucketIfNotExists(metaBucket)
	if err != nil {
		return err
	}
	return b.Put(schemaVersionKey, binary.BigEndian.AppendUint64(nil, v))
}

package store

import (
	"encoding/binary"
	"fmt"

	"go.etcd.io/bbolt"
)

// WriteSeq returns the number of image document writes ever committed to
// this data dir, for a derived index to check at start that it has seen them
// all. It counts one per committed CreateImage that stored a new image (not a
// duplicate), one per committed UpdateImage, one per committed DeleteImage,
// and one per image whose owner was rewritten when ownerless images were
// given to the first admin (by CreateFirstAdmin, by CreateUser making the
// first admin, or at Open). A write that fails or is rolled back counts
// nothing. It is 0 in a new data dir and in one migrated from schema 1.
func (db *DB) WriteSeq() (uint64, error) {
	leave, err := db.enter()
	if err != nil {
		return 0, err
	}
	defer leave()
	var n uint64
	err = db.viewTx(func(tx *bbolt.Tx) error {
		n = writeSeq(tx)
		return nil
	})
	return n, err
}

func writeSeq(tx *bbolt.Tx) uint64 {
	v := tx.Bucket(metaBucket).Get(writeSeqKey)
	if len(v) != 8 {
		return 0
	}
	return binary.BigEndian.Uint64(v)
}

// bumpWriteSeq adds n image writes to the sequence, in the transaction that
// makes them.
func bumpWriteSeq(tx *bbolt.Tx, n uint64) error {
	if err := tx.Bucket(metaBucket).Put(writeSeqKey, binary.BigEndian.AppendUint64(nil, writeSeq(tx)+n)); err != nil {
		return fmt.Errorf("store: write sequence: %w", err)
	}
	return nil
}

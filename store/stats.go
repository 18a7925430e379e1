package store

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"

	"go.etcd.io/bbolt"
)

// imageStatsKey holds, in the meta bucket, the number of image documents and
// the sum of their originals' sizes: 16 bytes, two big-endian uint64. Every
// create and delete changes it in the transaction that writes the document,
// so it always agrees with the documents, and reading it costs one Get
// however many images there are.
var imageStatsKey = []byte("image_stats")

// ImageStats returns the number of image documents and the sum of their
// originals' sizes in bytes (identical bytes of two owners count twice,
// though they are kept once on disk).
func (db *DB) ImageStats(ctx context.Context) (images, bytes uint64, err error) {
	err = db.view(ctx, func(tx *bbolt.Tx) error {
		images, bytes = imageStats(tx)
		return nil
	})
	return images, bytes, err
}

// Ping answers when the store answers: it runs one read transaction, and
// fails once writes are stopped (see stopWrites). It is the health check.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.writesStopped.Load(); err != nil {
		return *err
	}
	return db.view(ctx, func(tx *bbolt.Tx) error {
		if tx.Bucket(metaBucket) == nil {
			return errors.New("store: meta bucket is missing")
		}
		return nil
	})
}

func imageStats(tx *bbolt.Tx) (images, bytes uint64) {
	v := tx.Bucket(metaBucket).Get(imageStatsKey)
	if len(v) != 16 {
		return 0, 0
	}
	return binary.BigEndian.Uint64(v), binary.BigEndian.Uint64(v[8:])
}

// addImageStats counts one image document of size bytes in (n = 1) or out
// (n = -1), in the transaction that writes or deletes it.
func addImageStats(tx *bbolt.Tx, n int, size int64) error {
	images, bytes := imageStats(tx)
	images += uint64(n)
	bytes += uint64(int64(n) * size)
	return putImageStats(tx, images, bytes)
}

// countImages computes the stats from the documents, for the schema 4
// migration.
func countImages(tx *bbolt.Tx) (images, bytes uint64, err error) {
	err = tx.Bucket(imagesBucket).ForEach(func(k, _ []byte) error {
		img, err := getImage(tx, string(k))
		if err != nil {
			return nil // undecodable: Verify reports it, and counts it out too
		}
		images++
		bytes += uint64(img.Bytes)
		return nil
	})
	return images, bytes, err
}

func putImageStats(tx *bbolt.Tx, images, bytes uint64) error {
	v := binary.BigEndian.AppendUint64(binary.BigEndian.AppendUint64(make([]byte, 0, 16), images), bytes)
	if err := tx.Bucket(metaBucket).Put(imageStatsKey, v); err != nil {
		return fmt.Errorf("store: image stats: %w", err)
	}
	return nil
}

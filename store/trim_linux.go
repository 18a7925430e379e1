//go:build linux

package store

import (
	"syscall"
	"unsafe"

	"go.etcd.io/bbolt"
)

// TrimMapped tells the kernel that this process no longer needs the pages
// of the bbolt file it has read (madvise MADV_DONTNEED on the memory map).
// Those pages are page cache: they stay cached for other readers and come
// back on the next touch with a minor fault, but they stop counting in the
// process's RSS, which otherwise grows towards the size of the file after a
// scan (the similar-image index load) or a walk over many ids.
//
// It runs inside a read transaction, whose hold on bbolt's mmap lock keeps
// the map from being replaced meanwhile.
func (db *DB) TrimMapped() error {
	leave, err := db.enter()
	if err != nil {
		return err
	}
	defer leave()
	return db.viewTx(trimMap)
}

// trimMap is TrimMapped inside the read transaction tx, for a scan that
// trims as it goes.
func trimMap(tx *bbolt.Tx) error {
	// Any value read in a read transaction points into the map; its
	// distance from the map's start gives the start as a pointer.
	v := tx.Bucket(metaBucket).Get(schemaVersionKey)
	if len(v) == 0 {
		return nil
	}
	p := unsafe.Pointer(unsafe.SliceData(v))
	start := unsafe.Add(p, -int(uintptr(p)-tx.DB().Info().Data))
	return syscall.Madvise(unsafe.Slice((*byte)(start), int(tx.Size())), syscall.MADV_DONTNEED)
}

package store

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"go.etcd.io/bbolt"

	"imagerepo/gallery"
)

// sweep removes the blobs that no document refers to, left behind by an
// unclean stop between writing bytes and committing their document, or
// between committing a delete and removing the bytes. It runs in the
// background from Open and stops when ctx is cancelled.
//
// A blob is only removed under its sha lock, after a fresh look at the sha
// index, so an upload that lands while the sweep runs is safe; the
// modification time check keeps the sweep off anything written since Open
// on top of that.
func (db *DB) sweep(ctx context.Context) {
	defer close(db.sweepDone)
	start := time.Now()
	db.log.Info("store: sweeping unreferenced blobs after an unclean stop", "dir", db.blobDir)

	var scanned, removed, failed int
	err := db.walkBlobs(ctx, func(sha string, info fs.FileInfo) error {
		scanned++
		if !info.ModTime().Before(db.openedAt) {
			return nil
		}
		ok, err := db.sweepOne(sha)
		if err != nil {
			failed++
			db.log.Warn("store: sweep could not remove a blob", "sha256", sha, "err", err)
		} else if ok {
			removed++
		}
		return nil
	})
	if err == nil && failed > 0 {
		err = errors.New("some blobs could not be removed")
	}
	if err != nil {
		// Keeping the marker makes the next start sweep again.
		db.log.Warn("store: sweep stopped; it runs again at the next start",
			"scanned", scanned, "removed", removed, "failed", failed, "err", err)
		return
	}
	db.sweepEnded = true
	db.log.Info("store: sweep done", "scanned", scanned, "removed", removed, "took", time.Since(start).Round(time.Millisecond))
}

// sweepOne removes the blob when nothing refers to it and reports whether it did.
func (db *DB) sweepOne(sha string) (bool, error) {
	unlock := db.lockSHA(sha)
	defer unlock()
	var referenced bool
	if err := db.viewTx(func(tx *bbolt.Tx) error {
		referenced = shaReferenced(tx, sha)
		return nil
	}); err != nil {
		return false, err
	}
	if referenced {
		return false, nil
	}
	if err := db.removeBlob(sha); err != nil {
		return false, err
	}
	return true, nil
}

// walkBlobs calls fn for every blob file, shard by shard, and skips anything
// that is not named like one (the temp folder, stray files). It returns
// ctx's error when cancelled.
func (db *DB) walkBlobs(ctx context.Context, fn func(sha string, info fs.FileInfo) error) error {
	shards, err := os.ReadDir(db.blobDir)
	if err != nil {
		return err
	}
	for _, shard := range shards {
		if !shard.IsDir() || !isShardName(shard.Name()) {
			continue
		}
		entries, err := os.ReadDir(filepath.Join(db.blobDir, shard.Name()))
		if err != nil {
			return err
		}
		for _, e := range entries {
			if err := ctx.Err(); err != nil {
				return err
			}
			sha := e.Name()
			if !e.Type().IsRegular() || !gallery.ValidSHA256(sha) || sha[:2] != shard.Name() {
				continue
			}
			info, err := e.Info()
			if errors.Is(err, fs.ErrNotExist) {
				continue // deleted since the directory was read
			} else if err != nil {
				return err
			}
			if err := fn(sha, info); err != nil {
				return err
			}
		}
	}
	return nil
}

// isShardName reports whether name is two lower-case hex digits.
func isShardName(name string) bool {
	return len(name) == 2 && isHex(name[0]) && isHex(name[1])
}

func isHex(c byte) bool { return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' }

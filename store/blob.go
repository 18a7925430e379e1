package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	"imagerepo/gallery"
)

// blobPath is where the bytes with hex sha256 sha live: sharded by the first
// byte so that no directory grows past a few thousand entries per million.
func (db *DB) blobPath(sha string) string {
	return filepath.Join(db.blobDir, sha[:2], sha)
}

// lockSHA takes the lock that serialises every create, delete and sweep of
// the bytes with hex sha256 sha, and returns its unlock. Callers that also
// enter the gate do so first.
func (db *DB) lockSHA(sha string) (unlock func()) {
	m := &db.shaLocks[hexNibble(sha[0])<<4|hexNibble(sha[1])]
	m.Lock()
	return m.Unlock
}

// lockSHAs takes the locks of every sha given, each shard's once and in
// ascending order, so that two callers locking overlapping sets cannot
// deadlock (Verify takes them all in the same order).
func (db *DB) lockSHAs(shas ...string) (unlock func()) {
	var held [256]bool
	for _, sha := range shas {
		held[hexNibble(sha[0])<<4|hexNibble(sha[1])] = true
	}
	for i := range held {
		if held[i] {
			db.shaLocks[i].Lock()
		}
	}
	return func() {
		for i := range held {
			if held[i] {
				db.shaLocks[i].Unlock()
			}
		}
	}
}

func hexNibble(c byte) byte {
	if c >= 'a' {
		return c - 'a' + 10
	}
	return c - '0'
}

// tempBlob is an upload streamed into blobs/tmp, with its hash and length.
type tempBlob struct {
	f     *os.File
	sha   string
	bytes int64
}

// writeTemp streams body into a new temp file, hashing and counting as it
// goes. It stops when ctx is done. On error no temp file is left behind.
// Errors from body come back wrapped, so callers can still recognise them
// (a request body over its limit, say).
func (db *DB) writeTemp(ctx context.Context, body io.Reader) (_ *tempBlob, err error) {
	f, err := os.CreateTemp(db.tmpDir, "upload-*")
	if err != nil {
		return nil, storageErr("create temp file", err)
	}
	t := &tempBlob{f: f}
	defer func() {
		if err != nil {
			t.discard()
		}
	}()

	h := sha256.New()
	buf := make([]byte, 256<<10)
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		n, rerr := body.Read(buf)
		if n > 0 {
			if err := failpoint(fpBlobWrite); err != nil {
				return nil, storageErr("write temp file", err)
			}
			if _, err := f.Write(buf[:n]); err != nil {
				return nil, storageErr("write temp file", err)
			}
			h.Write(buf[:n])
			t.bytes += int64(n)
		}
		if rerr == io.EOF {
			break
		} else if rerr != nil {
			return nil, fmt.Errorf("store: read upload: %w", rerr)
		}
	}
	t.sha = hex.EncodeToString(h.Sum(nil))
	return t, nil
}

// discard closes and removes the temp file; safe to call more than once.
func (t *tempBlob) discard() {
	if t.f == nil {
		return
	}
	_ = t.f.Close()
	_ = os.Remove(t.f.Name())
	t.f = nil
}

// install makes the temp file the durable blob for its sha, unless an
// intact blob with that sha is already there, in which case the temp file
// is dropped. A stored blob that is damaged (not those bytes any more) is
// replaced: uploading the same bytes again heals it. It
// reports whether it put bytes in place. The caller holds the sha lock.
func (db *DB) install(t *tempBlob) (installed bool, err error) {
	defer t.discard()
	path := db.blobPath(t.sha)
	exists, intact, err := blobState(path, t.sha, t.bytes)
	if err != nil || intact {
		return false, err
	}

	shard := filepath.Dir(path)
	if err := os.Mkdir(shard, 0o750); err == nil {
		if err := syncDir(db.blobDir); err != nil {
			return false, storageErr("sync blob dir", err)
		}
	} else if !errors.Is(err, fs.ErrExist) {
		return false, storageErr("create blob shard", err)
	}
	if err := failpoint(fpBlobSync); err != nil {
		return false, storageErr("sync temp file", err)
	}
	if err := t.f.Sync(); err != nil {
		return false, storageErr("sync temp file", err)
	}
	if err := t.f.Close(); err != nil {
		return false, storageErr("close temp file", err)
	}
	if err := failpoint(fpBlobRename); err != nil {
		return false, storageErr("rename blob", err)
	}
	if err := os.Rename(t.f.Name(), path); err != nil {
		return false, storageErr("rename blob", err)
	}
	t.f = nil
	err = failpoint(fpBlobDirSync)
	if err == nil {
		err = syncDir(shard)
	}
	if err != nil {
		if !exists { // else a document refers to path, and these bytes are right
			_ = os.Remove(path)
		}
		return false, storageErr("sync blob shard", err)
	}
	return true, nil
}

// blobState reports whether there is a file at path, and whether it is
// intact: size bytes whose sha256 is sha. A file it cannot open or read,
// but for a missing one, is an error, not damage: the cause may be the
// system's (too many open files, a disk error) rather than the bytes', and
// they are not replaced on a guess.
func blobState(path, sha string, size int64) (exists, intact bool, err error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, false, nil
	} else if err != nil {
		return false, false, fmt.Errorf("store: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return true, false, fmt.Errorf("store: %w", err)
	} else if fi.Size() != size {
		return true, false, nil
	}
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return true, false, fmt.Errorf("store: read %s: %w", path, err)
	}
	return true, hex.EncodeToString(h.Sum(nil)) == sha, nil
}

// removeBlob deletes the bytes with that sha durably. The caller holds the
// sha lock and has made sure no document refers to them. While a backup
// runs the removal is only noted, and done when the backup ends.
func (db *DB) removeBlob(sha string) error {
	if db.hold.deferRemoval(sha) {
		return nil
	}
	path := db.blobPath(sha)
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return syncDir(filepath.Dir(path))
}

// storageErr turns a full disk into the error a client can act on and keeps
// every other failure internal.
func storageErr(op string, err error) error {
	var e *gallery.Error
	if errors.As(err, &e) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	if errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT) {
		return gallery.Errorf(gallery.EINSUFFICIENTSTORAGE, "The server has no room left to store this image.")
	}
	return fmt.Errorf("store: %s: %w", op, err)
}

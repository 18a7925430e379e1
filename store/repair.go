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

	"go.etcd.io/bbolt"

	"imagerepo/gallery"
)

// hashChunk is how many bytes Check hashes between two progress calls.
const hashChunk = 4 << 20

// hashBlob reads the blob named sha and returns the sha256 of what it
// holds, or a description of why it could not be read (which never equals
// a sha).
func (v *verifier) hashBlob(sha string) string {
	f, err := os.Open(v.db.blobPath(sha))
	if err != nil {
		return fmt.Sprintf("(unreadable: %v)", err)
	}
	defer f.Close()
	h := sha256.New()
	for {
		n, err := io.CopyN(h, f, hashChunk)
		v.done += n
		v.progress(v.done, v.total)
		if err == io.EOF {
			break
		} else if err != nil {
			return fmt.Sprintf("(unreadable: %v)", err)
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

// referencedBytes adds up the sizes the documents give their blobs, each
// blob once: the work of a hashing Check.
func referencedBytes(tx *bbolt.Tx) int64 {
	seen := map[string]bool{}
	var total int64
	c := tx.Bucket(imagesBucket).Cursor()
	for k, _ := c.First(); k != nil; k, _ = c.Next() {
		img, err := getImage(tx, string(k))
		if err != nil {
			continue // Check reports it
		}
		add := func(sha string, n int64) {
			if !seen[sha] {
				seen[sha] = true
				total += n
			}
		}
		add(img.SHA256, img.Bytes)
		for _, t := range img.Thumbs {
			add(t.SHA256, t.Bytes)
		}
	}
	return total
}

// RemoveOrphans removes those of the blobs with these shas that no
// document refers to, each after a fresh look under its lock, and returns
// how many it removed. It is the repair of the orphans Check reports.
func (db *DB) RemoveOrphans(ctx context.Context, shas []string) (int, error) {
	leave, err := db.enter()
	if err != nil {
		return 0, err
	}
	defer leave()
	removed := 0
	for _, sha := range shas {
		if err := ctx.Err(); err != nil {
			return removed, err
		}
		if !gallery.ValidSHA256(sha) {
			continue
		}
		ok, err := db.sweepOne(sha)
		if err != nil {
			return removed, fmt.Errorf("store: remove blob %s: %w", sha, err)
		} else if ok {
			removed++
		}
	}
	return removed, nil
}

// DiscardCorrupt removes those of the blobs with these shas whose bytes
// were read whole and do not hash to their name (rehashed under the sha
// lock), so that what refers to them can be written again: a thumbnail
// remade from its original lands in the place the corrupt bytes held. It
// returns the shas it removed. A blob that is some image's original is
// never removed, even when the caller knows it only as a thumbnail (an
// upload of another image's thumbnail or copy without location has the
// same bytes): corrupt bytes are still the only copy of that image there
// is. A blob that cannot be read is left too: the fault may be passing.
func (db *DB) DiscardCorrupt(ctx context.Context, shas []string) ([]string, error) {
	leave, err := db.enter()
	if err != nil {
		return nil, err
	}
	defer leave()
	var removed []string
	for _, sha := range shas {
		if err := ctx.Err(); err != nil {
			return removed, err
		}
		if !gallery.ValidSHA256(sha) {
			continue
		}
		ok, err := db.discardOne(sha)
		if err != nil {
			return removed, fmt.Errorf("store: discard blob %s: %w", sha, err)
		} else if ok {
			removed = append(removed, sha)
		}
	}
	return removed, nil
}

func (db *DB) discardOne(sha string) (bool, error) {
	unlock := db.lockSHA(sha)
	defer unlock()
	var original bool
	if err := db.viewTx(func(tx *bbolt.Tx) error {
		original = isOriginal(tx, sha)
		return nil
	}); err != nil || original {
		return false, err
	}
	f, err := os.Open(db.blobPath(sha))
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	} else if err != nil {
		return false, err
	}
	h := sha256.New()
	_, err = io.Copy(h, f)
	f.Close()
	if err != nil || hex.EncodeToString(h.Sum(nil)) == sha {
		return false, err
	}
	return true, db.removeBlob(sha)
}

package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"

	"go.etcd.io/bbolt"

	"imagerepo/gallery"
)

// maxProblems caps Verify's report; past it the data dir needs a restore,
// not a longer list.
const maxProblems = 100

// Verify checks the data directory's consistency and returns every problem
// found (up to a cap) joined in one error, nil when there is none: bbolt's
// own page check, the schema version, that every document's bytes exist with
// the right size (thumbnails' too), that the sha, thumbnail and tag indexes match the documents both
// ways, that every blob is referenced by some document, that every account
// is well formed, and that the session and token records and their per-user
// indexes match each other both ways and name existing accounts.
//
// It holds every sha lock and a write transaction while it runs, so it sees
// no create or delete half done, and blocks them until it returns.
func (db *DB) Verify(ctx context.Context) error {
	leave, err := db.enter()
	if err != nil {
		return err
	}
	defer leave()
	for i := range db.shaLocks {
		db.shaLocks[i].Lock()
		defer db.shaLocks[i].Unlock()
	}
	// bbolt's check is only safe beside other writers in a write transaction.
	tx, err := db.bolt.Begin(true)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }()

	v := &verifier{db: db, tx: tx, shas: map[string]bool{}}
	for err := range tx.Check() {
		v.problem("bbolt: %v", err)
	}
	if got := schemaVersion(tx); got != SchemaVersion {
		v.problem("schema version is %d, want %d", got, SchemaVersion)
	}
	for _, step := range []func(context.Context) error{
		v.images, v.imageStats, v.shaIndex, v.thumbIndex, v.tagIndex, v.blobs,
		v.users, v.sessions, v.sessionIndex, v.tokens, v.tokenIndex,
	} {
		if err := step(ctx); err != nil {
			return err
		}
	}
	if v.more > 0 {
		v.problem("and %d more problems", v.more)
	}
	return errors.Join(v.problems...)
}

type verifier struct {
	db       *DB
	tx       *bbolt.Tx
	shas     map[string]bool // referenced by some document
	problems []error
	more     int

	count, bytes uint64 // of the documents, for imageStats
}

func (v *verifier) problem(format string, args ...any) {
	if len(v.problems) >= maxProblems {
		v.more++
		return
	}
	v.problems = append(v.problems, fmt.Errorf(format, args...))
}

func (v *verifier) images(ctx context.Context) error {
	c := v.tx.Bucket(imagesBucket).Cursor()
	n := 0
	for k, _ := c.First(); k != nil; k, _ = c.Next() {
		if n++; n%1024 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		id := string(k)
		img, err := getImage(v.tx, id)
		if err != nil {
			v.problem("image %q: %v", id, err)
			continue
		}
		v.count++
		v.bytes += uint64(img.Bytes)
		if !validID(id) || img.ID != id {
			v.problem("image %q: malformed key or id %q", id, img.ID)
		}
		if !gallery.ValidSHA256(img.SHA256) {
			v.problem("image %s: malformed sha256 %q", id, img.SHA256)
			continue
		}
		v.shas[img.SHA256] = true
		if info, err := os.Stat(v.db.blobPath(img.SHA256)); errors.Is(err, fs.ErrNotExist) {
			v.problem("image %s: bytes %s are missing", id, img.SHA256)
		} else if err != nil {
			v.problem("image %s: %v", id, err)
		} else if info.Size() != img.Bytes {
			v.problem("image %s: bytes %s hold %d bytes, the document says %d", id, img.SHA256, info.Size(), img.Bytes)
		}
		for _, t := range img.Thumbs {
			v.thumb(id, t)
		}
		if got := v.tx.Bucket(shaBucket).Get(shaKey(img.SHA256, img.Owner)); string(got) != id {
			v.problem("image %s: sha index has %q", id, got)
		}
		for _, t := range img.Tags {
			if v.tx.Bucket(tagBucket).Get(tagKey(t, id)) == nil {
				v.problem("image %s: tag %q is not indexed", id, t)
			}
		}
	}
	return nil
}

// imageStats checks the kept image count and byte total against the
// documents.
func (v *verifier) imageStats(context.Context) error {
	if images, bytes := imageStats(v.tx); images != v.count || bytes != v.bytes {
		v.problem("image stats say %d images of %d bytes, the documents %d of %d", images, bytes, v.count, v.bytes)
	}
	return nil
}

// thumb checks one thumbnail of image id: its bytes and its reference.
func (v *verifier) thumb(id string, t gallery.Thumb) {
	if !gallery.ValidSHA256(t.SHA256) {
		v.problem("image %s: %s thumbnail has a malformed sha256 %q", id, t.Size, t.SHA256)
		return
	}
	v.shas[t.SHA256] = true
	if info, err := os.Stat(v.db.blobPath(t.SHA256)); errors.Is(err, fs.ErrNotExist) {
		v.problem("image %s: %s thumbnail bytes %s are missing", id, t.Size, t.SHA256)
	} else if err != nil {
		v.problem("image %s: %v", id, err)
	} else if info.Size() != t.Bytes {
		v.problem("image %s: %s thumbnail %s holds %d bytes, the document says %d", id, t.Size, t.SHA256, info.Size(), t.Bytes)
	}
	if v.tx.Bucket(thumbRefBucket).Get(thumbRefKey(t.SHA256, id)) == nil {
		v.problem("image %s: %s thumbnail %s is not indexed", id, t.Size, t.SHA256)
	}
}

// thumbIndex checks that every thumbnail reference names an image that has
// that thumbnail.
func (v *verifier) thumbIndex(ctx context.Context) error {
	c := v.tx.Bucket(thumbRefBucket).Cursor()
	for k, _ := c.First(); k != nil; k, _ = c.Next() {
		if len(k) != 65+idLen || k[64] != 0 {
			v.problem("thumbnail index: malformed key %q", k)
			continue
		}
		sha, id := string(k[:64]), string(k[65:])
		img, err := getImage(v.tx, id)
		if err != nil {
			v.problem("thumbnail index %s: image %s: %v", sha, id, err)
			continue
		}
		if !slices.ContainsFunc(img.Thumbs, func(t gallery.Thumb) bool { return t.SHA256 == sha }) {
			v.problem("thumbnail index %s: image %s has no such thumbnail", sha, id)
		}
	}
	return ctx.Err()
}

func (v *verifier) shaIndex(ctx context.Context) error {
	c := v.tx.Bucket(shaBucket).Cursor()
	for k, val := c.First(); k != nil; k, val = c.Next() {
		if len(k) < 65 || k[64] != 0 {
			v.problem("sha index: malformed key %q", k)
			continue
		}
		img, err := getImage(v.tx, string(val))
		if err != nil {
			v.problem("sha index %q: image %q: %v", k, val, err)
		} else if img.SHA256 != string(k[:64]) || img.Owner != string(k[65:]) {
			v.problem("sha index %q: image %s has sha256 %s and owner %q", k, val, img.SHA256, img.Owner)
		}
	}
	return ctx.Err()
}

func (v *verifier) tagIndex(ctx context.Context) error {
	c := v.tx.Bucket(tagBucket).Cursor()
	for k, _ := c.First(); k != nil; k, _ = c.Next() {
		i := len(k) - idLen - 1
		if i < 0 || k[i] != 0 {
			v.problem("tag index: malformed key %q", k)
			continue
		}
		tag, id := string(k[:i]), string(k[i+1:])
		img, err := getImage(v.tx, id)
		if err != nil {
			v.problem("tag index %q: image %s: %v", tag, id, err)
			continue
		}
		found := false
		for _, t := range img.Tags {
			found = found || bytes.Equal(tagPrefix(t), k[:i+1])
		}
		if !found {
			v.problem("tag index %q: image %s does not have that tag", tag, id)
		}
	}
	return ctx.Err()
}

func (v *verifier) blobs(ctx context.Context) error {
	return v.db.walkBlobs(ctx, func(sha string, _ fs.FileInfo) error {
		if !v.shas[sha] {
			v.problem("blob %s is referenced by no image", sha)
		}
		return nil
	})
}

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
// indexes match each other both ways and name existing accounts. Check does
// the same and more (it can hash the bytes) and says what it found.
//
// It holds every sha lock and a write transaction while it runs, so it sees
// no create or delete half done, and blocks them until it returns.
func (db *DB) Verify(ctx context.Context) error {
	r, err := db.Check(ctx, CheckOptions{})
	if err != nil {
		return err
	}
	return r.Err()
}

// CheckOptions tunes Check.
type CheckOptions struct {
	// Hash reads every referenced blob and compares its sha256 with its
	// name, not only its size with the document.
	Hash bool
	// Progress, when set, is called now and then while Hash reads bytes:
	// bytes hashed so far of the total the documents name.
	Progress func(done, total int64)
}

// CheckReport is what Check found. Problems says it all in words (up to a
// cap); the lists name what a repair can act on, without a cap.
type CheckReport struct {
	Problems []error
	// Orphans are blobs that no document refers to.
	Orphans []string
	// BadOriginals are the ids of images whose original bytes are missing,
	// of the wrong size or (with Hash) corrupt: nothing here can remake them.
	BadOriginals []string
	// BadThumbs are the ids of images with a sound original but a
	// thumbnail whose bytes are missing, of the wrong size or corrupt.
	BadThumbs []string
	// Corrupt are the shas of blobs whose bytes are there but wrong.
	Corrupt []string
}

// Err joins the problems into one error, nil when there are none.
func (r *CheckReport) Err() error { return errors.Join(r.Problems...) }

// Check is Verify that says what it found. Problems with the data come back
// in the report; the error is for a check that could not run, such as one
// stopped by a page of the bbolt file that bbolt cannot read.
func (db *DB) Check(ctx context.Context, opts CheckOptions) (r *CheckReport, err error) {
	err = catchDamage(db.dbPath(), func() (err error) {
		r, err = db.check(ctx, opts)
		return err
	})
	return r, err
}

func (db *DB) check(ctx context.Context, opts CheckOptions) (*CheckReport, error) {
	leave, err := db.enter()
	if err != nil {
		return nil, err
	}
	defer leave()
	for i := range db.shaLocks {
		db.shaLocks[i].Lock()
		defer db.shaLocks[i].Unlock()
	}
	// bbolt's check is only safe beside other writers in a write
	// transaction; a read-only DB has none.
	tx, end, err := db.beginTx(!db.readOnly)
	if err != nil {
		return nil, err
	}
	defer end()

	v := &verifier{db: db, tx: tx, shas: map[string]bool{}, report: &CheckReport{}}
	if opts.Hash {
		v.hashed = map[string]string{}
		v.progress = opts.Progress
		if v.progress == nil {
			v.progress = func(int64, int64) {}
		}
		v.total = referencedBytes(tx)
		v.progress(0, v.total)
	}
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
			return nil, err
		}
	}
	if v.more > 0 {
		v.report.Problems = append(v.report.Problems, fmt.Errorf("and %d more problems", v.more))
	}
	if opts.Hash {
		v.progress(v.done, v.total)
	}
	return v.report, nil
}

type verifier struct {
	db     *DB
	tx     *bbolt.Tx
	shas   map[string]bool // referenced by some document
	report *CheckReport
	more   int

	count, bytes uint64 // of the documents, for imageStats

	// With CheckOptions.Hash: the sha256 found for each blob read, and
	// the bytes read of the total.
	hashed      map[string]string
	progress    func(done, total int64)
	done, total int64
}

func (v *verifier) problem(format string, args ...any) {
	if len(v.report.Problems) >= maxProblems {
		v.more++
		return
	}
	v.report.Problems = append(v.report.Problems, fmt.Errorf(format, args...))
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
		if !v.blob(id, "original", img.SHA256, img.Bytes) {
			v.report.BadOriginals = append(v.report.BadOriginals, id)
			// Its thumbnails are still its own, not blobs nobody refers to;
			// they are checked once the original is sound again.
			for _, t := range img.Thumbs {
				if gallery.ValidSHA256(t.SHA256) {
					v.shas[t.SHA256] = true
				}
			}
		} else {
			bad := false
			for _, t := range img.Thumbs {
				bad = !v.thumb(id, t) || bad
			}
			if bad {
				v.report.BadThumbs = append(v.report.BadThumbs, id)
			}
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

// thumb checks one thumbnail of image id: its bytes and its reference. It
// reports whether the bytes are sound.
func (v *verifier) thumb(id string, t gallery.Thumb) bool {
	if !gallery.ValidSHA256(t.SHA256) {
		v.problem("image %s: %s thumbnail has a malformed sha256 %q", id, t.Size, t.SHA256)
		return false
	}
	v.shas[t.SHA256] = true
	if v.tx.Bucket(thumbRefBucket).Get(thumbRefKey(t.SHA256, id)) == nil {
		v.problem("image %s: %s thumbnail %s is not indexed", id, t.Size, t.SHA256)
	}
	return v.blob(id, t.Size+" thumbnail", t.SHA256, t.Bytes)
}

// blob checks the bytes named sha that image id has as what: that they
// exist with the size the document says and, with Hash, that they hash to
// their name. It reports whether they are sound.
func (v *verifier) blob(id, what, sha string, size int64) bool {
	info, err := os.Stat(v.db.blobPath(sha))
	switch {
	case errors.Is(err, fs.ErrNotExist):
		v.problem("image %s: %s bytes %s are missing", id, what, sha)
		return false
	case err != nil:
		v.problem("image %s: %s: %v", id, what, err)
		return false
	case info.Size() != size:
		v.problem("image %s: %s bytes %s hold %d bytes, the document says %d", id, what, sha, info.Size(), size)
		v.corrupt(sha)
		return false
	}
	if v.hashed == nil {
		return true
	}
	got, seen := v.hashed[sha]
	if !seen {
		got = v.hashBlob(sha)
		v.hashed[sha] = got
	}
	if got != sha {
		v.problem("image %s: %s bytes %s are corrupt: they hash to %s", id, what, sha, got)
		if !seen {
			v.corrupt(sha)
		}
		return false
	}
	return true
}

func (v *verifier) corrupt(sha string) {
	if !slices.Contains(v.report.Corrupt, sha) {
		v.report.Corrupt = append(v.report.Corrupt, sha)
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
			v.report.Orphans = append(v.report.Orphans, sha)
		}
		return nil
	})
}

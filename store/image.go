package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strings"
	"time"

	"go.etcd.io/bbolt"

	"imagerepo/gallery"
)

var _ gallery.ImageService = (*ImageService)(nil)

// ImageService is the durable gallery.ImageService: documents in bbolt,
// bytes in the blob folder. Each method is one bbolt transaction.
type ImageService struct {
	db *DB
}

// NewImageService returns the image service of db.
func NewImageService(db *DB) *ImageService {
	return &ImageService{db: db}
}

// enterImage starts an operation on one image: a malformed id is
// ENOTFOUND, a cancelled ctx its error, and a closed DB an error; otherwise
// the caller must call leave when done.
func (s *ImageService) enterImage(ctx context.Context, id string) (leave func(), err error) {
	if !validID(id) {
		return nil, gallery.Errorf(gallery.ENOTFOUND, "image not found")
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return s.db.enter()
}

// FindImageByID returns the image with that id; ENOTFOUND when there is
// none, including for a malformed id.
func (s *ImageService) FindImageByID(ctx context.Context, id string) (*gallery.Image, error) {
	leave, err := s.enterImage(ctx, id)
	if err != nil {
		return nil, err
	}
	defer leave()

	var img *gallery.Image
	err = s.db.viewTx(func(tx *bbolt.Tx) (err error) {
		img, err = getImage(tx, id)
		return err
	})
	return img, err
}

// FindImages returns one page of images, newest first, and the cursor of the
// next page ("" on the last). The cursor is the id of the page's last image.
// Unless filter.All is set, only images filter.Viewer may see count: the scan
// goes on past the ones it may not, so a page is short only at the end.
func (s *ImageService) FindImages(ctx context.Context, filter gallery.ImageFilter) ([]*gallery.Image, string, error) {
	limit := filter.Limit
	if limit == 0 {
		limit = gallery.DefaultPageLimit
	} else if limit < 0 || limit > gallery.MaxPageLimit {
		return nil, "", gallery.Errorf(gallery.EINVALID, "limit must be between 1 and %d", gallery.MaxPageLimit)
	}
	if filter.Cursor != "" && !validID(filter.Cursor) {
		return nil, "", gallery.Errorf(gallery.EINVALID, "invalid cursor")
	}
	filter.SHA256 = strings.ToLower(filter.SHA256)
	if filter.SHA256 != "" && !gallery.ValidSHA256(filter.SHA256) {
		return nil, "", gallery.Errorf(gallery.EINVALID, "sha256 must be 64 hexadecimal digits")
	}
	filter.Tag = strings.ToLower(strings.TrimSpace(filter.Tag))
	if err := ctx.Err(); err != nil {
		return nil, "", err
	}
	leave, err := s.db.enter()
	if err != nil {
		return nil, "", err
	}
	defer leave()

	var imgs []*gallery.Image
	err = s.db.viewTx(func(tx *bbolt.Tx) (err error) {
		imgs, err = findImages(ctx, tx, filter, limit+1)
		return err
	})
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(imgs) > limit {
		imgs = imgs[:limit]
		next = imgs[limit-1].ID
	}
	return imgs, next, nil
}

// CreateImage streams body into the blob folder, writes the thumbnails
// beside it and stores the document; see gallery.ImageService. The caller's
// img is left as it was.
func (s *ImageService) CreateImage(ctx context.Context, img *gallery.Image, body io.Reader, thumbs ...gallery.ThumbData) (*gallery.Image, bool, error) {
	if img == nil {
		return nil, false, errors.New("store: CreateImage without an image")
	}
	img = img.Clone()
	if err := img.Validate(); err != nil {
		return nil, false, err
	}
	if err := checkThumbs(thumbs); err != nil {
		return nil, false, err
	}
	img.Thumbs = nil

	// The bytes travel before any lock is taken.
	t, err := s.db.writeTemp(ctx, body)
	if err != nil {
		return nil, false, err
	}
	defer t.discard()
	temps := []*tempBlob{t}
	for _, th := range thumbs {
		tt, err := s.db.writeTemp(ctx, bytes.NewReader(th.Data))
		if err != nil {
			return nil, false, err
		}
		defer tt.discard()
		temps = append(temps, tt)
		img.Thumbs = append(img.Thumbs, gallery.Thumb{Size: th.Size, SHA256: tt.sha, ContentType: th.ContentType,
			Width: th.Width, Height: th.Height, Bytes: tt.bytes})
	}
	if err := ctx.Err(); err != nil {
		return nil, false, err
	}

	leave, err := s.db.enter()
	if err != nil {
		return nil, false, err
	}
	defer leave()
	shas := make([]string, len(temps))
	for i, tt := range temps {
		shas[i] = tt.sha
	}
	unlock := s.db.lockSHAs(shas...)
	defer unlock()

	// Under the sha locks no one else can add or drop a reference to these
	// bytes, so what this read sees holds until our commit, but for the
	// owner change of adoptOwnerless, which the write checks for.
	var existing *gallery.Image
	err = s.db.viewTx(func(tx *bbolt.Tx) (err error) {
		existing, err = findByOwnerSHA(tx, img.Owner, t.sha)
		return err
	})
	if err != nil {
		return nil, false, err
	} else if existing != nil {
		// The same bytes again: where the stored copy is damaged or gone,
		// this one takes its place (existing refers to it, so it stays).
		if _, err := s.db.install(t); err != nil {
			return nil, false, err
		}
		return existing, true, nil
	}

	// installed lists the blobs this call put in place; whatever of them no
	// document refers to in the end is removed again.
	var installed []string
	defer func() { s.dropUnreferenced(installed) }()
	for _, tt := range temps {
		ok, err := s.db.install(tt)
		if err != nil {
			return nil, false, err
		} else if ok {
			installed = append(installed, tt.sha)
		}
	}
	if err := failpoint(fpAfterRename); err != nil {
		return nil, false, storageErr("commit image", err)
	}
	img.SHA256, img.Bytes = t.sha, t.bytes
	err = s.db.updateTx(func(tx *bbolt.Tx) error {
		// Again, in the write: handing ownerless images to the first admin
		// adds owner+sha entries without the sha lock (never a reference
		// to bytes that were not referenced before, so the blob is safe).
		found, err := findByOwnerSHA(tx, img.Owner, t.sha)
		if err != nil || found != nil {
			existing = found
			return err
		}
		img.ID, img.CreatedAt = s.db.newID()
		img.UpdatedAt = img.CreatedAt
		if err := putImage(tx, img); err != nil {
			return err
		}
		if err := addImageStats(tx, 1, img.Bytes); err != nil {
			return err
		}
		return bumpWriteSeq(tx, 1)
	})
	if err != nil {
		return nil, false, storageErr("commit image", err)
	}
	if existing != nil {
		return existing, true, nil
	}
	s.db.hashes.refresh(s.db, img.ID)
	if err := failpoint(fpAfterCommit); err != nil {
		return nil, false, storageErr("commit image", err)
	}
	return img, false, nil
}

// checkThumbs refuses thumbnails a caller should never hand over: an
// unknown or repeated size, no content type, no bytes.
func checkThumbs(thumbs []gallery.ThumbData) error {
	seen := map[string]bool{}
	for _, th := range thumbs {
		known := th.Size == gallery.ThumbSmall || th.Size == gallery.ThumbLarge || th.Size == gallery.ThumbNoLocation
		if !known || seen[th.Size] {
			return fmt.Errorf("store: thumbnail size %q unknown or repeated", th.Size)
		}
		seen[th.Size] = true
		if th.ContentType == "" || len(th.Data) == 0 || th.Width <= 0 || th.Height <= 0 {
			return fmt.Errorf("store: %s thumbnail without type, bytes or size", th.Size)
		}
	}
	return nil
}

// dropUnreferenced removes those of the blobs with these shas that no
// document refers to. The caller holds their sha locks.
func (s *ImageService) dropUnreferenced(shas []string) {
	if len(shas) == 0 {
		return
	}
	var drop []string
	if err := s.db.viewTx(func(tx *bbolt.Tx) error {
		for _, sha := range shas {
			if !shaReferenced(tx, sha) && !slices.Contains(drop, sha) {
				drop = append(drop, sha)
			}
		}
		return nil
	}); err != nil {
		s.db.log.Warn("store: check blobs after a write", "err", err)
		return
	}
	for _, sha := range drop {
		if err := s.db.removeBlob(sha); err != nil {
			// Only a leak: the sweep after an unclean stop, or Verify, finds it.
			s.db.log.Warn("store: remove unreferenced blob", "sha256", sha, "err", err)
		}
	}
}

// UpdateImage applies upd to the image and returns the updated document.
func (s *ImageService) UpdateImage(ctx context.Context, id string, upd gallery.ImageUpdate) (*gallery.Image, error) {
	leave, err := s.enterImage(ctx, id)
	if err != nil {
		return nil, err
	}
	defer leave()

	var img *gallery.Image
	err = s.db.updateTx(func(tx *bbolt.Tx) (err error) {
		img, err = updateImage(tx, id, upd, s.db.now().UTC())
		return err
	})
	if err != nil {
		return nil, storageErr("update image", err)
	}
	s.db.hashes.refresh(s.db, id)
	return img, nil
}

// DeleteImage removes the document, and its bytes when no other document
// refers to them. A SetMedia of the image committed between its read of
// the document and its write makes it start over (see errBlobsMoved).
func (s *ImageService) DeleteImage(ctx context.Context, id string) error {
	leave, err := s.enterImage(ctx, id)
	if err != nil {
		return err
	}
	defer leave()
	return retryMoved(func() error { return s.deleteOnce(id) })
}

func (s *ImageService) deleteOnce(id string) error {
	// Read before the lock; the write checks that they are still the ones.
	var shas []string
	if err := s.db.viewTx(func(tx *bbolt.Tx) error {
		img, err := getImage(tx, id)
		if err == nil {
			shas = blobsOf(img)
		}
		return err
	}); err != nil {
		return err
	}

	unlock := s.db.lockSHAs(shas...)
	defer unlock()
	err := s.db.updateTx(func(tx *bbolt.Tx) error {
		img, err := getImage(tx, id) // again: a concurrent delete may have won
		if err != nil {
			return err
		}
		if !slices.Equal(blobsOf(img), shas) {
			return errBlobsMoved
		}
		if err := deleteImage(tx, img); err != nil {
			return err
		}
		return bumpWriteSeq(tx, 1)
	})
	if err != nil {
		return storageErr("delete image", err)
	}
	s.db.hashes.refresh(s.db, id)
	_ = failpoint(fpDeleteAfterCommit) // only crash makes sense here: the delete is committed
	// The document is gone, which is what the caller asked for; bytes left
	// behind would only be a leak.
	s.dropUnreferenced(shas)
	return nil
}

// errBlobsMoved says that a document's bytes changed between the read
// that chose which sha locks to take and the write (SetMedia gave it other
// thumbnails): the write did nothing, and is made again.
var errBlobsMoved = errors.New("store: the image's thumbnails changed meanwhile")

// retryMoved runs write until it does not end in errBlobsMoved. Each such
// end means another write to the image went in, so a few tries suffice.
func retryMoved(write func() error) error {
	var err error
	for range 8 {
		if err = write(); !errors.Is(err, errBlobsMoved) {
			return err
		}
	}
	return err
}

// blobsOf lists the shas of the bytes img refers to: its original and its
// thumbnails.
func blobsOf(img *gallery.Image) []string {
	return append([]string{img.SHA256}, thumbSHAs(img)...)
}

// thumbSHAs lists the shas of img's thumbnails.
func thumbSHAs(img *gallery.Image) []string {
	shas := make([]string, 0, len(img.Thumbs))
	for _, t := range img.Thumbs {
		shas = append(shas, t.SHA256)
	}
	return shas
}

// OpenBlob opens the stored bytes with that hex sha256 for reading. No
// transaction stays open while the caller reads.
func (s *ImageService) OpenBlob(ctx context.Context, sha256 string) (io.ReadSeekCloser, error) {
	sha256 = strings.ToLower(sha256)
	if !gallery.ValidSHA256(sha256) {
		return nil, gallery.Errorf(gallery.ENOTFOUND, "image file not found")
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	leave, err := s.db.enter()
	if err != nil {
		return nil, err
	}
	defer leave()

	f, err := os.Open(s.db.blobPath(sha256))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, gallery.Errorf(gallery.ENOTFOUND, "image file not found")
	} else if err != nil {
		return nil, fmt.Errorf("store: open blob: %w", err)
	}
	return f, nil
}

func updateImage(tx *bbolt.Tx, id string, upd gallery.ImageUpdate, now time.Time) (*gallery.Image, error) {
	img, err := getImage(tx, id)
	if err != nil {
		return nil, err
	}
	oldTags := img.Tags
	if err := upd.Apply(img); err != nil {
		return nil, err
	}
	img.UpdatedAt = now
	if err := deleteTags(tx, id, oldTags); err != nil {
		return nil, err
	}
	if err := putImage(tx, img); err != nil {
		return nil, err
	}
	return img, bumpWriteSeq(tx, 1)
}

// findByOwnerSHA returns the owner's image with those bytes, or nil.
func findByOwnerSHA(tx *bbolt.Tx, owner, sha string) (*gallery.Image, error) {
	id := tx.Bucket(shaBucket).Get(shaKey(sha, owner))
	if id == nil {
		return nil, nil
	}
	return getImage(tx, string(id))
}

// findImages returns up to max images that pass filter, newest first,
// reading whichever index narrows the scan most.
func findImages(ctx context.Context, tx *bbolt.Tx, f gallery.ImageFilter, max int) ([]*gallery.Image, error) {
	out := []*gallery.Image{}
	var err error
	visited := 0
	// visit loads one candidate and keeps it when it passes the filters the
	// chosen index did not already apply; false stops the scan.
	visit := func(id string) bool {
		if visited++; visited%256 == 0 {
			if err = ctx.Err(); err != nil {
				return false
			}
		}
		var img *gallery.Image
		if img, err = getImage(tx, id); gallery.ErrorCode(err) == gallery.ENOTFOUND {
			err = fmt.Errorf("store: index refers to missing image %s", id)
			return false
		} else if err != nil {
			return false
		}
		if matches(img, f) {
			out = append(out, img)
		}
		return len(out) < max
	}

	switch {
	case f.SHA256 != "":
		var ids []string
		if f.Owner != nil {
			if id := tx.Bucket(shaBucket).Get(shaKey(f.SHA256, *f.Owner)); id != nil {
				ids = append(ids, string(id))
			}
		} else {
			prefix := []byte(f.SHA256 + "\x00")
			c := tx.Bucket(shaBucket).Cursor()
			for k, v := c.Seek(prefix); k != nil && strings.HasPrefix(string(k), string(prefix)); k, v = c.Next() {
				ids = append(ids, string(v))
			}
		}
		slices.Sort(ids)
		for _, id := range slices.Backward(ids) {
			if (f.Cursor == "" || id < f.Cursor) && !visit(id) {
				break
			}
		}
	case f.Tag != "":
		prefix := tagPrefix(f.Tag)
		scanDesc(tx.Bucket(tagBucket), prefix, f.Cursor, func(k, _ []byte) bool {
			if len(k) != len(prefix)+idLen {
				return true
			}
			return visit(string(k[len(prefix):]))
		})
	default:
		scanDesc(tx.Bucket(imagesBucket), nil, f.Cursor, func(k, _ []byte) bool {
			return visit(string(k))
		})
	}
	return out, err
}

// matches applies every filter, visibility included; the index a scan came
// from passes its own.
func matches(img *gallery.Image, f gallery.ImageFilter) bool {
	if !f.All && !gallery.CanSee(f.Viewer, img) {
		return false
	}
	if f.Owner != nil && img.Owner != *f.Owner {
		return false
	}
	if f.SHA256 != "" && img.SHA256 != f.SHA256 {
		return false
	}
	if f.Tag != "" && !slices.ContainsFunc(img.Tags, func(t string) bool {
		return strings.ToLower(t) == f.Tag
	}) {
		return false
	}
	return true
}

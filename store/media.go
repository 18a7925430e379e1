package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"slices"

	"go.etcd.io/bbolt"

	"imagerepo/gallery"
)

var _ gallery.MediaSetter = (*ImageService)(nil)

// SetMedia gives an image stored before thumbnails existed what the image
// pipeline made of its original: the thumbnails are stored like those of
// CreateImage (content-addressed, referenced by the document) and the
// document gets its displayed size, EXIF fields and hash in one write,
// counted in the write sequence like any other. Thumbnails the image had
// are replaced, their bytes removed when nothing else refers to them.
// Another SetMedia of the image committed meanwhile makes it start over,
// so that every blob it drops is one whose lock it holds.
func (s *ImageService) SetMedia(ctx context.Context, id string, p *gallery.Processed) (*gallery.Image, error) {
	if p == nil {
		return nil, errors.New("store: SetMedia without media")
	}
	var thumbs []gallery.ThumbData
	for _, th := range []gallery.ThumbData{p.Small, p.Large, p.NoLocation} {
		if len(th.Data) > 0 {
			thumbs = append(thumbs, th)
		}
	}
	if err := checkThumbs(thumbs); err != nil {
		return nil, err
	}
	leave, err := s.enterImage(ctx, id)
	if err != nil {
		return nil, err
	}
	defer leave()
	var img *gallery.Image
	err = retryMoved(func() (err error) {
		img, err = s.setMediaOnce(ctx, id, p, thumbs)
		return err
	})
	return img, err
}

func (s *ImageService) setMediaOnce(ctx context.Context, id string, p *gallery.Processed, thumbs []gallery.ThumbData) (*gallery.Image, error) {
	var newThumbs []gallery.Thumb
	var temps []*tempBlob
	for _, th := range thumbs {
		tt, err := s.db.writeTemp(ctx, bytes.NewReader(th.Data))
		if err != nil {
			return nil, err
		}
		defer tt.discard()
		temps = append(temps, tt)
		newThumbs = append(newThumbs, gallery.Thumb{Size: th.Size, SHA256: tt.sha, ContentType: th.ContentType,
			Width: th.Width, Height: th.Height, Bytes: tt.bytes})
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	// The thumbnails the document has now, to drop if nothing else uses
	// them; the write checks that they are still the ones.
	var old []string
	if err := s.db.viewTx(func(tx *bbolt.Tx) error {
		img, err := getImage(tx, id)
		if err == nil {
			old = thumbSHAs(img)
		}
		return err
	}); err != nil {
		return nil, err
	}
	shas := append([]string(nil), old...)
	for _, tt := range temps {
		shas = append(shas, tt.sha)
	}
	unlock := s.db.lockSHAs(shas...)
	defer unlock()

	installed := append([]string(nil), old...)
	defer func() { s.dropUnreferenced(installed) }()
	for _, tt := range temps {
		ok, err := s.db.install(tt)
		if err != nil {
			return nil, err
		} else if ok {
			installed = append(installed, tt.sha)
		}
	}
	var img *gallery.Image
	err := s.db.updateTx(func(tx *bbolt.Tx) (err error) {
		img, err = getImage(tx, id) // again: it may have been deleted
		if err != nil {
			return err
		}
		if !slices.Equal(thumbSHAs(img), old) {
			return errBlobsMoved
		}
		for _, t := range img.Thumbs {
			if err := tx.Bucket(thumbRefBucket).Delete(thumbRefKey(t.SHA256, img.ID)); err != nil {
				return err
			}
		}
		img.Thumbs = newThumbs
		if p.Info.Width > 0 && p.Info.Height > 0 {
			img.Width, img.Height = p.Info.Width, p.Info.Height
		}
		img.Camera, img.TakenAt, img.Location, img.Hash = p.Camera, p.TakenAt, p.Location, p.Hash
		img = img.Clone()
		if err := putImage(tx, img); err != nil {
			return err
		}
		return bumpWriteSeq(tx, 1)
	})
	if err != nil {
		return nil, storageErr("set image media", err)
	}
	s.db.hashes.refresh(s.db, id)
	return img, nil
}

// MediaPending reports whether an image may lack its thumbnails, EXIF
// fields and hash: whether a document without thumbnails was written since
// the media migration last went through every image (SetMediaDone), so
// that a start need not read 100,000 documents to find none. mark is what
// to hand SetMediaDone after such a pass.
func (db *DB) MediaPending() (pending bool, mark uint64, err error) {
	leave, err := db.enter()
	if err != nil {
		return false, 0, err
	}
	defer leave()
	err = db.viewTx(func(tx *bbolt.Tx) error {
		meta := tx.Bucket(metaBucket)
		mark = counter(meta.Get(thumblessKey))
		done := meta.Get(mediaDoneKey)
		pending = len(done) != 8 || counter(done) != mark
		return nil
	})
	return pending, mark, err
}

// SetMediaDone records that every image had its media when mark came from
// MediaPending: unless a document without thumbnails was written since,
// MediaPending says false until one is.
func (db *DB) SetMediaDone(ctx context.Context, mark uint64) error {
	return db.update(ctx, "record the media migration", func(tx *bbolt.Tx) error {
		meta := tx.Bucket(metaBucket)
		if counter(meta.Get(thumblessKey)) != mark {
			return nil // one came in meanwhile: the next start looks again
		}
		return meta.Put(mediaDoneKey, binary.BigEndian.AppendUint64(nil, mark))
	})
}

// bumpThumbless counts one write of a document without thumbnails.
func bumpThumbless(tx *bbolt.Tx) error {
	meta := tx.Bucket(metaBucket)
	return meta.Put(thumblessKey, binary.BigEndian.AppendUint64(nil, counter(meta.Get(thumblessKey))+1))
}

func counter(v []byte) uint64 {
	if len(v) != 8 {
		return 0
	}
	return binary.BigEndian.Uint64(v)
}

package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sync"

	"go.etcd.io/bbolt"

	"imagerepo/gallery"
)

// NewImage is one image of a CreateImages batch: the document as a caller of
// CreateImage fills it, its bytes and its thumbnails.
type NewImage struct {
	Image  *gallery.Image
	Body   []byte
	Thumbs []gallery.ThumbData
}

// CreateImages stores a batch of new images with one transaction for all
// their documents, for loading many images at once (the bench's fixture).
// Each blob is made durable as by CreateImage (synced, renamed, its
// directory synced) before the commit, but the blobs are synced together
// and each directory once. The results are in the batch's order; an image
// whose owner already has its bytes, stored before or earlier in the batch,
// is that existing image, as a duplicate is for CreateImage. On an error
// no document of the batch is stored. The callers' images are left as
// they were.
func (s *ImageService) CreateImages(ctx context.Context, batch []NewImage) ([]*gallery.Image, error) {
	imgs := make([]*gallery.Image, len(batch))
	blobs := map[string][]byte{} // sha → bytes, each distinct blob once
	add := func(data []byte) string {
		sum := sha256.Sum256(data)
		sha := hex.EncodeToString(sum[:])
		blobs[sha] = data
		return sha
	}
	for i, n := range batch {
		if n.Image == nil {
			return nil, errors.New("store: CreateImages without an image")
		}
		img := n.Image.Clone()
		if err := img.Validate(); err != nil {
			return nil, err
		}
		if err := checkThumbs(n.Thumbs); err != nil {
			return nil, err
		}
		img.SHA256, img.Bytes, img.Thumbs = add(n.Body), int64(len(n.Body)), nil
		for _, th := range n.Thumbs {
			img.Thumbs = append(img.Thumbs, gallery.Thumb{Size: th.Size, SHA256: add(th.Data), ContentType: th.ContentType,
				Width: th.Width, Height: th.Height, Bytes: int64(len(th.Data))})
		}
		imgs[i] = img
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	leave, err := s.db.enter()
	if err != nil {
		return nil, err
	}
	defer leave()
	shas := make([]string, 0, len(blobs))
	for sha := range blobs {
		shas = append(shas, sha)
	}
	unlock := s.db.lockSHAs(shas...)
	defer unlock()

	installed, err := s.db.installAll(ctx, blobs)
	defer func() { s.dropUnreferenced(installed) }()
	if err != nil {
		return nil, err
	}

	created := 0
	err = s.db.updateTx(func(tx *bbolt.Tx) error {
		for i, img := range imgs {
			existing, err := findByOwnerSHA(tx, img.Owner, img.SHA256)
			if err != nil {
				return err
			} else if existing != nil {
				imgs[i] = existing
				continue
			}
			img.ID, img.CreatedAt = s.db.newID()
			img.UpdatedAt = img.CreatedAt
			if err := putImage(tx, img); err != nil {
				return err
			}
			if err := addImageStats(tx, 1, img.Bytes); err != nil {
				return err
			}
			created++
		}
		return bumpWriteSeq(tx, uint64(created))
	})
	if err != nil {
		return nil, storageErr("commit images", err)
	}
	// The similarity index loads again on its next use rather than being
	// refreshed one document at a time.
	s.db.hashes.mu.Lock()
	s.db.hashes.loaded, s.db.hashes.entries, s.db.hashes.pos = false, nil, nil
	s.db.hashes.mu.Unlock()
	return imgs, nil
}

// installAll puts in place every blob not stored yet, or stored damaged
// (see install): each written to a temp file and synced (several at once,
// so that the file system can commit them together), renamed, and then
// each directory touched synced once. It returns the shas it installed,
// also on an error. The caller holds the sha locks.
func (db *DB) installAll(ctx context.Context, blobs map[string][]byte) (installed []string, err error) {
	type job struct {
		sha  string
		data []byte
	}
	var todo []job
	for sha, data := range blobs {
		switch _, intact, err := blobState(db.blobPath(sha), sha, int64(len(data))); {
		case err != nil:
			return nil, err
		case !intact: // missing, or damaged: written again, as install does
			todo = append(todo, job{sha, data})
		}
	}

	var (
		mu     sync.Mutex
		errs   []error
		shards = map[string]bool{}
		newDir bool
		wg     sync.WaitGroup
		jobs   = make(chan job)
	)
	for range 4 * runtime.NumCPU() {
		wg.Go(func() {
			for j := range jobs {
				created, err := db.writeBlob(j.sha, j.data)
				mu.Lock()
				if err != nil {
					errs = append(errs, err)
				} else {
					installed = append(installed, j.sha)
					shards[filepath.Dir(db.blobPath(j.sha))] = true
					newDir = newDir || created
				}
				mu.Unlock()
			}
		})
	}
	for _, j := range todo {
		if ctx.Err() != nil {
			break
		}
		jobs <- j
	}
	close(jobs)
	wg.Wait()
	if err := errors.Join(append(errs, ctx.Err())...); err != nil {
		return installed, err
	}
	if newDir {
		if err := syncDir(db.blobDir); err != nil {
			return installed, storageErr("sync blob dir", err)
		}
	}
	for shard := range shards {
		if err := syncDir(shard); err != nil {
			return installed, storageErr("sync blob shard", err)
		}
	}
	return installed, nil
}

// writeBlob writes data to a synced temp file and renames it to its blob
// path; created says whether it made the shard directory.
func (db *DB) writeBlob(sha string, data []byte) (created bool, err error) {
	path := db.blobPath(sha)
	if err := os.Mkdir(filepath.Dir(path), 0o750); err == nil {
		created = true
	} else if !errors.Is(err, fs.ErrExist) {
		return false, storageErr("create blob shard", err)
	}
	f, err := os.CreateTemp(db.tmpDir, "batch-*")
	if err != nil {
		return created, storageErr("create temp file", err)
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if err = errors.Join(err, f.Close()); err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		_ = os.Remove(f.Name())
		return created, storageErr("write blob", err)
	}
	return created, nil
}

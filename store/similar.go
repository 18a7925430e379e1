package store

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"

	"go.etcd.io/bbolt"

	"imagerepo/gallery"
)

var _ gallery.SimilarService = (*ImageService)(nil)

// hashEntry is what a similarity scan needs of one image: no document is
// read until the nearest ones are known.
type hashEntry struct {
	hash   uint64
	id     string
	owner  string
	public bool
}

// hashIndex holds the perceptual hashes of every image that has one, in
// memory: a linear scan with popcount over 100,000 of them takes well under
// a millisecond, where reading the documents would take seconds. It is
// derived from bbolt, loaded on first use and refreshed from the committed
// document after every image write, so that it can never be ahead of bbolt.
type hashIndex struct {
	mu      sync.RWMutex
	loaded  bool
	entries []hashEntry
	pos     map[string]int // id → index in entries
}

// ensure loads the index unless it is loaded. It holds the write lock while
// it reads, so a refresh waiting for the lock lands after the load.
func (h *hashIndex) ensure(db *DB) error {
	h.mu.RLock()
	ok := h.loaded
	h.mu.RUnlock()
	if ok {
		return nil
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.loaded {
		return nil
	}
	entries := []hashEntry{}
	pos := map[string]int{}
	err := db.viewTx(func(tx *bbolt.Tx) error {
		read := 0 // bytes of documents since the last trim
		err := tx.Bucket(imagesBucket).ForEach(func(k, v []byte) error {
			var d struct {
				Owner      string `json:"owner"`
				Visibility string `json:"visibility"`
				Hash       uint64 `json:"hash"`
			}
			if err := json.Unmarshal(v, &d); err != nil {
				return fmt.Errorf("store: decode image %s: %w", k, err)
			}
			if d.Hash != 0 {
				pos[string(k)] = len(entries)
				entries = append(entries, hashEntry{hash: d.Hash, id: string(k), owner: d.Owner,
					public: gallery.Visibility(d.Visibility) == gallery.Public})
			}
			// The scan reads every document: the pages of the map it has
			// read go back as it goes, or the RSS would grow by the size
			// of the file (from 37 to 280 MB at 100,000 images; to 73 MB
			// with these trims, docs/performance.md).
			if read += len(v); read >= trimEvery {
				trim(db, tx)
				read = 0
			}
			return nil
		})
		trim(db, tx)
		return err
	})
	if err != nil {
		return err
	}
	h.entries, h.pos, h.loaded = entries, pos, true
	return nil
}

// trimEvery is how many bytes of documents a scan reads between trims of
// the map, which then holds a few megabytes of read pages at most.
const trimEvery = 1 << 20

// trim is trimMap for a scan, which a failed trim does not stop.
func trim(db *DB, tx *bbolt.Tx) {
	if err := trimMap(tx); err != nil {
		db.log.Warn("store: trim the memory map", "err", err)
	}
}

// refresh brings the entry of id in line with its committed document. Each
// refresh reads bbolt under the lock, so refreshes of one id that race end
// with the newest state whatever their order.
func (h *hashIndex) refresh(db *DB, id string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.loaded {
		return // the load will read it
	}
	var img *gallery.Image
	err := db.viewTx(func(tx *bbolt.Tx) (err error) {
		img, err = getImage(tx, id)
		return err
	})
	if err != nil && gallery.ErrorCode(err) != gallery.ENOTFOUND {
		db.log.Warn("store: refresh similarity index", "id", id, "err", err)
		h.loaded, h.entries, h.pos = false, nil, nil // reload on next use
		return
	}
	if err != nil || img.Hash == 0 {
		h.remove(id)
		return
	}
	e := hashEntry{hash: img.Hash, id: id, owner: img.Owner, public: img.Visibility == gallery.Public}
	if i, ok := h.pos[id]; ok {
		h.entries[i] = e
		return
	}
	h.pos[id] = len(h.entries)
	h.entries = append(h.entries, e)
}

// remove drops id's entry by moving the last entry into its place.
func (h *hashIndex) remove(id string) {
	i, ok := h.pos[id]
	if !ok {
		return
	}
	last := len(h.entries) - 1
	if i != last {
		h.entries[i] = h.entries[last]
		h.pos[h.entries[i].id] = i
	}
	h.entries = h.entries[:last]
	delete(h.pos, id)
}

// reset forgets the index after a write that changed many documents at
// once (owners handed to the first admin); the next use loads it again.
func (h *hashIndex) reset() {
	h.mu.Lock()
	h.loaded, h.entries, h.pos = false, nil, nil
	h.mu.Unlock()
}

// similarCand is one candidate of a scan.
type similarCand struct {
	dist int
	id   string
}

// before orders candidates nearest first and, at one distance, newest
// first (ids sort by creation time).
func (a similarCand) before(b similarCand) bool {
	return a.dist < b.dist || a.dist == b.dist && a.id > b.id
}

// nearest returns up to limit entries nearest to hash that pass keep, as
// ordered by similarCand.before. A sorted slice of at most limit candidates
// is cheaper than a heap at these sizes, and most entries fail the first
// comparison with the worst kept.
func (h *hashIndex) nearest(hash uint64, within, limit int, keep func(*hashEntry) bool) []similarCand {
	h.mu.RLock()
	defer h.mu.RUnlock()
	best := make([]similarCand, 0, limit)
	for i := range h.entries {
		e := &h.entries[i]
		d := gallery.HammingDistance(hash, e.hash)
		if d > within || len(best) == limit && d > best[limit-1].dist {
			continue
		}
		c := similarCand{dist: d, id: e.id}
		if len(best) == limit && !c.before(best[limit-1]) || !keep(e) {
			continue
		}
		at, _ := slices.BinarySearchFunc(best, c, func(x, y similarCand) int {
			if x.before(y) {
				return -1
			}
			return 1
		})
		if len(best) == limit {
			best = best[:limit-1]
		}
		best = slices.Insert(best, at, c)
	}
	return best
}

// FindSimilar returns the images whose hash is nearest to that of image
// id; see gallery.SimilarService.
func (s *ImageService) FindSimilar(ctx context.Context, id string, f gallery.SimilarFilter) ([]gallery.Similar, error) {
	limit := f.Limit
	if limit == 0 {
		limit = gallery.DefaultSimilarLimit
	} else if limit < 0 || limit > gallery.MaxSimilarLimit {
		return nil, gallery.Errorf(gallery.EINVALID, "limit must be between 1 and %d", gallery.MaxSimilarLimit)
	}
	within := f.Within
	if within <= 0 {
		within = 64
	}
	leave, err := s.enterImage(ctx, id)
	if err != nil {
		return nil, err
	}
	defer leave()

	var target *gallery.Image
	if err := s.db.viewTx(func(tx *bbolt.Tx) (err error) {
		target, err = getImage(tx, id)
		return err
	}); err != nil {
		return nil, err
	}
	if !gallery.CanSee(f.Viewer, target) {
		return nil, gallery.Errorf(gallery.ENOTFOUND, "image not found")
	}
	out := []gallery.Similar{}
	if target.Hash == 0 {
		return out, nil
	}
	if err := s.db.hashes.ensure(s.db); err != nil {
		return nil, err
	}
	// gallery.CanSee, on the entry rather than a document.
	admin := f.Viewer.IsAdmin()
	name := ""
	if f.Viewer != nil && !f.Viewer.Disabled {
		name = f.Viewer.Username
	}
	cands := s.db.hashes.nearest(target.Hash, within, limit, func(e *hashEntry) bool {
		if e.id == id || f.Owner != nil && e.owner != *f.Owner {
			return false
		}
		return e.public || admin || name != "" && e.owner == name
	})
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	err = s.db.viewTx(func(tx *bbolt.Tx) error {
		for _, c := range cands {
			img, err := getImage(tx, c.id)
			if gallery.ErrorCode(err) == gallery.ENOTFOUND {
				continue // deleted since the scan
			} else if err != nil {
				return err
			}
			// The documents have the last word, should the index lag.
			if !gallery.CanSee(f.Viewer, img) || f.Owner != nil && img.Owner != *f.Owner {
				continue
			}
			out = append(out, gallery.Similar{Image: img, Distance: gallery.HammingDistance(target.Hash, img.Hash)})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

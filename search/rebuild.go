package search

import (
	"context"
	"encoding/binary"
	"errors"
	"time"

	"github.com/blevesearch/bleve/v2/index/scorch"
	"github.com/blevesearch/bleve/v2/index/scorch/mergeplan"

	"imagerepo/gallery"
)

// rebuildBatch is how many documents one rebuild batch holds: enough to
// spread bleve's cost per batch (a segment and an fsync), few enough that a
// request's index write waits only briefly behind it.
const rebuildBatch = 1000

// Rebuild throws the index away and indexes every image of Options.Source
// again, calling progress (which may be nil) after each batch. total is the
// count at the start; done passes it when images are added meanwhile. A
// background rebuild that Open started is stopped first. Image writes go on
// during a rebuild and searches see the images indexed so far.
func (idx *Index) Rebuild(ctx context.Context, progress func(done, total int)) error {
	idx.stopBackground()
	return idx.rebuild(ctx, progress, true)
}

// rebuild indexes every image of the source; with reset it first replaces
// the index by an empty one (Open has already made one when it starts a
// rebuild). The write counter is written only when the last batch is in, so
// an interrupted rebuild is done again at the next start.
func (idx *Index) rebuild(ctx context.Context, progress func(done, total int), reset bool) (err error) {
	idx.buildMu.Lock()
	defer idx.buildMu.Unlock()
	if idx.source == nil {
		return errors.New("search: rebuild without Options.Source")
	}
	start := time.Now()
	defer func() {
		if err != nil {
			idx.log.Error("search index rebuild failed; the next start rebuilds it", "err", err)
		}
	}()
	if progress == nil {
		progress = func(int, int) {}
	}

	total, err := idx.countImages(ctx)
	if err != nil {
		return err
	}
	if reset {
		if err := idx.reset(); err != nil {
			return err
		}
	}
	progress(0, total)
	done, cursor := 0, ""
	for {
		var n int
		if n, cursor, err = idx.rebuildBatch(ctx, cursor); err != nil {
			return err
		}
		done += n
		progress(done, max(total, done))
		if cursor == "" {
			break
		}
	}
	if err := idx.markInSync(); err != nil {
		return err
	}
	indexed := time.Since(start)
	idx.compact(ctx)
	idx.log.Info("search index rebuilt", "images", done, "took", indexed.Round(time.Millisecond),
		"compacted", (time.Since(start) - indexed).Round(time.Millisecond))
	return nil
}

// compact merges the segments a rebuild left into one, so that each query
// walks one dictionary per field rather than dozens. The index serves
// searches and writes meanwhile, and Close does not wait for it (bleve ends
// the merge); a failure only costs speed.
func (idx *Index) compact(ctx context.Context) {
	idx.mu.RLock()
	bi, closed := idx.bi, idx.closed
	idx.mu.RUnlock()
	if closed || bi == nil {
		return
	}
	err := idx.guard("compact", func() error {
		ai, err := bi.Advanced()
		if err != nil {
			return err
		}
		s, ok := ai.(*scorch.Scorch)
		if !ok {
			return nil
		}
		return s.ForceMerge(ctx, &mergeplan.SingleSegmentMergePlanOptions)
	})
	if err != nil && ctx.Err() == nil {
		idx.log.Warn("search index compaction failed", "err", err)
	}
}

// countImages pages through the source once, for the progress total.
func (idx *Index) countImages(ctx context.Context) (int, error) {
	n, cursor := 0, ""
	for {
		imgs, next, err := idx.source.FindImages(ctx, gallery.ImageFilter{All: true, Limit: gallery.MaxPageLimit, Cursor: cursor})
		if err != nil {
			return 0, err
		}
		n += len(imgs)
		if cursor = next; cursor == "" {
			return n, nil
		}
	}
}

// reset replaces the index by an empty one.
func (idx *Index) reset() error {
	idx.wmu.Lock()
	defer idx.wmu.Unlock()
	idx.mu.Lock()
	defer idx.mu.Unlock()
	if idx.closed {
		return errClosed
	}
	idx.inSync = false
	idx.newest.Store(0)
	if idx.bi != nil {
		if err := idx.guard("close", idx.bi.Close); err != nil {
			idx.log.Warn("search index close before rebuild", "err", err)
		}
		idx.bi = nil
	}
	bi, err := idx.create()
	if err != nil {
		return err
	}
	idx.bi = bi
	return nil
}

// rebuildBatch indexes up to rebuildBatch images from cursor on and returns
// how many it indexed and the cursor after them ("" at the end). It holds
// wmu from reading the store to writing the index, so that a request's
// write, which re-reads under wmu too, can never be overwritten by an older
// copy of the same image.
func (idx *Index) rebuildBatch(ctx context.Context, cursor string) (int, string, error) {
	idx.wmu.Lock()
	defer idx.wmu.Unlock()
	idx.mu.RLock()
	defer idx.mu.RUnlock()
	if idx.closed || idx.bi == nil {
		return 0, "", errClosed
	}
	n := 0
	err := idx.guard("rebuild", func() error {
		b := idx.bi.NewBatch()
		for n < rebuildBatch {
			imgs, next, err := idx.source.FindImages(ctx, gallery.ImageFilter{All: true, Limit: gallery.MaxPageLimit, Cursor: cursor})
			if err != nil {
				return err
			}
			for _, img := range imgs {
				if err := b.Index(img.ID, newImageDoc(img)); err != nil {
					return err
				}
				idx.noteNewest(img.CreatedAt)
			}
			n += len(imgs)
			if cursor = next; cursor == "" {
				break
			}
		}
		return idx.bi.Batch(b)
	})
	return n, cursor, err
}

// markInSync writes the write counter after a complete rebuild.
func (idx *Index) markInSync() error {
	idx.wmu.Lock()
	defer idx.wmu.Unlock()
	idx.mu.RLock()
	defer idx.mu.RUnlock()
	if idx.closed || idx.bi == nil {
		return errClosed
	}
	err := idx.guard("rebuild", func() error {
		b := idx.bi.NewBatch()
		b.SetInternal(keySeq, encodeSeq(idx.seq))
		return idx.bi.Batch(b)
	})
	if err == nil {
		idx.inSync = true
	}
	return err
}

func encodeSeq(seq uint64) []byte {
	return binary.BigEndian.AppendUint64(nil, seq)
}

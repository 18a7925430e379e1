package search

import (
	"context"
	"errors"
	"fmt"

	"imagerepo/gallery"
)

// writeReq is one caller's share of a group write.
type writeReq struct {
	src gallery.ImageService
	ids []string
	err error // set by whichever caller wrote the group
}

// Reindex re-reads the images with these ids from Options.Source and puts
// them in the index (or takes them out, for ids the store no longer has), in
// one batch. It counts one store write per id: call it for writes the store
// made without going through NewImageService, such as giving images a new
// owner, so that the index's write counter keeps matching the store's.
func (idx *Index) Reindex(ctx context.Context, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	if idx.source == nil {
		return errors.New("search: Reindex without Options.Source")
	}
	return idx.apply(ctx, idx.source, ids)
}

// apply brings the index up to date with the store for ids, each of which
// the store has just written once, re-reading every document from src.
//
// Two rules keep the index right under concurrent requests. The documents
// are re-read while wmu is held, so whichever write to an image reaches the
// index last carries the newest committed state, whatever order the
// requests' commits and index writes came in. And callers that arrive while
// a write is in progress are grouped into the next one: one bleve batch,
// one fsync, for a burst of uploads.
func (idx *Index) apply(ctx context.Context, src gallery.ImageService, ids []string) error {
	req := &writeReq{src: src, ids: ids}
	idx.qmu.Lock()
	idx.queue = append(idx.queue, req)
	idx.qmu.Unlock()

	idx.wmu.Lock()
	defer idx.wmu.Unlock()
	idx.qmu.Lock()
	reqs := idx.queue
	idx.queue = nil
	idx.qmu.Unlock()
	// An empty queue means an earlier holder of wmu wrote req already.
	if len(reqs) > 0 {
		// The store has committed; a cancelled request must not leave the
		// index behind it.
		idx.writeGroup(context.WithoutCancel(ctx), reqs)
	}
	return req.err
}

// writeGroup writes reqs in one batch. The caller holds wmu.
func (idx *Index) writeGroup(ctx context.Context, reqs []*writeReq) {
	n := 0
	for _, r := range reqs {
		n += len(r.ids)
	}
	// The store counted these writes whether or not the index takes them.
	idx.seq += uint64(n)

	idx.mu.RLock()
	defer idx.mu.RUnlock()
	err := errClosed
	if !idx.closed && idx.bi != nil {
		err = idx.guard("write", func() error {
			b := idx.bi.NewBatch()
			for _, r := range reqs {
				for _, id := range r.ids {
					img, err := r.src.FindImageByID(ctx, id)
					switch {
					case gallery.ErrorCode(err) == gallery.ENOTFOUND:
						b.Delete(id)
					case err != nil:
						return fmt.Errorf("search: re-read image %s: %w", id, err)
					default:
						if err := b.Index(id, newImageDoc(img)); err != nil {
							return err
						}
						idx.noteNewest(img.CreatedAt)
					}
				}
			}
			if idx.inSync {
				b.SetInternal(keySeq, encodeSeq(idx.seq))
			}
			return idx.bi.Batch(b)
		})
	}
	if err != nil {
		// From now on the counter stays behind the store's, so the next
		// start rebuilds the index.
		idx.inSync = false
		idx.log.Error("search index write failed; the next start rebuilds the index", "images", n, "err", err)
	}
	for _, r := range reqs {
		r.err = err
	}
}

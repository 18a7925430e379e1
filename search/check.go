package search

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"

	"github.com/blevesearch/bleve/v2"

	"imagerepo/gallery"
)

// maxListed is how many ids CheckIndex names per kind of difference.
const maxListed = 10

// CheckIndex compares the index in dir with the store without changing
// either: that it opens, its mapping version, its write counter against
// storeSeq (the store's), and the ids it holds against those of every
// image of source. It returns each difference as an error (naming a few ids
// of each kind, then a count); none means they agree. The error is for a
// check that could not run.
func CheckIndex(ctx context.Context, dir string, storeSeq uint64, source gallery.ImageService) (problems []error, err error) {
	if _, err := os.Stat(filepath.Join(dir, metaFile)); errors.Is(err, os.ErrNotExist) {
		return []error{errors.New("search index: it is missing")}, nil
	}
	defer func() {
		if r := recover(); r != nil {
			problems = append(problems, fmt.Errorf("search index: fault while reading it: %v\n%s", r, debug.Stack()))
		}
	}()
	bi, err := bleve.OpenUsing(dir, map[string]any{"read_only": true, "bolt_timeout": "1s"})
	if err != nil {
		return []error{fmt.Errorf("search index: it cannot be opened: %v", err)}, nil
	}
	defer bi.Close()

	if ver, err := bi.GetInternal(keyMapping); err != nil || string(ver) != mappingVersion {
		problems = append(problems, fmt.Errorf("search index: mapping version %q, this program %q (%v)", ver, mappingVersion, err))
	}
	if seq, err := bi.GetInternal(keySeq); err != nil || len(seq) != 8 {
		problems = append(problems, errors.New("search index: it has no write counter (a rebuild did not finish)"))
	} else if got := binary.BigEndian.Uint64(seq); got != storeSeq {
		problems = append(problems, fmt.Errorf("search index: its write counter is %d, the store's %d", got, storeSeq))
	}

	indexed, err := indexedIDs(bi)
	if err != nil {
		return append(problems, fmt.Errorf("search index: cannot list its documents: %v", err)), nil
	}
	stored := map[string]bool{}
	cursor := ""
	for {
		imgs, next, err := source.FindImages(ctx, gallery.ImageFilter{All: true, Limit: gallery.MaxPageLimit, Cursor: cursor})
		if err != nil {
			return nil, err
		}
		for _, img := range imgs {
			stored[img.ID] = true
		}
		if cursor = next; cursor == "" {
			break
		}
	}
	if len(indexed) != len(stored) {
		problems = append(problems, fmt.Errorf("search index: it holds %d documents, the store %d images", len(indexed), len(stored)))
	}
	var missing, extra []string
	for id := range stored {
		if !indexed[id] {
			missing = append(missing, id)
		}
	}
	for id := range indexed {
		if !stored[id] {
			extra = append(extra, id)
		}
	}
	if len(missing) > 0 {
		problems = append(problems, fmt.Errorf("search index: %d images are not indexed: %s", len(missing), listed(missing)))
	}
	if len(extra) > 0 {
		problems = append(problems, fmt.Errorf("search index: it holds %d ids the store does not have: %s", len(extra), listed(extra)))
	}
	return problems, nil
}

// indexedIDs reads the id of every document in the index.
func indexedIDs(bi bleve.Index) (map[string]bool, error) {
	ai, err := bi.Advanced()
	if err != nil {
		return nil, err
	}
	r, err := ai.Reader()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	dr, err := r.DocIDReaderAll()
	if err != nil {
		return nil, err
	}
	defer dr.Close()
	ids := map[string]bool{}
	for {
		iid, err := dr.Next()
		if err != nil {
			return nil, err
		} else if iid == nil {
			return ids, nil
		}
		id, err := r.ExternalID(iid)
		if err != nil {
			return nil, err
		}
		ids[id] = true
	}
}

// listed names up to maxListed ids, sorted, and how many more there are.
func listed(ids []string) string {
	slices.Sort(ids)
	if len(ids) <= maxListed {
		return fmt.Sprint(ids)
	}
	return fmt.Sprintf("%v and %d more", ids[:maxListed], len(ids)-maxListed)
}

package search

import (
	"context"
	"strings"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/search/query"

	"imagerepo/gallery"
)

// filters is what restricts a search's results without scoring them: the
// viewer's visibility, exactly as gallery.CanSee decides it, and the
// query's filters. Kept apart so that counting can take shortcuts.
type filters struct {
	public bool   // only public images ...
	user   string // ... or, when set, this user's own
	rest   []query.Query
	none   bool // nothing can match
}

func (idx *Index) newFilters(q gallery.SearchQuery) filters {
	var f filters
	switch v := q.Viewer; {
	case v.IsAdmin():
	case v != nil && !v.Disabled && v.Username != "":
		f.public, f.user = true, v.Username
	default:
		f.public = true
	}
	if tag := strings.ToLower(strings.TrimSpace(q.Tag)); tag != "" {
		f.rest = append(f.rest, termQuery(fTag, tag, 1))
	}
	if typ := strings.ToLower(strings.TrimSpace(q.Type)); typ != "" {
		f.rest = append(f.rest, termQuery(fType, typ, 1))
	}
	if q.Owner != nil {
		owner := *q.Owner
		if owner == "" {
			owner = noOwner
		}
		f.rest = append(f.rest, termQuery(fOwner, owner, 1))
	}
	if q.From != nil || q.To != nil {
		dq, ok := dateRange(fCreated, q.From, q.To)
		if !ok {
			f.none = true
		} else if dq != nil {
			f.rest = append(f.rest, dq)
		}
	}
	if cam := cameraName(&gallery.Camera{Model: q.Camera}); cam != "" {
		f.rest = append(f.rest, idx.cameraQuery(cam))
	}
	if q.TakenFrom != nil || q.TakenTo != nil {
		dq, ok := dateRange(fTaken, q.TakenFrom, q.TakenTo)
		if !ok {
			f.none = true
		} else {
			if dq == nil {
				// Every time, but only images whose time is known.
				dq = dateQuery(fTaken, query.MinRFC3339CompatibleTime, query.MaxRFC3339CompatibleTime)
			}
			f.rest = append(f.rest, dq)
		}
	}
	return f
}

// cameraQuery matches the camera name exactly, or every word of it in the
// camera's make and model ("canon" finds a "canon eos 5d").
func (idx *Index) cameraQuery(cam string) query.Query {
	exact := termQuery(fCamera, cam, 1)
	_, words := idx.words(cam)
	if len(words) == 0 {
		return exact
	}
	conj := make([]query.Query, 0, len(words))
	for _, w := range words {
		conj = append(conj, termQuery(fCameraText, w, 1))
	}
	return bleve.NewDisjunctionQuery(exact, bleve.NewConjunctionQuery(conj...))
}

// apply restricts q to the images passing f, without changing scores.
//
// For an anonymous viewer the private images are excluded (a must-not
// clause walks the few private images), which costs far less than
// requiring the public ones (walking most of the index); every indexed
// image is public or private (see newImageDoc). For a signed-in user that
// exclusion would need a nested "but not mine", which measured slower
// than requiring public or own.
func (f filters) apply(q query.Query) query.Query {
	must := f.rest
	if f.public && f.user != "" {
		must = append([]query.Query{bleve.NewDisjunctionQuery(
			termQuery(fVisibility, string(gallery.Public), 1),
			termQuery(fOwner, f.user, 1))}, must...)
	}
	hideAll := f.public && f.user == ""
	if !hideAll && len(must) == 0 {
		return q
	}
	bq := bleve.NewBooleanQuery()
	bq.AddMust(q)
	if hideAll {
		bq.AddMustNot(termQuery(fVisibility, string(gallery.Private), 1))
	}
	switch len(must) {
	case 0:
	case 1:
		bq.AddFilter(must[0])
	default:
		bq.AddFilter(bleve.NewConjunctionQuery(must...))
	}
	return bq
}

// all matches exactly the images passing f.
func (f filters) all() query.Query {
	vis := filters{public: f.public, user: f.user}
	switch {
	case len(f.rest) == 1:
		return vis.apply(f.rest[0])
	case len(f.rest) > 1:
		return vis.apply(bleve.NewConjunctionQuery(f.rest...))
	case f.public && f.user != "":
		return bleve.NewDisjunctionQuery(
			termQuery(fVisibility, string(gallery.Public), 1),
			termQuery(fOwner, f.user, 1))
	}
	return f.apply(bleve.NewMatchAllQuery())
}

// count returns how many images pass f. A search counts by visiting every
// match (4 ms at 80,000); without other filters the visibility alone is
// counted from posting list lengths instead.
func (idx *Index) count(ctx context.Context, f filters) (int, error) {
	if len(f.rest) > 0 {
		return idx.countQuery(ctx, f.all())
	}
	idx.mu.RLock()
	defer idx.mu.RUnlock()
	if idx.closed || idx.bi == nil {
		return 0, errClosed
	}
	var n uint64
	err := idx.guard("count", func() error {
		if !f.public {
			var err error
			n, err = idx.bi.DocCount()
			return err
		}
		ai, err := idx.bi.Advanced()
		if err != nil {
			return err
		}
		r, err := ai.Reader()
		if err != nil {
			return err
		}
		defer r.Close()
		tfr, err := r.TermFieldReader(ctx, []byte(gallery.Public), fVisibility, false, false, false)
		if err != nil {
			return err
		}
		defer tfr.Close()
		n = tfr.Count()
		return nil
	})
	if err != nil || f.user == "" {
		return int(n), err
	}
	// The user's own private images: a conjunction led by the user's few.
	own, err := idx.countQueryLocked(ctx, bleve.NewConjunctionQuery(
		termQuery(fOwner, f.user, 1),
		termQuery(fVisibility, string(gallery.Private), 1)))
	return int(n) + own, err
}

func (idx *Index) countQuery(ctx context.Context, q query.Query) (int, error) {
	res, err := idx.search(ctx, newestRequest(q, 0, 0))
	if err != nil {
		return 0, err
	}
	return int(res.Total), nil
}

// countQueryLocked is countQuery for a caller that holds mu.
func (idx *Index) countQueryLocked(ctx context.Context, q query.Query) (int, error) {
	var res *bleve.SearchResult
	err := idx.guard("count", func() (err error) {
		res, err = idx.bi.SearchInContext(ctx, newestRequest(q, 0, 0))
		return err
	})
	if err != nil {
		return 0, err
	}
	return int(res.Total), nil
}

// dateRange matches field in [from, to). It is nil when the range covers
// every time bleve can hold, and ok is false when it holds none.
func dateRange(field string, from, to *time.Time) (q query.Query, ok bool) {
	// Outside these bleve cannot compare times (nanoseconds in an int64).
	minTime, maxTime := query.MinRFC3339CompatibleTime, query.MaxRFC3339CompatibleTime
	var start, end time.Time
	if from != nil {
		if from.After(maxTime) {
			return nil, false
		}
		if from.After(minTime) {
			start = *from
		}
	}
	if to != nil {
		if !to.After(minTime) {
			return nil, false
		}
		if to.Before(maxTime) {
			end = *to
		}
	}
	if !start.IsZero() && !end.IsZero() && !start.Before(end) {
		return nil, false
	}
	if start.IsZero() && end.IsZero() {
		return nil, true
	}
	return dateQuery(field, start, end), true
}

// dateQuery matches field in [start, end); a zero bound is open.
func dateQuery(field string, start, end time.Time) query.Query {
	incl, excl := true, false
	dq := bleve.NewDateRangeInclusiveQuery(start, end, &incl, &excl)
	dq.SetField(field)
	return dq
}

package search

import (
	"context"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/search/query"
	index "github.com/blevesearch/bleve_index_api"

	"imagerepo/gallery"
)

// Query limits, which bound the work of one query: longer text is refused
// (EINVALID), and words past the MaxWords-th distinct one are ignored.
const (
	MaxTextLen = 1024 // bytes of SearchQuery.Text
	MaxWords   = 16   // distinct words searched
)

// Boosts of the parts of a word's query. An exact title word outranks its
// stem and a prefix of the last word, which outrank a misspelling; a title
// outranks tags, which outrank the description and the file name; a
// phrase of the whole text outranks its words scattered.
const (
	boostTitle       = 4.0
	boostTitleStem   = 2.0
	boostPrefix      = 2.0
	boostFuzzy       = 1.0 // bleve divides by 1 + the edit distance
	boostTransposed  = 0.5 // as one edit
	boostTags        = 1.5
	boostDescription = 0.5
	boostFilename    = 0.5
	boostPhrase      = 4.0
)

var _ gallery.SearchService = (*Index)(nil)

// SearchImages returns the ids of the images matching q that q.Viewer may
// see, best first; see gallery.SearchService. The text is always plain
// text: no character in it has a meaning to the index.
func (idx *Index) SearchImages(ctx context.Context, q gallery.SearchQuery) (*gallery.SearchResult, error) {
	limit := q.Limit
	if limit == 0 {
		limit = gallery.DefaultPageLimit
	} else if limit < 0 || limit > gallery.MaxPageLimit {
		return nil, gallery.Errorf(gallery.EINVALID, "limit must be between 1 and %d", gallery.MaxPageLimit)
	}
	offset, err := decodeCursor(q.Cursor)
	if err != nil {
		return nil, err
	}
	if len(q.Text) > MaxTextLen {
		return nil, gallery.Errorf(gallery.EINVALID, "search text may be at most %d bytes", MaxTextLen)
	}
	text := strings.ToValidUTF8(q.Text, " ")

	f := idx.newFilters(q)
	if f.none {
		return &gallery.SearchResult{IDs: []string{}}, nil
	}
	var res *bleve.SearchResult
	if strings.TrimSpace(text) == "" {
		res, err = idx.newestFirst(ctx, f, offset, limit)
	} else {
		words, all := idx.words(text)
		if len(words) == 0 {
			// Only punctuation: nothing can match it.
			return &gallery.SearchResult{IDs: []string{}}, nil
		}
		if r, _ := utf8.DecodeLastRuneInString(text); !unicode.IsSpace(r) {
			// Still being typed: the last word may be the start of one.
			for i := range words {
				words[i].prefix = words[i].exact == all[len(all)-1]
			}
		}
		if err := idx.markTypos(ctx, words, f); err != nil {
			return nil, err
		}
		tq := textQuery(words, all)
		// Ties keep the index's own order: stable while the index does not
		// change, and a tie-break by id would cost a look-up per match.
		res, err = idx.search(ctx, bleve.NewSearchRequestOptions(f.apply(tq), limit, offset, false))
	}
	if err != nil {
		return nil, err
	}
	out := &gallery.SearchResult{IDs: make([]string, 0, len(res.Hits)), Total: int(res.Total)}
	for _, h := range res.Hits {
		out.IDs = append(out.IDs, h.ID)
	}
	if end := offset + len(res.Hits); len(res.Hits) == limit && end < out.Total && end < maxOffset {
		out.Next = encodeCursor(end)
	}
	return out, nil
}

func (idx *Index) search(ctx context.Context, req *bleve.SearchRequest) (*bleve.SearchResult, error) {
	idx.mu.RLock()
	defer idx.mu.RUnlock()
	if idx.closed || idx.bi == nil {
		return nil, errClosed
	}
	var res *bleve.SearchResult
	err := idx.guard("search", func() (err error) {
		res, err = idx.bi.SearchInContext(ctx, req)
		return err
	})
	return res, err
}

// word is one distinct word of the text, as the title and stem fields hold
// it, and how to search for it.
type word struct {
	exact, stem string
	prefix      bool // also as the start of a title word
	typo        bool // also misspelt: it is in no title (see markTypos)
}

// words cuts text with the index's own analyzers. It returns the distinct
// words (at most MaxWords) and every word in order, for the phrase.
func (idx *Index) words(text string) (distinct []word, all []string) {
	seen := map[string]bool{}
	for _, tok := range idx.an.exact.Analyze([]byte(text)) {
		t := string(tok.Term)
		if len(all) < MaxWords {
			all = append(all, t)
		}
		if seen[t] || len(distinct) == MaxWords {
			continue
		}
		seen[t] = true
		w := word{exact: t, stem: t}
		if st := idx.an.stem.Analyze(tok.Term); len(st) > 0 {
			w.stem = string(st[0].Term)
		}
		distinct = append(distinct, w)
	}
	return distinct, all
}

// textQuery matches any of the words (more of them score more: bleve's
// disjunction multiplies by the share of clauses matched) and the whole
// phrase.
func textQuery(words []word, all []string) query.Query {
	var clauses []query.Query
	for _, w := range words {
		clauses = append(clauses, wordQuery(w))
	}
	if len(all) > 1 {
		pq := bleve.NewPhraseQuery(all, fTitle)
		pq.SetBoost(boostPhrase)
		clauses = append(clauses, pq)
	}
	if len(clauses) == 1 {
		return clauses[0]
	}
	return bleve.NewDisjunctionQuery(clauses...)
}

// wordQuery matches one word: exactly, by its stem, and as w says as a
// prefix and misspelt.
func wordQuery(w word) query.Query {
	qs := []query.Query{
		termQuery(fTitle, w.exact, boostTitle),
		termQuery(fTitleStem, w.stem, boostTitleStem),
		termQuery(fTags, w.stem, boostTags),
		termQuery(fDescription, w.stem, boostDescription),
		termQuery(fFilename, w.exact, boostFilename),
	}
	n := utf8.RuneCountInString(w.exact)
	if fz := fuzziness(n); w.typo && fz > 0 {
		fq := bleve.NewFuzzyQuery(w.exact)
		fq.SetField(fTitle)
		fq.SetFuzziness(fz)
		// Keeping the first letter cuts the dictionary walk to one branch;
		// a typo there is rare, and a swap with the second letter is
		// caught by the transpositions.
		fq.SetPrefix(1)
		fq.SetBoost(boostFuzzy)
		qs = append(qs, fq)
		// Levenshtein counts a swap of two letters ("stroy") as two edits;
		// the swaps themselves are cheap exact look-ups.
		for _, t := range transpositions(w.exact) {
			qs = append(qs, termQuery(fTitle, t, boostTransposed))
		}
	}
	if w.prefix && n >= minPrefixLen {
		if n <= maxPrefixLen {
			qs = append(qs, termQuery(fTitlePrefix, w.exact, boostPrefix))
		} else {
			pq := bleve.NewPrefixQuery(w.exact)
			pq.SetField(fTitle)
			pq.SetBoost(boostPrefix)
			qs = append(qs, pq)
		}
	}
	return bleve.NewDisjunctionQuery(qs...)
}

// markTypos marks the words to search for misspelt: those no title that f
// lets through holds (for the word being typed: no such title has a word
// starting with it). A word that such a title holds is taken as meant;
// expanding it would cost a Levenshtein automaton per query and bring in
// only worse matches. Titles the viewer may not see must not count: a
// private title holding the word would otherwise stop the viewer's typo
// from being forgiven, which both spoils their results and tells them that
// some hidden title holds the word.
func (idx *Index) markTypos(ctx context.Context, words []word, f filters) error {
	if err := idx.markUnseen(ctx, words, f); err != nil || len(f.rest) == 0 {
		return err
	}
	// The query's other filters: a search per word still taken as meant.
	for i, w := range words {
		if w.typo || fuzziness(utf8.RuneCountInString(w.exact)) == 0 {
			continue
		}
		res, err := idx.search(ctx, bleve.NewSearchRequestOptions(f.apply(termQuery(w.typoField(), w.exact, 1)), 0, 0, false))
		if err != nil {
			return err
		}
		words[i].typo = res.Total == 0
	}
	return nil
}

// typoField is the field whose terms decide whether w is misspelt: the
// title's words, or their starts for a word still being typed.
func (w word) typoField() string {
	if w.prefix && utf8.RuneCountInString(w.exact) <= maxPrefixLen {
		return fTitlePrefix
	}
	return fTitle
}

// markUnseen marks as misspelt the words no title holds, and unless
// other filters follow (see markTypos), those only titles the viewer may
// not see hold. It reads posting lists, with no search: a term look-up
// per word, and for a word that is there a walk beside the visibility's
// postings that stops at the first title the viewer may see (a search
// would count them all: twice the time of the whole query for a common
// word at 100,000 images).
func (idx *Index) markUnseen(ctx context.Context, words []word, f filters) error {
	idx.mu.RLock()
	defer idx.mu.RUnlock()
	if idx.closed || idx.bi == nil {
		return errClosed
	}
	return idx.guard("search", func() error {
		ai, err := idx.bi.Advanced()
		if err != nil {
			return err
		}
		r, err := ai.Reader()
		if err != nil {
			return err
		}
		defer r.Close()
		for i, w := range words {
			if fuzziness(utf8.RuneCountInString(w.exact)) == 0 {
				continue
			}
			seen, err := seenBy(ctx, r, []byte(w.exact), w.typoField(), f)
			if err != nil {
				return err
			}
			words[i].typo = !seen
		}
		return nil
	})
}

// seenBy reports whether some document holding term in field passes f's
// visibility (its other filters are not looked at). Every indexed image
// is public or private (see newImageDoc), so that is: public, or owned by
// f.user.
func seenBy(ctx context.Context, r index.IndexReader, term []byte, field string, f filters) (bool, error) {
	holders, err := openPostings(ctx, r, term, field)
	if err != nil {
		return false, err
	}
	defer holders.close()
	if !f.public || holders.r.Count() == 0 {
		return holders.r.Count() > 0, nil
	}
	seers := make([]*postings, 0, 2)
	for _, t := range [][2]string{{string(gallery.Public), fVisibility}, {f.user, fOwner}} {
		if t[0] == "" {
			continue
		}
		p, err := openPostings(ctx, r, []byte(t[0]), t[1])
		if err != nil {
			return false, err
		}
		defer p.close()
		seers = append(seers, p)
	}
	// Leapfrog: the holders' next document, then each visible list moved
	// up to it; on no match the holders skip to the nearest of those.
	at, err := holders.r.Next(&holders.doc)
	for at != nil && err == nil {
		var next index.IndexInternalID
		for _, p := range seers {
			var on bool
			if on, err = p.seek(at.ID); err != nil || on {
				return on, err
			}
			if p.at != nil && (next == nil || p.at.ID.Compare(next) < 0) {
				next = p.at.ID
			}
		}
		if next == nil {
			return false, nil // every visible list has ended
		}
		at, err = holders.r.Advance(next, &holders.doc)
	}
	return false, err
}

// postings is one term's posting list as it is walked forward.
type postings struct {
	r   index.TermFieldReader
	doc index.TermFieldDoc
	at  *index.TermFieldDoc // where it stands; nil before the start and past the end
	end bool
}

func openPostings(ctx context.Context, r index.IndexReader, term []byte, field string) (*postings, error) {
	tfr, err := r.TermFieldReader(ctx, term, field, false, false, false)
	if err != nil {
		return nil, err
	}
	return &postings{r: tfr}, nil
}

func (p *postings) close() { p.r.Close() }

// seek moves p to the first document at or after id and reports whether
// that is id. It never moves back: bleve's readers start over from the
// beginning for that.
func (p *postings) seek(id index.IndexInternalID) (bool, error) {
	if p.end {
		return false, nil
	}
	if p.at == nil || p.at.ID.Compare(id) < 0 {
		at, err := p.r.Advance(id, &p.doc)
		if err != nil {
			return false, err
		}
		p.at, p.end = at, at == nil
		if at == nil {
			return false, nil
		}
	}
	return p.at.ID.Equals(id), nil
}

// fuzziness is the number of edits a word of n letters may be off by: none
// for one or two letters (too many words are that close), one up to seven,
// two from eight. With swaps of two letters counted apart (see
// transpositions), one edit covers most typos of shorter words, and the
// automaton for two edits costs several times more to build per query.
func fuzziness(n int) int {
	switch {
	case n < 3 || n > 32: // nor for a "word" that is really a pasted string
		return 0
	case n < 8:
		return 1
	}
	return 2
}

// transpositions returns s with each pair of neighbouring letters swapped.
func transpositions(s string) []string {
	r := []rune(s)
	if len(r) > 2*maxPrefixLen {
		return nil
	}
	var out []string
	for i := 0; i+1 < len(r); i++ {
		if r[i] == r[i+1] {
			continue
		}
		r[i], r[i+1] = r[i+1], r[i]
		out = append(out, string(r))
		r[i], r[i+1] = r[i+1], r[i]
	}
	return out
}

func termQuery(field, term string, boost float64) *query.TermQuery {
	q := bleve.NewTermQuery(term)
	q.SetField(field)
	q.SetBoost(boost)
	return q
}

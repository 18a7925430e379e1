package search

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/blevesearch/bleve/v2"

	"imagerepo/gallery"
)

func TestIndex_guard_RecoversPanic(t *testing.T) {
	idx := &Index{log: slog.New(slog.DiscardHandler)}
	err := idx.guard("search", func() error { panic("index out of range") })
	if err == nil || !strings.Contains(err.Error(), "index out of range") {
		t.Fatalf("err = %v", err)
	}
	want := errors.New("plain")
	if err := idx.guard("search", func() error { return want }); err != want {
		t.Fatalf("err = %v", err)
	}
}

func TestTranspositions(t *testing.T) {
	got := transpositions("tyo")
	if want := []string{"yto", "toy"}; !slices.Equal(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
	if got := transpositions("aab"); !slices.Equal(got, []string{"aba"}) {
		t.Fatalf("got %q", got)
	}
	if got := transpositions("é漢"); !slices.Equal(got, []string{"漢é"}) {
		t.Fatalf("got %q", got)
	}
}

func TestCursor_RoundTrip(t *testing.T) {
	for _, n := range []int{1, 7, 50, maxOffset - 1} {
		got, err := decodeCursor(encodeCursor(n))
		if err != nil || got != n {
			t.Fatalf("%d: got %d, %v", n, got, err)
		}
	}
}

// emptySource is a store without images.
type emptySource struct{ gallery.ImageService }

func (emptySource) FindImages(context.Context, gallery.ImageFilter) ([]*gallery.Image, string, error) {
	return nil, "", nil
}

func TestOpen_OldMapping_Rebuilds(t *testing.T) {
	dir := t.TempDir()
	var log strings.Builder
	opts := Options{Source: emptySource{}, Logger: slog.New(slog.NewTextHandler(&log, nil))}
	idx, err := Open(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	idx.WaitRebuild()
	if err := idx.bi.SetInternal(keyMapping, []byte("0")); err != nil {
		t.Fatal(err)
	}
	_ = idx.Close()
	log.Reset()
	idx, err = Open(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	idx.WaitRebuild()
	_ = idx.Close()
	if !strings.Contains(log.String(), `mapping version \"0\"`) {
		t.Fatalf("log:\n%s", log.String())
	}
}

// TestSeenBy_AgreesWithSearch: the walk of posting lists that decides
// whether the viewer may see some title holding a word answers as a
// filtered search does, over several segments, deleted documents and every
// kind of viewer, for words held mostly by private titles.
func TestSeenBy_AgreesWithSearch(t *testing.T) {
	idx, err := Open(t.TempDir(), Options{Source: emptySource{}})
	if err != nil {
		t.Fatal(err)
	}
	idx.WaitRebuild()
	defer idx.Close()
	rng := rand.New(rand.NewPCG(6, 7))
	vocab := []string{"harbour", "harbous", "meadow", "sunset", "river", "lantern"}
	owners := []string{"alice", "bob", "carol"}
	var ids []string
	for seg := range 6 { // a batch each: six segments until merged
		b := idx.bi.NewBatch()
		for i := range 40 {
			img := &gallery.Image{
				ID:         fmt.Sprintf("img%02d%03d", seg, i),
				Title:      vocab[rng.IntN(len(vocab))] + " " + vocab[rng.IntN(len(vocab))],
				Owner:      owners[rng.IntN(len(owners))],
				Visibility: gallery.Private,
			}
			if rng.IntN(5) == 0 {
				img.Visibility = gallery.Public
			}
			switch {
			case img.Owner == "alice" && img.Visibility == gallery.Private:
				img.Title += " secret" // only alice's private titles
			case seg == 5 && i == 39:
				img.Title += " lonely" // one title, the last of all
			case seg == 5 && i == 38:
				img.Title += " gone" // one title, deleted below
			}
			if err := b.Index(img.ID, newImageDoc(img)); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, img.ID)
		}
		if err := idx.bi.Batch(b); err != nil {
			t.Fatal(err)
		}
	}
	for _, id := range append(ids[10:20], "img05038") {
		if err := idx.bi.Delete(id); err != nil {
			t.Fatal(err)
		}
	}
	ai, err := idx.bi.Advanced()
	if err != nil {
		t.Fatal(err)
	}
	r, err := ai.Reader()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	ctx := context.Background()
	viewers := map[string]filters{"admin": {}, "anonymous": {public: true}, "dave": {public: true, user: "dave"}}
	for _, o := range owners {
		viewers[o] = filters{public: true, user: o}
	}
	terms := append(slices.Clone(vocab), "secret", "lonely", "gone", "absent")
	for _, term := range terms {
		for name, f := range viewers {
			res, err := idx.search(ctx, bleve.NewSearchRequestOptions(f.apply(termQuery(fTitle, term, 1)), 0, 0, false))
			if err != nil {
				t.Fatal(err)
			}
			got, err := seenBy(ctx, r, []byte(term), fTitle, f)
			if err != nil {
				t.Fatal(err)
			}
			if want := res.Total > 0; got != want {
				t.Errorf("%q for %s: seenBy %v, the search found %d", term, name, got, res.Total)
			}
		}
	}
}

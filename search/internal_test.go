package search

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"testing"

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

package search_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"imagerepo/gallery"
	"imagerepo/search"
)

func TestIndex_Rebuild(t *testing.T) {
	ctx := context.Background()
	e := openEnv(t, t.TempDir())
	photos, renamed := populate(t, e, 30)

	// Writes go on while the index is rebuilt; none of them is lost.
	var wg sync.WaitGroup
	var late []string
	wg.Go(func() {
		for i := range 10 {
			late = append(late, e.create(fmt.Sprintf("Late photo %d", i), "bob", gallery.Public).ID)
		}
	})
	var calls, lastDone, lastTotal int
	err := e.idx.Rebuild(ctx, func(done, total int) {
		calls++
		if done < lastDone || done > total {
			t.Errorf("progress went from %d to %d of %d", lastDone, done, total)
		}
		lastDone, lastTotal = done, total
	})
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if calls < 2 || lastDone != lastTotal || lastDone < len(photos)+1 {
		t.Fatalf("progress: %d calls, ended at %d of %d", calls, lastDone, lastTotal)
	}
	e.wantIDs("photo", append(photos, late...)...)
	e.wantIDs("sunflower", renamed)
	e = e.reopen()
	if e.rebuilt() {
		t.Fatalf("a rebuild left the counter out of step:\n%s", e.log)
	}
	e.wantIDs("photo", append(photos, late...)...)
}

func TestIndex_Close_DuringRebuild(t *testing.T) {
	var imgs []*gallery.Image
	for i := range 3000 {
		imgs = append(imgs, fixtureImage(i, fmt.Sprintf("Photo number %d", i)))
	}
	src := newMemSource(imgs...)
	dir := t.TempDir()
	idx, err := search.Open(dir, search.Options{Source: src, StoreSeq: 7, Logger: (&logBuffer{}).logger()})
	if err != nil {
		t.Fatal(err)
	}
	if err := idx.Close(); err != nil {
		t.Fatal(err)
	}
	// Whether or not the rebuild got to its end, the next start has the
	// whole index.
	log := &logBuffer{}
	idx = openIndex(t, dir, search.Options{Source: src, StoreSeq: 7, Logger: log.logger()})
	res := mustSearch(t, idx, gallery.SearchQuery{Text: "photo", Limit: 1})
	if res.Total != len(imgs) {
		t.Fatalf("total %d, want %d; log:\n%s", res.Total, len(imgs), log)
	}
	if _, err := idx.SearchImages(context.Background(), gallery.SearchQuery{}); err != nil {
		t.Fatal(err)
	}
	_ = idx.Close()
	if _, err := idx.SearchImages(context.Background(), gallery.SearchQuery{Text: "photo"}); err == nil || gallery.ErrorCode(err) != gallery.EINTERNAL {
		t.Fatalf("search after Close: %v", err)
	}
}

func TestOpen_WithoutSource(t *testing.T) {
	dir := t.TempDir()
	if _, err := search.Open(dir, search.Options{Logger: (&logBuffer{}).logger()}); err == nil {
		t.Fatal("Open of a missing index without a source succeeded")
	}
	// An index in step needs no source.
	idx := openIndex(t, dir, search.Options{Source: newMemSource(fixtureImage(1, "Lake"))})
	_ = idx.Close()
	idx = openIndex(t, dir, search.Options{})
	if res := mustSearch(t, idx, gallery.SearchQuery{Text: "lake"}); res.Total != 1 {
		t.Fatalf("total %d", res.Total)
	}
	if err := idx.Rebuild(context.Background(), nil); err == nil {
		t.Fatal("Rebuild without a source succeeded")
	}
}

func TestImageService_IndexWriteFails(t *testing.T) {
	ctx := context.Background()
	e := openEnv(t, t.TempDir())
	img := e.create("Quiet pond", "alice", gallery.Public)
	// With the index gone, the store's write still succeeds: the client
	// must not retry a write that happened.
	if err := e.idx.Close(); err != nil {
		t.Fatal(err)
	}
	title := "Loud river"
	if _, err := e.svc.UpdateImage(ctx, img.ID, gallery.ImageUpdate{Title: &title}); err != nil {
		t.Fatalf("update with the index closed: %v", err)
	}
	if !strings.Contains(e.log.String(), "search index write failed") {
		t.Fatalf("the failure was not logged:\n%s", e.log)
	}
	// The next start sees the index behind the store and rebuilds.
	e = e.reopen()
	if !e.rebuilt() {
		t.Fatalf("no rebuild after a failed index write:\n%s", e.log)
	}
	e.wantIDs("river", img.ID)
	e.wantIDs("pond")
}

func TestOpen_KeepsOtherFiles(t *testing.T) {
	dir := t.TempDir()
	src := newMemSource(fixtureImage(1, "Lake"))
	idx := openIndex(t, dir, search.Options{Source: src})
	_ = idx.Close()
	// A foreign file beside the index survives a rebuild.
	if err := writeFile(filepath.Join(dir, "README"), "keep me"); err != nil {
		t.Fatal(err)
	}
	log := &logBuffer{}
	idx = openIndex(t, dir, search.Options{Source: src, StoreSeq: 1, Logger: log.logger()})
	if !strings.Contains(log.String(), "differs from the store's 1") {
		t.Fatalf("log:\n%s", log)
	}
	if got, err := readFile(filepath.Join(dir, "README")); err != nil || got != "keep me" {
		t.Fatalf("README: %q, %v", got, err)
	}
	if res := mustSearch(t, idx, gallery.SearchQuery{Text: "lake"}); res.Total != 1 {
		t.Fatalf("total %d", res.Total)
	}
}

package search_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"imagerepo/gallery"
	"imagerepo/search"
	"imagerepo/store"
)

// env is a data dir as main wires it: the store, the index in its search/
// folder, and the indexing decorator over the store's image service.
type env struct {
	t      *testing.T
	dir    string
	db     *store.DB
	images *store.ImageService
	idx    *search.Index
	svc    *search.ImageService
	log    *logBuffer
}

func openEnv(t *testing.T, dir string) *env {
	t.Helper()
	e := &env{t: t, dir: dir, log: &logBuffer{}}
	db, err := store.Open(dir, store.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	e.db, e.images = db, store.NewImageService(db)
	seq, err := db.WriteSeq()
	if err != nil {
		t.Fatal(err)
	}
	e.idx, err = search.Open(filepath.Join(dir, "search"), search.Options{Logger: e.log.logger(), StoreSeq: seq, Source: e.images})
	if err != nil {
		_ = db.Close()
		t.Fatal(err)
	}
	e.svc = search.NewImageService(e.images, e.idx)
	t.Cleanup(e.close)
	e.idx.WaitRebuild()
	return e
}

func (e *env) close() {
	if e.idx != nil {
		_ = e.idx.Close()
		e.idx = nil
	}
	if e.db != nil {
		_ = e.db.Close()
		e.db = nil
	}
}

// reopen closes e and opens its data dir again.
func (e *env) reopen() *env {
	e.close()
	return openEnv(e.t, e.dir)
}

func (e *env) rebuilt() bool { return strings.Contains(e.log.String(), "search index will be rebuilt") }

func (e *env) create(title, owner string, vis gallery.Visibility) *gallery.Image {
	e.t.Helper()
	img, dup, err := e.svc.CreateImage(context.Background(), &gallery.Image{
		Title: title, Owner: owner, Visibility: vis, Filename: "IMG_1.jpg", ContentType: "image/jpeg",
	}, strings.NewReader("bytes of "+title+" by "+owner))
	if err != nil || dup {
		e.t.Fatalf("CreateImage(%q): dup %v, %v", title, dup, err)
	}
	return img
}

// ids searches as admin and returns the ids, sorted.
func (e *env) ids(text string) []string {
	e.t.Helper()
	res := mustSearch(e.t, e.idx, gallery.SearchQuery{Text: text, Viewer: &gallery.User{Username: "root", Role: gallery.RoleAdmin}, Limit: 200})
	if res.Total != len(res.IDs) {
		e.t.Fatalf("%q: total %d for %d ids", text, res.Total, len(res.IDs))
	}
	return slices.Sorted(slices.Values(res.IDs))
}

func (e *env) wantIDs(text string, want ...string) {
	e.t.Helper()
	if want == nil {
		want = []string{}
	}
	got := e.ids(text)
	if got == nil {
		got = []string{}
	}
	if !slices.Equal(got, slices.Sorted(slices.Values(want))) {
		e.t.Fatalf("%q: got %q, want %q", text, got, want)
	}
}

func TestImageService_Writes_SearchableAtOnce(t *testing.T) {
	e := openEnv(t, t.TempDir())
	ctx := context.Background()
	if e.rebuilt() {
		// A new data dir has nothing to rebuild from, but no index either.
		t.Log("new data dir: index created")
	}
	img := e.create("Red balloon", "alice", gallery.Public)
	other := e.create("Red kite", "alice", gallery.Public)
	e.wantIDs("balloon", img.ID)
	e.wantIDs("red", img.ID, other.ID)

	// A duplicate writes nothing and counts nothing.
	_, dup, err := e.svc.CreateImage(ctx, &gallery.Image{Title: "Again", Owner: "alice", Filename: "x.jpg", ContentType: "image/jpeg"},
		strings.NewReader("bytes of Red balloon by alice"))
	if err != nil || !dup {
		t.Fatalf("duplicate: dup %v, %v", dup, err)
	}
	e.wantIDs("again")

	title := "Blue balloon"
	if _, err := e.svc.UpdateImage(ctx, img.ID, gallery.ImageUpdate{Title: &title}); err != nil {
		t.Fatal(err)
	}
	e.wantIDs("red", other.ID)
	e.wantIDs("blue", img.ID)

	private := gallery.Private
	if _, err := e.svc.UpdateImage(ctx, img.ID, gallery.ImageUpdate{Visibility: &private}); err != nil {
		t.Fatal(err)
	}
	if res := mustSearch(t, e.idx, gallery.SearchQuery{Text: "balloon"}); len(res.IDs) != 0 || res.Total != 0 {
		t.Fatalf("anonymous sees a private image: %+v", res)
	}
	if res := mustSearch(t, e.idx, gallery.SearchQuery{Text: "balloon", Viewer: &gallery.User{Username: "alice", Role: gallery.RoleUser}}); len(res.IDs) != 1 {
		t.Fatalf("owner does not see her private image: %+v", res)
	}

	if err := e.svc.DeleteImage(ctx, other.ID); err != nil {
		t.Fatal(err)
	}
	e.wantIDs("red")
	e.wantIDs("kite")

	// Failed writes change nothing and count nothing.
	if err := e.svc.DeleteImage(ctx, other.ID); gallery.ErrorCode(err) != gallery.ENOTFOUND {
		t.Fatalf("second delete: %v", err)
	}
	if _, err := e.svc.UpdateImage(ctx, "nope", gallery.ImageUpdate{Title: &title}); gallery.ErrorCode(err) != gallery.ENOTFOUND {
		t.Fatalf("update of nothing: %v", err)
	}

	// The index's counter matches the store's, so a restart keeps it.
	e = e.reopen()
	if e.rebuilt() {
		t.Fatalf("clean restart rebuilt the index:\n%s", e.log)
	}
	e.wantIDs("balloon", img.ID)
	e.wantIDs("kite")
}

// populate makes a data dir of n images through the decorator, renames one
// and deletes another, and returns the ids expected for "photo" and the
// renamed image's id.
func populate(t *testing.T, e *env, n int) (photos []string, renamed string) {
	t.Helper()
	ctx := context.Background()
	for i := range n {
		vis := gallery.Public
		if i%3 == 0 {
			vis = gallery.Private
		}
		photos = append(photos, e.create(fmt.Sprintf("Holiday photo %d", i), "alice", vis).ID)
	}
	renamed = photos[1]
	title := "Sunflower field"
	if _, err := e.svc.UpdateImage(ctx, renamed, gallery.ImageUpdate{Title: &title}); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.DeleteImage(ctx, photos[2]); err != nil {
		t.Fatal(err)
	}
	return append(photos[:1:1], photos[3:]...), renamed
}

func TestOpen_Repairs(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name   string
		damage func(t *testing.T, e *env) // on a closed env, but for bypass
		reason string
		// bypass writes to the store behind the index's back before closing
		bypass bool
	}{
		{"index dir deleted", func(t *testing.T, e *env) { mustRemoveAll(t, filepath.Join(e.dir, "search")) }, "missing", false},
		{"meta file garbled", func(t *testing.T, e *env) { garble(t, filepath.Join(e.dir, "search", "index_meta.json")) }, "cannot be opened", false},
		{"meta file deleted", func(t *testing.T, e *env) { mustRemoveAll(t, filepath.Join(e.dir, "search", "index_meta.json")) }, "missing", false},
		{"root file garbled", func(t *testing.T, e *env) { garble(t, filepath.Join(e.dir, "search", "store", "root.bolt")) }, "cannot be opened", false},
		{"segments garbled", func(t *testing.T, e *env) { garbleSegments(t, e, false) }, "", false},
		{"segments deleted", func(t *testing.T, e *env) { garbleSegments(t, e, true) }, "", false},
		{"store written behind its back", nil, "differs from the store's", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := openEnv(t, t.TempDir())
			photos, renamed := populate(t, e, 12)
			harbour := photos[0]
			if tt.bypass {
				// As after a crash between the store's commit and the
				// index write: the store has writes the index never saw.
				title := "Harbour at night"
				if _, err := e.images.UpdateImage(ctx, photos[0], gallery.ImageUpdate{Title: &title}); err != nil {
					t.Fatal(err)
				}
				if err := e.images.DeleteImage(ctx, photos[3]); err != nil {
					t.Fatal(err)
				}
				photos = append(photos[1:3:3], photos[4:]...)
			}
			e.close()
			if tt.damage != nil {
				tt.damage(t, e)
			}

			e = openEnv(t, e.dir)
			if !e.rebuilt() || !strings.Contains(e.log.String(), tt.reason) || !strings.Contains(e.log.String(), "search index rebuilt") {
				t.Fatalf("want a rebuild because %q; log:\n%s", tt.reason, e.log)
			}
			t.Logf("log:\n%s", e.log)
			e.wantIDs("photo", photos...)
			e.wantIDs("sunflower", renamed)
			if tt.bypass {
				e.wantIDs("harbour", harbour)
			}

			// The rebuilt index is in step: the next start keeps it.
			e = e.reopen()
			if e.rebuilt() {
				t.Fatalf("second start rebuilt again:\n%s", e.log)
			}
			e.wantIDs("photo", photos...)
		})
	}
}

func mustRemoveAll(t *testing.T, path string) {
	t.Helper()
	if err := os.RemoveAll(path); err != nil {
		t.Fatal(err)
	}
}

// garble overwrites a file's bytes with junk of the same length.
func garble(t *testing.T, path string) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	junk := bytes.Repeat([]byte("garbage!"), int(fi.Size())/8+1)[:fi.Size()]
	if err := os.WriteFile(path, junk, 0o600); err != nil {
		t.Fatal(err)
	}
}

// garbleSegments garbles (or deletes) every segment file of the index.
func garbleSegments(t *testing.T, e *env, remove bool) {
	t.Helper()
	segs, err := filepath.Glob(filepath.Join(e.dir, "search", "store", "*.zap"))
	if err != nil || len(segs) == 0 {
		t.Fatalf("no segments found: %v", err)
	}
	for _, s := range segs {
		if remove {
			mustRemoveAll(t, s)
		} else {
			garble(t, s)
		}
	}
}

func TestIndex_Reindex(t *testing.T) {
	ctx := context.Background()
	e := openEnv(t, t.TempDir())
	a := e.create("Old harbour", "alice", gallery.Public)
	b := e.create("Old mill", "alice", gallery.Public)
	// Written behind the index's back, then told to it.
	title := "New harbour"
	if _, err := e.images.UpdateImage(ctx, a.ID, gallery.ImageUpdate{Title: &title}); err != nil {
		t.Fatal(err)
	}
	if err := e.images.DeleteImage(ctx, b.ID); err != nil {
		t.Fatal(err)
	}
	e.wantIDs("new")
	if err := e.idx.Reindex(ctx, []string{a.ID, b.ID}); err != nil {
		t.Fatal(err)
	}
	e.wantIDs("new", a.ID)
	e.wantIDs("mill")
	e = e.reopen()
	if e.rebuilt() {
		t.Fatalf("Reindex did not keep the counter in step:\n%s", e.log)
	}
}

func TestUserService_CreateFirstAdmin_ReindexesOwnerless(t *testing.T) {
	ctx := context.Background()
	e := openEnv(t, t.TempDir())
	// Images from before accounts have no owner.
	var ids []string
	for i := range 3 {
		ids = append(ids, e.create(fmt.Sprintf("Old photo %d", i), "", gallery.Public).ID)
	}
	users := search.NewUserService(store.NewUserService(e.db), e.idx)
	if _, err := users.CreateFirstAdmin(ctx, "root", "correct horse battery"); err != nil {
		t.Fatal(err)
	}
	owner := "root"
	res := mustSearch(t, e.idx, gallery.SearchQuery{Text: "photo", Owner: &owner})
	if got := slices.Sorted(slices.Values(res.IDs)); !slices.Equal(got, ids) {
		t.Fatalf("the admin's images: got %q, want %q", got, ids)
	}
	// A second admin adopts nothing, and the count stays right.
	if _, err := users.CreateUser(ctx, "second", "correct horse battery", gallery.RoleAdmin); err != nil {
		t.Fatal(err)
	}
	e = e.reopen()
	if e.rebuilt() {
		t.Fatalf("the adoption left the counter out of step:\n%s", e.log)
	}
}

func TestImageService_ConcurrentWrites(t *testing.T) {
	ctx := context.Background()
	e := openEnv(t, t.TempDir())
	shared := e.create("Shared", "alice", gallery.Public)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var created []string
	for w := range 4 {
		wg.Go(func() {
			for i := range 8 {
				tags := []string{fmt.Sprintf("w%d-i%d", w, i)}
				if _, err := e.svc.UpdateImage(ctx, shared.ID, gallery.ImageUpdate{Tags: &tags}); err != nil {
					t.Error(err)
					return
				}
				img, _, err := e.svc.CreateImage(ctx, &gallery.Image{Title: "Burst", Owner: "alice",
					Filename: "b.jpg", ContentType: "image/jpeg"}, strings.NewReader(fmt.Sprintf("burst %d %d", w, i)))
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				created = append(created, img.ID)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	final, err := e.images.FindImageByID(ctx, shared.ID)
	if err != nil {
		t.Fatal(err)
	}
	// The index holds the last committed tags, whatever order the requests
	// reached it in.
	for w := range 4 {
		for i := range 8 {
			tag := fmt.Sprintf("w%d-i%d", w, i)
			res := mustSearch(t, e.idx, gallery.SearchQuery{Tag: tag})
			want := tag == final.Tags[0]
			if got := len(res.IDs) == 1; got != want {
				t.Fatalf("tag %q (final %q): found %v", tag, final.Tags[0], res.IDs)
			}
		}
	}
	e.wantIDs("burst", created...)
	e = e.reopen()
	if e.rebuilt() {
		t.Fatalf("concurrent writes left the counter out of step:\n%s", e.log)
	}
}

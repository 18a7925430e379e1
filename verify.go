package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"imagerepo/gallery"
	"imagerepo/imaging"
	"imagerepo/search"
	"imagerepo/store"
)

const verifyUsage = "usage: imagerepo verify [--data DIR] [--repair]"

// runVerify is `imagerepo verify [--data DIR] [--repair]`: it checks a
// stopped server's data dir, printing each problem on stdout, and with
// --repair fixes what the store can be made to say again.
func runVerify(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("imagerepo verify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dataDir := fs.String("data", "./imagerepo-data", "data directory of a stopped server")
	repair := fs.Bool("repair", false, "fix what can be fixed: remove unreferenced blobs, remake thumbnails, rebuild the search index")
	if code, ok := parseCommand(fs, args, stderr); !ok {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintln(stderr, verifyUsage)
		return 2
	}
	if _, err := os.Stat(filepath.Join(*dataDir, "imagerepo.db")); err != nil {
		fmt.Fprintf(stderr, "imagerepo: %s holds no imagerepo data: %v\n", *dataDir, err)
		return 1
	}
	progress := newProgressLine(stderr, "hashing every blob")
	res, err := verifyDataDir(ctx, *dataDir, !*repair, progress)
	if err != nil {
		fmt.Fprintln(stderr, "imagerepo:", err)
		return 1
	}
	if *repair && !res.clean() {
		for _, p := range res.problems() {
			fmt.Fprintln(stdout, "found:", p)
		}
		if err := repairDataDir(ctx, *dataDir, res, stdout, stderr); err != nil {
			fmt.Fprintln(stderr, "imagerepo: repair:", err)
			return 1
		}
		if res, err = verifyDataDir(ctx, *dataDir, true, progress); err != nil {
			fmt.Fprintln(stderr, "imagerepo:", err)
			return 1
		}
	}
	for _, p := range res.problems() {
		fmt.Fprintln(stdout, p)
	}
	if !res.clean() {
		fmt.Fprintf(stdout, "%d problems in %s (%d images)\n", len(res.problems()), *dataDir, res.images)
		if len(res.store.BadOriginals) > 0 {
			fmt.Fprintf(stdout, "cannot repair: the original bytes of these images are missing or corrupt; restore them from a backup or delete the images: %s\n",
				strings.Join(res.store.BadOriginals, " "))
		}
		return 1
	}
	fmt.Fprintf(stdout, "%s is consistent: %d images, every blob's sha256 checked\n", *dataDir, res.images)
	return 0
}

// verifyResult is what a check of a data dir found.
type verifyResult struct {
	store  *store.CheckReport
	index  []error // the search index against the store
	images int
}

func (r *verifyResult) problems() []error { return append(slices.Clone(r.store.Problems), r.index...) }
func (r *verifyResult) clean() bool       { return len(r.store.Problems) == 0 && len(r.index) == 0 }

// verifyDataDir checks a stopped server's data dir: the store with every
// blob hashed, then the search index against it. readOnly opens it without
// writing anything; otherwise it is opened as a server would (migrated, and
// swept after an unclean stop).
func verifyDataDir(ctx context.Context, dir string, readOnly bool, progress func(done, total int64)) (*verifyResult, error) {
	db, err := openOffline(dir, readOnly)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	db.WaitSweep()
	report, err := db.Check(ctx, store.CheckOptions{Hash: true, Progress: progress})
	progress(-1, 0)
	if err != nil {
		return nil, err
	}
	seq, err := db.WriteSeq()
	if err != nil {
		return nil, err
	}
	stored := store.NewImageService(db)
	index, err := search.CheckIndex(ctx, filepath.Join(dir, "search"), seq, stored)
	if err != nil {
		return nil, err
	}
	res := &verifyResult{store: report, index: index}
	for cursor := ""; ; {
		imgs, next, err := stored.FindImages(ctx, gallery.ImageFilter{All: true, Limit: gallery.MaxPageLimit, Cursor: cursor})
		if err != nil {
			return nil, err
		}
		res.images += len(imgs)
		if cursor = next; cursor == "" {
			break
		}
	}
	return res, db.Close()
}

// openOffline opens a stopped server's data dir for a command, saying so
// plainly when a server still has it.
func openOffline(dir string, readOnly bool) (*store.DB, error) {
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	db, err := store.Open(dir, store.Options{Logger: quiet, ReadOnly: readOnly})
	if err != nil && strings.Contains(err.Error(), "in use") {
		return nil, fmt.Errorf("%w\nstop the server first: this command works on a stopped server's data dir", err)
	}
	return db, err
}

// repairDataDir fixes what res found that the store can say again:
// unreferenced blobs are removed, thumbnails that are missing or corrupt
// are made again from their originals, and the search index is rebuilt.
// Originals that are missing or corrupt cannot be fixed; they stay, and
// are reported by the check that follows.
func repairDataDir(ctx context.Context, dir string, res *verifyResult, stdout, stderr io.Writer) error {
	db, err := openOffline(dir, false)
	if err != nil {
		return err
	}
	defer db.Close()
	db.WaitSweep()
	rep := res.store
	if len(rep.Orphans) > 0 {
		n, err := db.RemoveOrphans(ctx, rep.Orphans)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "repaired: removed %d unreferenced blobs\n", n)
	}

	stored := store.NewImageService(db)
	writes := false
	if len(rep.BadThumbs) > 0 {
		decoder := imaging.New(imaging.Limits{MaxPixels: NewMain().Config.MaxPixels})
		for _, id := range rep.BadThumbs {
			if err := remakeThumbs(ctx, db, stored, decoder, id, rep.Corrupt); err != nil {
				fmt.Fprintf(stdout, "cannot repair: image %s: remaking its thumbnails failed: %v\n", id, err)
				continue
			}
			writes = true
			fmt.Fprintf(stdout, "repaired: image %s: thumbnails made again from its original\n", id)
		}
	}
	if writes || len(res.index) > 0 {
		if _, err := rebuildIndex(ctx, db, dir, stderr); err != nil {
			return err
		}
		fmt.Fprintln(stdout, "repaired: search index rebuilt from the store")
	}
	return db.Close()
}

// remakeThumbs makes image id's thumbnails again from its original. Its
// thumbnail blobs that are corrupt are removed first, so that the new
// bytes (the same, when the pipeline has not changed) can take their place.
func remakeThumbs(ctx context.Context, db *store.DB, images *store.ImageService, proc mediaProcessor, id string, corrupt []string) error {
	img, err := images.FindImageByID(ctx, id)
	if err != nil {
		return err
	}
	var bad []string
	for _, t := range img.Thumbs {
		if slices.Contains(corrupt, t.SHA256) {
			bad = append(bad, t.SHA256)
		}
	}
	if _, err := db.DiscardCorrupt(ctx, bad); err != nil {
		return err
	}
	return setMediaFromOriginal(ctx, images, proc, img)
}

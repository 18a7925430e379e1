package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"imagerepo/search"
	"imagerepo/store"
)

// runReindex is `imagerepo reindex [--data DIR]`: it rebuilds the search
// index of a stopped server's data dir from the store, with a progress line.
func runReindex(ctx context.Context, args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("imagerepo reindex", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dataDir := fs.String("data", "./imagerepo-data", "data directory")
	if code, ok := parseCommand(fs, args, stderr); !ok {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintln(stderr, "usage: imagerepo reindex [--data DIR]")
		return 2
	}
	if _, err := os.Stat(filepath.Join(*dataDir, "imagerepo.db")); err != nil {
		fmt.Fprintf(stderr, "imagerepo: %s holds no imagerepo data: %v\n", *dataDir, err)
		return 1
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	db, err := store.Open(*dataDir, store.Options{Logger: quiet})
	if err != nil {
		fmt.Fprintln(stderr, "imagerepo:", err)
		return 1
	}
	defer db.Close()
	start := time.Now()
	n, err := rebuildIndex(ctx, db, *dataDir, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "imagerepo:", err)
		return 1
	}
	if err := db.Close(); err != nil {
		fmt.Fprintln(stderr, "imagerepo:", err)
		return 1
	}
	fmt.Fprintf(stderr, "reindexed %d images in %s\n", n, time.Since(start).Round(time.Millisecond))
	return 0
}

// rebuildIndex rebuilds the search index of the open data dir from the
// store, with a progress line on stderr, closes it, and returns how many
// images it indexed.
func rebuildIndex(ctx context.Context, db *store.DB, dataDir string, stderr io.Writer) (images int, err error) {
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	seq, err := db.WriteSeq()
	if err != nil {
		return 0, err
	}
	idx, err := search.Open(filepath.Join(dataDir, "search"), search.Options{Logger: quiet, StoreSeq: seq, Source: store.NewImageService(db)})
	if err != nil {
		return 0, err
	}
	defer idx.Close()
	idx.WaitRebuild() // one Open may have started already; do ours after it
	progress := newProgress(stderr, func(done, total int64) string {
		return fmt.Sprintf("reindexing: %d of %d images", done, total)
	})
	err = idx.Rebuild(ctx, func(done, total int) {
		images = total
		progress(int64(done), int64(total))
	})
	progress(-1, 0)
	if err != nil {
		return 0, err
	}
	return images, idx.Close()
}

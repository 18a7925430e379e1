package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"imagerepo/store"
)

const restoreUsage = "usage: imagerepo restore [--data DIR] FILE"

// runRestore is `imagerepo restore --data DIR FILE`: it makes a fresh data
// dir from a backup archive. The archive is unpacked and checked into a
// temporary dir beside DIR, its search index built and the whole verified;
// only then is it renamed to DIR, so a failure leaves no half-made DIR.
func runRestore(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	flags := flag.NewFlagSet("imagerepo restore", flag.ContinueOnError)
	flags.SetOutput(stderr)
	dataDir := flags.String("data", "./imagerepo-data", "data directory to create (it must not exist, or be empty)")
	if code, ok := parseCommand(flags, args, stderr); !ok {
		return code
	}
	if flags.NArg() != 1 {
		fmt.Fprintf(stderr, "imagerepo: name one backup file\n%s\n", restoreUsage)
		return 2
	}
	if err := restore(ctx, *dataDir, flags.Arg(0), stdout, stderr); err != nil {
		fmt.Fprintln(stderr, "imagerepo: restore:", err)
		return 1
	}
	return 0
}

func restore(ctx context.Context, dir, file string, stdout, stderr io.Writer) (err error) {
	entries, err := os.ReadDir(dir)
	existed := err == nil
	if existed && len(entries) > 0 {
		return fmt.Errorf("%s is not empty: restore makes a fresh data dir; name a new or empty directory", dir)
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()

	abs, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(filepath.Dir(abs), filepath.Base(abs)+".tmp-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			os.RemoveAll(tmp)
		}
	}()
	info, err := f.Stat()
	if err != nil {
		return err
	}
	unpack := &progressReader{r: f, total: info.Size(), show: newProgressLine(stderr, "unpacking")}
	m, err := store.Restore(ctx, tmp, unpack)
	unpack.show(-1, 0)
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "unpacked %d files of the backup taken %s\n", len(m.Entries), m.CreatedAt.Format("2006-01-02 15:04:05 UTC"))

	db, err := openOffline(tmp, false)
	if err != nil {
		return err
	}
	_, err = rebuildIndex(ctx, db, tmp, stderr)
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	res, err := verifyDataDir(ctx, tmp, true, newProgressLine(stderr, "verifying"))
	if err != nil {
		return err
	}
	if !res.clean() {
		for _, p := range res.problems() {
			fmt.Fprintln(stdout, p)
		}
		return fmt.Errorf("the restored data does not verify (%d problems); %s was not made", len(res.problems()), dir)
	}
	if existed {
		if err := os.Remove(dir); err != nil {
			return err
		}
	}
	if err := os.Rename(tmp, abs); err != nil {
		return err
	}
	if d, err := os.Open(filepath.Dir(abs)); err == nil {
		d.Sync() // the rename's durability; not possible everywhere (Windows)
		d.Close()
	}
	fmt.Fprintf(stdout, "restored %d images into %s; it verifies clean\n", res.images, dir)
	return nil
}

// progressReader reports the bytes read through it.
type progressReader struct {
	r     io.Reader
	n     int64
	total int64
	show  func(done, total int64)
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	p.n += int64(n)
	p.show(p.n, p.total)
	return n, err
}

// Command genrepo fills a data directory with many small images through the
// store's public API, for the performance measurements in
// docs/performance.md (scripts/perf.sh runs it). It is not part of the
// product: it writes documents without the search index (run `imagerepo
// reindex` afterwards) and makes the first admin, "admin", whose API token
// it prints on stdout.
//
//	go run ./scripts/genrepo --data DIR --images 100000 [--photo FILE]
//
// Each image is a distinct tiny PNG (so every document has bytes of its
// own, as in real use) that serves as its own thumbnails; titles are film
// names and words from testdata. --photo also writes a JPEG photo of about
// 3 MB (noise at high quality) for the large-file measurements.
package main

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"log/slog"
	"math/rand/v2"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"imagerepo/gallery"
	"imagerepo/store"
)

func main() {
	dir := flag.String("data", "", "data directory to fill (created if missing)")
	n := flag.Int("images", 100000, "images to add")
	workers := flag.Int("workers", 8, "images written at once")
	photo := flag.String("photo", "", "also write a ~3 MB JPEG photo to this file")
	flag.Parse()
	if *dir == "" {
		fmt.Fprintln(os.Stderr, "genrepo: --data is required")
		os.Exit(2)
	}
	if err := run(*dir, *n, *workers, *photo); err != nil {
		fmt.Fprintln(os.Stderr, "genrepo:", err)
		os.Exit(1)
	}
}

func run(dir string, n, workers int, photo string) error {
	if photo != "" {
		if err := os.WriteFile(photo, noisePhoto(), 0o644); err != nil {
			return err
		}
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	quiet := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	db, err := store.Open(dir, store.Options{Logger: quiet})
	if err != nil {
		return err
	}
	defer db.Close()
	ctx := context.Background()
	users := store.NewUserService(db)
	if _, err := users.CreateFirstAdmin(ctx, "admin", "admin-password"); err != nil && gallery.ErrorCode(err) != gallery.ECONFLICT {
		return err
	}
	secret, _, err := store.NewTokenService(db).CreateToken(ctx, "admin", "perf")
	if err != nil {
		return err
	}
	titles := append(lines("testdata/films.txt"), lines("testdata/words.txt")...)
	images := store.NewImageService(db)

	start := time.Now()
	var next, done atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				if err := add(ctx, images, i, titles); err != nil {
					errs <- err
					return
				}
				if d := done.Add(1); d%10000 == 0 {
					fmt.Fprintf(os.Stderr, "genrepo: %d of %d images, %s\n", d, n, time.Since(start).Round(time.Second))
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "genrepo: %d images in %s\n", n, time.Since(start).Round(time.Millisecond))
	fmt.Println(secret)
	return nil
}

// add stores image i: a 4×4 PNG whose pixels spell i, its own thumbnails.
func add(ctx context.Context, images *store.ImageService, i int, titles []string) error {
	m := image.NewNRGBA(image.Rect(0, 0, 4, 4))
	for p := range 16 {
		m.Set(p%4, p/4, color.NRGBA{uint8(i >> (p % 3 * 8)), uint8(p * 16), uint8(i % 251), 255})
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, m); err != nil {
		return err
	}
	title := titles[i%len(titles)]
	if i >= len(titles) {
		title = fmt.Sprintf("%s %d", title, i/len(titles))
	}
	img := &gallery.Image{Title: title, Tags: []string{[]string{"sea", "city", "family", "work"}[i%4]},
		Owner: "admin", Visibility: gallery.Public, Filename: fmt.Sprintf("img%06d.png", i),
		ContentType: "image/png", Width: 4, Height: 4}
	th := func(size string) gallery.ThumbData {
		return gallery.ThumbData{Size: size, ContentType: "image/png", Width: 4, Height: 4, Data: buf.Bytes()}
	}
	_, _, err := images.CreateImage(ctx, img, bytes.NewReader(buf.Bytes()), th(gallery.ThumbSmall), th(gallery.ThumbLarge))
	return err
}

func lines(path string) []string {
	f, err := os.Open(path)
	if err != nil {
		return []string{"image"}
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if t := strings.TrimSpace(sc.Text()); t != "" {
			out = append(out, t)
		}
	}
	return out
}

// noisePhoto is a 2048×1536 JPEG of smooth colour with noise, about 3 MB at
// quality 95: the size of a phone photo, without shipping one.
func noisePhoto() []byte {
	r := rand.New(rand.NewPCG(1, 2))
	m := image.NewRGBA(image.Rect(0, 0, 2048, 1536))
	for y := range 1536 {
		for x := range 2048 {
			m.Set(x, y, color.RGBA{uint8(x/7 + r.IntN(90)), uint8(y/5 + r.IntN(90)), uint8((x+y)/11 + r.IntN(90)), 255})
		}
	}
	var buf bytes.Buffer
	_ = jpeg.Encode(&buf, m, &jpeg.Options{Quality: 95})
	return buf.Bytes()
}

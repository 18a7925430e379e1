package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	"imagerepo/api"
	"imagerepo/bench"
	"imagerepo/gallery"
	"imagerepo/imaging"
	"imagerepo/search"
	"imagerepo/store"
	"imagerepo/ui"
)

const (
	// benchFiles bounds the distinct files generated: documents beyond
	// them share their bytes, each owner holding each file once.
	benchFiles = 500
	// benchAbsent is how many images are made and deleted again, for ids
	// that are well formed but name nothing.
	benchAbsent = 64
	// benchBatch is the documents stored per transaction.
	benchBatch = 1000
)

var benchWords = []string{"sunset", "harbour", "mountain", "forest", "street", "portrait", "river", "market",
	"winter", "garden", "bridge", "desert", "night", "festival", "coast", "cathedral"}

// benchRepo is a temporary repository wired as `imagerepo serve` wires
// one (serveServices): the store, the search indexer and the hot-id cache
// in front, the metrics hooks, the thumbnail cache, and the API server on
// loopback with serve's log handler, writing to logTo (nil: discarded).
type benchRepo struct {
	logTo  io.Writer
	dir    string
	logs   *logBuffer
	db     *store.DB
	index  *search.Index
	server *api.Server
}

// benchLocal makes a repository of n images, measures it and removes it.
func benchLocal(ctx context.Context, n int, o bench.Options) (*bench.Report, error) {
	repo := &benchRepo{}
	defer repo.close()
	local, err := repo.open(ctx, n, o)
	if err != nil {
		return nil, err
	}
	return bench.RunLocal(ctx, local, o)
}

// open makes the repository, saying what it does on o.Progress.
func (r *benchRepo) open(ctx context.Context, n int, o bench.Options) (bench.Local, error) {
	start := time.Now()
	def := NewMain().Config
	if r.logTo == nil {
		r.logTo = io.Discard
	}
	// Each request's line is formatted and buffered as serve's is, then
	// dropped: its cost is part of what is measured.
	r.logs = newLogBuffer(r.logTo)
	logger := newLogger(r.logs, def.LogLevel, def.LogFormat)
	dir, err := os.MkdirTemp("", "imagerepo-bench-")
	if err != nil {
		return bench.Local{}, err
	}
	r.dir = dir
	if r.db, err = store.Open(dir, store.Options{Logger: logger}); err != nil {
		return bench.Local{}, err
	}
	stored := store.NewImageService(r.db)
	decoder := imaging.New(imaging.Limits{})

	// The search index is opened empty, before the fixture goes in beside
	// it: fetching by id never reads it, and indexing 10,000 documents
	// would take longer than the measuring (imagerepo reindex does that).
	if r.index, err = openIndex(r.db, stored, dir, logger); err != nil {
		return bench.Local{}, err
	}
	r.index.WaitRebuild()
	say := func(format string, args ...any) { o.Say("bench: "+format, args...) }
	say("making %d image files", min(n+benchAbsent, benchFiles))
	files, err := benchImages(ctx, decoder, min(n+benchAbsent, benchFiles))
	if err != nil {
		return bench.Local{}, err
	}
	var ids []string
	for first := 0; first < n+benchAbsent; first += benchBatch {
		say("storing images %d of %d", first, n+benchAbsent)
		batch := make([]store.NewImage, 0, benchBatch)
		for i := first; i < min(first+benchBatch, n+benchAbsent); i++ {
			batch = append(batch, benchImage(i, files))
		}
		created, err := stored.CreateImages(ctx, batch)
		if err != nil {
			return bench.Local{}, err
		}
		for _, img := range created {
			ids = append(ids, img.ID)
		}
	}

	say("deleting %d images for absent ids", benchAbsent)
	size := n / 2
	svc, images := serveServices(r.db, stored, r.index, size, def.ThumbCacheBytes)
	absent := ids[n:]
	for _, id := range absent {
		if err := images.DeleteImage(ctx, id); err != nil {
			return bench.Local{}, err
		}
	}

	cfg := def.API
	cfg.Version = version
	cfg.UploadDir = filepath.Join(dir, "uploads")
	if err := os.MkdirAll(cfg.UploadDir, 0o700); err != nil {
		return bench.Local{}, err
	}
	r.server = api.NewServer(cfg, svc, decoder, ui.FS(), logger)
	if err := r.server.Listen("127.0.0.1:0"); err != nil {
		return bench.Local{}, err
	}
	o.EndSay()
	return bench.Local{
		Cache: images,
		Counters: func() (uint64, uint64) {
			s := images.Stats()
			return s.Hits, s.Misses
		},
		Store:     stored,
		Images:    images,
		URL:       "http://" + r.server.Addr().String(),
		IDs:       ids[:n],
		Absent:    absent,
		CacheSize: size,
		Files:     len(files),
		Load:      time.Since(start),
	}, nil
}

// close stops the server, writes out the log and removes the repository;
// a second call does nothing.
func (r *benchRepo) close() {
	var errs []error
	if r.server != nil {
		errs = append(errs, r.server.Close())
	}
	if r.index != nil {
		errs = append(errs, r.index.Close())
	}
	if r.db != nil {
		errs = append(errs, r.db.Close())
	}
	if r.logs != nil {
		errs = append(errs, r.logs.Close())
	}
	if r.dir != "" {
		errs = append(errs, os.RemoveAll(r.dir))
	}
	*r = benchRepo{logTo: r.logTo}
	if err := errors.Join(errs...); err != nil {
		fmt.Fprintln(os.Stderr, "imagerepo bench: clean up:", err)
	}
}

// benchFile is a generated PNG and what the image pipeline made of it.
type benchFile struct {
	data []byte
	p    *gallery.Processed
}

// benchImages generates n distinct small PNGs and runs each through the
// upload pipeline (decode, thumbnails, perceptual hash), one per CPU.
func benchImages(ctx context.Context, decoder *imaging.Decoder, n int) ([]benchFile, error) {
	files := make([]benchFile, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	next := make(chan int)
	for range runtime.NumCPU() {
		wg.Go(func() {
			for i := range next {
				data, err := benchPNG(i)
				if err == nil {
					files[i].data = data
					files[i].p, err = decoder.ProcessUpload(ctx, bytes.NewReader(data))
				}
				errs[i] = err
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	return files, errors.Join(errs...)
}

// benchPNG draws image i: a 96×64 gradient in a colour of its own, with its
// number in the first pixels so that no two are alike.
func benchPNG(i int) ([]byte, error) {
	img := image.NewNRGBA(image.Rect(0, 0, 96, 64))
	r, g, b := uint8(i*37), uint8(i*91), uint8(i*53)
	for y := range 64 {
		for x := range 96 {
			copy(img.Pix[img.PixOffset(x, y):], []uint8{r + uint8(x), g + uint8(y*2), b + uint8(x+y), 255})
		}
	}
	copy(img.Pix, []uint8{uint8(i), uint8(i >> 8), uint8(i >> 16), 255})
	var buf bytes.Buffer
	err := (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(&buf, img)
	return buf.Bytes(), err
}

// benchImage is document i of the fixture, over generated file i mod the
// number of files.
func benchImage(i int, files []benchFile) store.NewImage {
	f := files[i%len(files)]
	p := f.p
	w1, w2 := benchWords[i%len(benchWords)], benchWords[(i/len(benchWords)+3)%len(benchWords)]
	return store.NewImage{
		Image: &gallery.Image{
			Title:       fmt.Sprintf("%s %s %d", w1, w2, i),
			Description: fmt.Sprintf("Generated image %d of the bench fixture.", i),
			Tags:        []string{w1, w2},
			Owner:       fmt.Sprintf("bench%d", i/len(files)),
			Visibility:  gallery.Public,
			Filename:    fmt.Sprintf("%s-%d.png", w1, i),
			ContentType: p.Info.ContentType, Width: p.Info.Width, Height: p.Info.Height,
			Camera: p.Camera, TakenAt: p.TakenAt, Location: p.Location, Hash: p.Hash,
		},
		Body:   f.data,
		Thumbs: []gallery.ThumbData{p.Small, p.Large},
	}
}

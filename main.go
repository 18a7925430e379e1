// Command imagerepo is a self-hosted image repository in one executable:
// upload, browse, search, view, edit and delete images in the browser or
// through the REST API, with everything stored in one data directory.
//
// main.go only wires: flags and environment, subcommands, start and
// graceful stop. The work is done by the packages it builds.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"imagerepo/api"
	"imagerepo/cache"
	"imagerepo/imaging"
	"imagerepo/search"
	"imagerepo/store"
	"imagerepo/ui"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		stop() // a second signal stops at once, without waiting for requests
	}()
	os.Exit(run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run dispatches the subcommand and returns the exit code.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	cmd := "serve"
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return runServe(ctx, args, stdout, stderr)
	case "reindex":
		return runReindex(ctx, args, stderr)
	case "user":
		return runUser(ctx, args, stdin, stdout, stderr)
	case "import":
		return runImport(ctx, args, stdout, stderr)
	case "verify":
		return runVerify(ctx, args, stdout, stderr)
	case "backup":
		return runBackup(ctx, args, stderr)
	case "restore":
		return runRestore(ctx, args, stdout, stderr)
	case "bench":
		return runBench(ctx, args, stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, versionLine())
		return 0
	case "help":
		usage(stdout)
		return 0
	}
	fmt.Fprintf(stderr, "imagerepo: unknown command %q\n\n", cmd)
	usage(stderr)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprint(w, `Usage: imagerepo [command] [flags]

Commands:
  serve     serve the web UI and the REST API (the default)
  user add NAME [--admin] [--data DIR]
            add an account to a stopped server's data dir; the password
            is read from standard input, or asked for on a terminal
  reindex [--data DIR]
            rebuild the search index of a stopped server's data dir
  import --server URL --token TOKEN [--concurrency N]
         [--visibility public|private] [--tags a,b] [--json] DIR...
            upload every image under the folders to a running server,
            skipping what it already has; run it again to finish an
            interrupted import
  verify [--data DIR] [--repair]
            check a stopped server's data dir (bbolt, every blob's
            sha256, unreferenced blobs, the search index); --repair
            removes unreferenced blobs, remakes thumbnails and rebuilds
            the index
  backup --server URL --token TOKEN FILE
            save a backup of a running server (admin token) to FILE
  restore [--data DIR] FILE
            make a fresh data dir from a backup file, verified
  bench [--images N] [--concurrency C] [--duration D] [--json] [--svg FILE]
        [--server URL [--token TOKEN]]
            measure fetching an image by id, cache hit against miss, on a
            temporary repository of N images (or a running server's own
            images, read only) and compare with the original's 7.6x and 3.9x
  version   print the version, the commit and the Go it was built with

Run 'imagerepo serve --help' for the flags. Every flag --foo-bar can also be
set as the environment variable IMAGEREPO_FOO_BAR.
`)
}

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	m := NewMain()
	if err := m.ParseFlags(args, stderr); errors.Is(err, flag.ErrHelp) {
		return 0
	} else if err != nil {
		fmt.Fprintln(stderr, "imagerepo:", err)
		return 2
	}
	logs := newLogBuffer(stderr)
	defer logs.Close()
	m.Logger = newLogger(logs, m.Config.LogLevel, m.Config.LogFormat)
	if m.showVersion {
		fmt.Fprintln(stdout, versionLine())
		return 0
	}
	if err := m.Run(ctx); err != nil {
		m.Close()
		logs.Flush()
		fmt.Fprintln(stderr, "imagerepo:", err)
		return 1
	}
	m.Logger.Info("imagerepo is running", "url", m.URL(), "data", m.Config.DataDir, "version", version)
	<-ctx.Done()
	m.Logger.Info("shutting down")
	if err := m.Close(); err != nil {
		logs.Flush()
		fmt.Fprintln(stderr, "imagerepo:", err)
		return 1
	}
	return 0
}

// Config is everything the serve command can be told.
type Config struct {
	Addr              string
	DataDir           string
	CacheSize         int
	ThumbCacheBytes   int64
	MaxPixels         int64
	MaxGIFFrames      int
	DecodeConcurrency int
	LogLevel          slog.Level // of the log on stderr; request lines are info
	LogFormat         string     // text or json
	API               api.Config
}

// Main is the running program: its config and the parts it wired.
type Main struct {
	Config Config
	Logger *slog.Logger

	db          *store.DB
	index       *search.Index
	server      *api.Server
	stop        context.CancelFunc // ends the background jobs
	jobs        sync.WaitGroup
	showVersion bool
}

// NewMain returns a Main with the default config.
func NewMain() *Main {
	return &Main{
		Config: Config{
			Addr:            ":8080",
			DataDir:         "./imagerepo-data",
			CacheSize:       cache.DefaultSize,
			ThumbCacheBytes: cache.DefaultBlobBytes,
			MaxPixels:       100_000_000,
			MaxGIFFrames:    1000,
			LogFormat:       "text",
			API:             api.DefaultConfig(),
		},
		Logger: slog.Default(),
	}
}

// Run opens the data dir, wires the services and starts serving. It returns
// once the server listens.
func (m *Main) Run(ctx context.Context) error {
	if err := os.MkdirAll(m.Config.DataDir, 0o700); err != nil {
		return fmt.Errorf("create data dir: %w", err)
	}
	db, err := store.Open(m.Config.DataDir, store.Options{Logger: m.Logger})
	if err != nil {
		return err
	}
	m.db = db

	apiCfg := m.Config.API
	apiCfg.Version = version
	apiCfg.UploadDir = filepath.Join(m.Config.DataDir, "uploads")
	// Spooled parts of uploads that were cut off by a stop are garbage.
	if err := os.RemoveAll(apiCfg.UploadDir); err != nil {
		return err
	}
	if err := os.MkdirAll(apiCfg.UploadDir, 0o700); err != nil {
		return err
	}

	stored := store.NewImageService(db)
	if m.index, err = openIndex(db, stored, m.Config.DataDir, m.Logger); err != nil {
		return err
	}
	svc, images := serveServices(db, stored, m.index, m.Config.CacheSize, m.Config.ThumbCacheBytes)
	jobs, stop := context.WithCancel(context.Background())
	m.stop = stop
	// Pages of the bbolt file read for requests count in the RSS until they
	// are given back; they stay in the page cache either way.
	m.every(jobs, 30*time.Second, "trim the store's memory map", func(context.Context) error {
		return db.TrimMapped()
	})
	m.every(jobs, time.Hour, "delete expired sessions", func(ctx context.Context) error {
		_, err := store.NewSessionService(db).DeleteExpired(ctx)
		return err
	})
	decoder := imaging.New(imaging.Limits{
		MaxPixels:     m.Config.MaxPixels,
		MaxGIFFrames:  m.Config.MaxGIFFrames,
		MaxConcurrent: m.Config.DecodeConcurrency,
	})
	// Images stored before thumbnails existed get them in the background;
	// until then they are served from their originals.
	m.jobs.Add(1)
	go func() {
		defer m.jobs.Done()
		if err := migrateMedia(jobs, images, db, decoder, m.Logger); err != nil && jobs.Err() == nil {
			m.Logger.Warn("media migration failed", "err", err)
		}
	}()
	m.server = api.NewServer(apiCfg, svc, decoder, ui.FS(), m.Logger)
	if err := m.server.Listen(m.Config.Addr); err != nil {
		return fmt.Errorf("listen on %s: %w", m.Config.Addr, err)
	}
	return nil
}

// openIndex opens the search index in the data dir; it rebuilds itself
// from the store in the background when it disagrees with it.
func openIndex(db *store.DB, stored *store.ImageService, dataDir string, logger *slog.Logger) (*search.Index, error) {
	seq, err := db.WriteSeq()
	if err != nil {
		return nil, err
	}
	return search.Open(filepath.Join(dataDir, "search"), search.Options{Logger: logger, StoreSeq: seq, Source: stored})
}

// serveServices wires what the API server of serve runs on. The image
// layers, innermost first: the store, the search indexer that follows every
// write, the hot-id cache of cacheSize documents in front; then the metrics
// hooks over them and the hot-thumbnail cache of thumbBytes. bench wires its
// temporary repository with it too, so that it measures what serve runs.
func serveServices(db *store.DB, stored *store.ImageService, index *search.Index, cacheSize int, thumbBytes int64) (api.Services, *cache.ImageService) {
	images := cache.New(search.NewImageService(stored, index), cacheSize)
	hooks, searched := observe(db, images, index)
	return api.Services{
		Images:   images,
		Users:    search.NewUserService(store.NewUserService(db), index),
		Sessions: store.NewSessionService(db),
		Tokens:   store.NewTokenService(db),
		Search:   searched,
		Similar:  stored,
		Hooks:    hooks,
		Backup:   backups{db},
		Thumbs:   cache.NewBlobs(thumbBytes),
	}, images
}

// backups lets the api take backups of the store.
type backups struct{ db *store.DB }

func (b backups) StartBackup(ctx context.Context) (api.BackupArchive, error) {
	bk, err := b.db.StartBackup(ctx)
	if err != nil {
		return nil, err
	}
	return bk, nil
}

// URL is the address to open in a browser.
func (m *Main) URL() string {
	if m.server == nil || m.server.Addr() == nil {
		return ""
	}
	host, port, _ := net.SplitHostPort(m.server.Addr().String())
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// every runs job now and then every interval until ctx ends; Close waits
// for it.
func (m *Main) every(ctx context.Context, interval time.Duration, name string, job func(context.Context) error) {
	m.jobs.Add(1)
	go func() {
		defer m.jobs.Done()
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			if err := job(ctx); err != nil && ctx.Err() == nil {
				m.Logger.Warn("background job failed", "job", name, "err", err)
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
}

// Close stops the server, letting requests in flight finish, then the
// background jobs, then closes the store.
func (m *Main) Close() error {
	var errs []error
	if m.server != nil {
		start := time.Now()
		errs = append(errs, m.server.Close())
		m.Logger.Debug("http server stopped", "took", time.Since(start))
	}
	if m.stop != nil {
		m.stop()
		m.jobs.Wait()
	}
	if m.index != nil {
		errs = append(errs, m.index.Close())
	}
	if m.db != nil {
		errs = append(errs, m.db.Close())
	}
	return errors.Join(errs...)
}

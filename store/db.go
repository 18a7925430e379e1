package store

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"syscall"
	"time"

	"go.etcd.io/bbolt"
)

// Names inside the data directory.
const (
	dbFile     = "imagerepo.db"
	blobsDir   = "blobs"
	tmpDir     = "tmp" // under blobsDir, so that a rename never crosses file systems
	markerFile = ".running"
)

// DefaultLockTimeout is how long Open waits for another process to let go of
// the data directory before it gives up.
const DefaultLockTimeout = time.Second

// errClosed is returned by every operation after Close.
var errClosed = errors.New("store: database is closed")

// Options configures Open. The zero value is ready to use.
type Options struct {
	// LockTimeout bounds the wait for the data directory's file lock.
	// Zero means DefaultLockTimeout.
	LockTimeout time.Duration

	// Now is the clock for ids and timestamps. Nil means time.Now.
	Now func() time.Time

	// Logger receives the store's few log lines. Nil means slog.Default().
	Logger *slog.Logger

	// MaxHashes caps the password hashes computed at once across every
	// service of the DB. Zero means DefaultMaxHashes.
	MaxHashes int

	// ReadOnly opens the data directory to be looked at only, by a check
	// such as Verify, next to nothing that writes: the file is locked
	// shared (a running server still keeps it out), nothing is migrated,
	// swept or written, and every write fails.
	ReadOnly bool

	// argonMemory replaces the Argon2id memory (KiB) of new hashes. Only
	// tests set it (export_test.go), to keep hash-heavy tests fast.
	argonMemory uint32
}

// DB is an open data directory: the bbolt file and the blob folder.
// It is safe for concurrent use.
type DB struct {
	dir      string
	readOnly bool
	blobDir  string
	tmpDir   string
	bolt     *bbolt.DB
	now      func() time.Time
	log      *slog.Logger

	// openedAt is the real time at which this process took the data
	// directory; the sweep leaves newer blobs alone.
	openedAt time.Time

	shaLocks [256]sync.Mutex
	// hold defers blob removals while a backup runs; see WriteBackup.
	hold blobHold

	// hashSem holds one slot per password hash being computed.
	hashSem chan struct{}
	// argon are the parameters of new password hashes; dummyHash is
	// checked instead of a stored hash for an unknown name.
	argon     argonParams
	dummyHash string
	// touching holds the token hashes whose last use is being written, so
	// that a burst of requests with one token writes once.
	touching sync.Map

	// hashes are the images' perceptual hashes in memory, for FindSimilar.
	hashes hashIndex

	idMu   sync.Mutex
	lastID int64 // unix nanoseconds of the newest id made or stored

	// gate lets Close wait for operations in flight: each holds a read lock
	// while it touches bbolt or the blob folder, Close takes the write lock.
	gate   sync.RWMutex
	closed bool

	cancel     context.CancelFunc
	sweepDone  chan struct{}
	sweepEnded bool // set by the sweep when it went through every blob
	closeOnce  sync.Once
	closeErr   error
}

// Open opens (creating if needed) the data directory dir. It fails fast when
// another process holds it, refuses a schema newer than SchemaVersion and
// runs the migrations up to it. When the last run stopped uncleanly it starts
// a background sweep of unreferenced blobs and returns without waiting.
func Open(dir string, opts Options) (*DB, error) {
	if opts.LockTimeout <= 0 {
		opts.LockTimeout = DefaultLockTimeout
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.MaxHashes <= 0 {
		opts.MaxHashes = DefaultMaxHashes
	}
	argon := defaultArgon
	if opts.argonMemory != 0 {
		argon.memory = opts.argonMemory
	}
	db := &DB{
		dir:       dir,
		readOnly:  opts.ReadOnly,
		blobDir:   filepath.Join(dir, blobsDir),
		tmpDir:    filepath.Join(dir, blobsDir, tmpDir),
		now:       opts.Now,
		log:       opts.Logger,
		sweepDone: make(chan struct{}),
		hashSem:   make(chan struct{}, opts.MaxHashes),
		argon:     argon,
		dummyHash: dummyPasswordHash(argon),
	}
	if opts.ReadOnly {
		return db.openReadOnly(opts)
	}
	if err := os.MkdirAll(db.tmpDir, 0o750); err != nil {
		return nil, dirErr(dir, fmt.Errorf("store: create data dir: %w", err))
	}

	// The lock comes first: until we hold it, the marker and the temp files
	// may belong to a live process.
	bdb, err := bbolt.Open(filepath.Join(dir, dbFile), 0o600, &bbolt.Options{
		Timeout:      opts.LockTimeout,
		FreelistType: bbolt.FreelistMapType,
	})
	if errors.Is(err, bbolt.ErrTimeout) {
		return nil, fmt.Errorf("data dir %q is in use by another imagerepo process", dir)
	} else if err != nil {
		return nil, dirErr(dir, fmt.Errorf("store: open %s: %w", filepath.Join(dir, dbFile), err))
	}
	db.bolt = bdb
	db.openedAt = time.Now()

	crashed, err := db.start()
	if err != nil {
		_ = bdb.Close()
		return nil, dirErr(dir, err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	db.cancel = cancel
	if crashed {
		go db.sweep(ctx)
	} else {
		db.sweepEnded = true
		close(db.sweepDone)
	}
	return db, nil
}

// openReadOnly is Open for Options.ReadOnly.
func (db *DB) openReadOnly(opts Options) (*DB, error) {
	path := filepath.Join(db.dir, dbFile)
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	bdb, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: opts.LockTimeout, ReadOnly: true})
	if errors.Is(err, bbolt.ErrTimeout) {
		return nil, fmt.Errorf("data dir %q is in use by another imagerepo process", db.dir)
	} else if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	db.bolt = bdb
	var v uint64
	_ = bdb.View(func(tx *bbolt.Tx) error {
		v = schemaVersion(tx)
		return nil
	})
	if v != SchemaVersion {
		_ = bdb.Close()
		return nil, fmt.Errorf("data dir %q holds schema version %d, this imagerepo %d: start the server on it once to migrate it", db.dir, v, SchemaVersion)
	}
	db.cancel = func() {}
	close(db.sweepDone)
	return db, nil
}

// start prepares an opened bbolt file and reports whether the previous run
// stopped uncleanly.
func (db *DB) start() (crashed bool, err error) {
	if err := db.migrate(); err != nil {
		return false, err
	}
	if err := db.adoptAtStart(); err != nil {
		return false, err
	}
	if err := db.loadLastID(); err != nil {
		return false, err
	}
	if err := emptyDir(db.tmpDir); err != nil {
		return false, fmt.Errorf("store: empty %s: %w", db.tmpDir, err)
	}

	marker := filepath.Join(db.dir, markerFile)
	if _, err := os.Lstat(marker); err == nil {
		crashed = true
	} else if !errors.Is(err, fs.ErrNotExist) {
		return false, fmt.Errorf("store: %w", err)
	}
	if err := writeMarker(marker); err != nil {
		return false, fmt.Errorf("store: write run marker: %w", err)
	}
	return crashed, syncDir(db.dir)
}

// Close waits for the sweep and the operations in flight, then closes the
// bbolt file and removes the run marker. Calls after the first return the
// first call's result.
func (db *DB) Close() error {
	db.closeOnce.Do(func() {
		db.cancel()
		<-db.sweepDone

		db.gate.Lock()
		db.closed = true
		db.gate.Unlock()

		// The marker goes while we still hold the file lock, so that it can
		// never be another process's marker that we remove.
		var errs []error
		if db.sweepEnded {
			marker := filepath.Join(db.dir, markerFile)
			if err := os.Remove(marker); err != nil && !errors.Is(err, fs.ErrNotExist) {
				errs = append(errs, err)
			} else if err := syncDir(db.dir); err != nil {
				errs = append(errs, err)
			}
		}
		if err := db.bolt.Close(); err != nil {
			errs = append(errs, err)
		}
		db.closeErr = errors.Join(errs...)
	})
	return db.closeErr
}

// WaitSweep blocks until the background sweep started by Open has ended, at
// once when there was none.
func (db *DB) WaitSweep() { <-db.sweepDone }

// enter admits one operation unless the DB is closed; the caller calls the
// returned func when it is done. An operation enters once: a nested enter
// could deadlock against a waiting Close.
func (db *DB) enter() (leave func(), err error) {
	db.gate.RLock()
	if db.closed {
		db.gate.RUnlock()
		return nil, errClosed
	}
	return db.gate.RUnlock, nil
}

// view runs fn in a read transaction as one operation: a cancelled ctx or a
// closed DB stops it first.
func (db *DB) view(ctx context.Context, fn func(tx *bbolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	leave, err := db.enter()
	if err != nil {
		return err
	}
	defer leave()
	return db.bolt.View(fn)
}

// update runs fn in a write transaction as one operation, like view. A
// full disk comes back as EINSUFFICIENTSTORAGE.
func (db *DB) update(ctx context.Context, op string, fn func(tx *bbolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	leave, err := db.enter()
	if err != nil {
		return err
	}
	defer leave()
	if err := db.bolt.Update(fn); err != nil {
		return storageErr(op, err)
	}
	return nil
}

// dirErr says in plain words that the data directory cannot be written when
// err comes from a read-only file system or missing permissions, and returns
// any other err as it is.
func dirErr(dir string, err error) error {
	if errors.Is(err, fs.ErrPermission) || errors.Is(err, syscall.EROFS) {
		return fmt.Errorf("data dir %q is read-only or not writable by this user (imagerepo needs to write there): %w", dir, err)
	}
	return err
}

func writeMarker(path string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(f, "pid %d since %s\n", os.Getpid(), time.Now().UTC().Format(time.RFC3339))
	if err == nil {
		err = f.Sync()
	}
	return errors.Join(err, f.Close())
}

// emptyDir removes everything inside dir, leaving dir itself.
func emptyDir(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
			return err
		}
	}
	return nil
}

// syncDir makes the entries of dir (a rename, a removal) durable.
func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil // directories cannot be fsynced there; NTFS journals the entries
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	return errors.Join(err, d.Close())
}

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
	"runtime/debug"
	"sync"
	"sync/atomic"
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
	// writesStopped is set by stopWrites, boltHeld by rollback.
	writesStopped atomic.Pointer[error]
	boltHeld      atomic.Bool
	// writeMu is held by every write transaction; see beginTx.
	writeMu sync.Mutex

	cancel     context.CancelFunc
	sweepDone  chan struct{}
	sweepEnded bool // set by the sweep when it went through every blob
	closeOnce  sync.Once
	closeErr   error
}

// Open opens (creating if needed) the data directory dir. It fails fast when
// another process holds it, refuses a damaged bbolt file, or none beside
// stored bytes (see checkNotLost), refuses a schema newer than
// SchemaVersion and runs the migrations up to it. When the last run stopped uncleanly it starts
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
	if err := db.checkNotLost(); err != nil {
		return nil, err
	}
	if opts.ReadOnly {
		return db.openReadOnly(opts)
	}
	if err := os.MkdirAll(db.tmpDir, 0o750); err != nil {
		return nil, dirErr(dir, fmt.Errorf("store: create data dir: %w", err))
	}

	// The lock comes first: until we hold it, the marker and the temp files
	// may belong to a live process.
	bdb, err := openBolt(filepath.Join(dir, dbFile), &bbolt.Options{
		Timeout:      opts.LockTimeout,
		FreelistType: bbolt.FreelistMapType,
	})
	if errors.Is(err, bbolt.ErrTimeout) {
		return nil, fmt.Errorf("data dir %q is in use by another imagerepo process", dir)
	} else if err != nil {
		return nil, dirErr(dir, err)
	}
	db.bolt = bdb
	db.openedAt = time.Now()

	var crashed bool
	err = db.checkFileSize()
	if err == nil {
		err = catchDamage(db.dbPath(), func() (err error) {
			crashed, err = db.start()
			return err
		})
	}
	if err != nil {
		_ = db.closeBolt()
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
	bdb, err := openBolt(path, &bbolt.Options{Timeout: opts.LockTimeout, ReadOnly: true})
	if errors.Is(err, bbolt.ErrTimeout) {
		return nil, fmt.Errorf("data dir %q is in use by another imagerepo process", db.dir)
	} else if err != nil {
		return nil, err
	}
	db.bolt = bdb
	var v uint64
	err = db.checkFileSize()
	if err == nil {
		err = catchDamage(path, func() error {
			return bdb.View(func(tx *bbolt.Tx) error {
				v = schemaVersion(tx)
				return nil
			})
		})
	}
	if err != nil {
		_ = bdb.Close()
		return nil, err
	}
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
		if err := db.closeBolt(); err != nil {
			errs = append(errs, err)
		}
		db.closeErr = errors.Join(errs...)
	})
	return db.closeErr
}

// closeBolt closes the bbolt file, unless a write could not be rolled
// back (see rollback): bbolt's Close would wait for ever for the write
// lock that write holds, and the file is let go of as the process ends.
func (db *DB) closeBolt() error {
	if db.boltHeld.Load() {
		return *db.writesStopped.Load()
	}
	return db.bolt.Close()
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
	return db.viewTx(fn)
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
	if err := db.updateTx(fn); err != nil {
		return storageErr(op, err)
	}
	return nil
}

// viewTx and updateTx run fn in a bbolt read or write transaction. A panic
// in it comes back as a *txPanic, logged with its stack, instead of ending
// the process: the search index's rebuild, the media migration and the
// sweep read the store from goroutines of their own.
func (db *DB) viewTx(fn func(*bbolt.Tx) error) (err error) {
	// catching, without its closures: this is on every store read.
	// bbolt's rollback of a read transaction reads no page, so View is
	// safe past a panic.
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			err = db.txPanicked(r)
		}
	}()
	return db.bolt.View(fn)
}

// updateTx is viewTx for a write transaction, which bbolt's Update cannot
// run safely past a panic: its rollback reads the freelist page again,
// and where that page is damaged it panics a second time before it lets
// go of the write lock, so every later write and Close would hang.
// updateTx rolls back with Tx.Rollback, which reads no page. A panic in
// the commit stops the DB's writes (see stopWrites): the commit may have
// left bbolt's list of free pages half made.
func (db *DB) updateTx(fn func(*bbolt.Tx) error) (err error) {
	tx, end, err := db.beginTx(true)
	if err != nil {
		return err
	}
	defer end()
	committing := false
	err = catching(func() error {
		if err := fn(tx); err != nil {
			return err
		}
		committing = true
		return tx.Commit()
	}, db.txPanicked)
	if p := (*txPanic)(nil); committing && errors.As(err, &p) {
		db.stopWrites(err)
	}
	return err
}

// beginTx starts a bbolt transaction, and returns with it end, which rolls
// it back unless it was committed. Write transactions take turns on
// writeMu until end, so that one that waited for a write which stopped
// writes (see stopWrites) is refused, rather than waiting on bbolt's lock.
func (db *DB) beginTx(writable bool) (tx *bbolt.Tx, end func(), err error) {
	if !writable {
		if tx, err = db.bolt.Begin(false); err != nil {
			return nil, nil, err
		}
		return tx, func() { _ = tx.Rollback() }, nil
	}
	db.writeMu.Lock()
	if err := db.writesStopped.Load(); err != nil {
		db.writeMu.Unlock()
		return nil, nil, *err
	}
	if tx, err = db.bolt.Begin(true); err != nil {
		db.writeMu.Unlock()
		return nil, nil, err
	}
	return tx, func() {
		db.rollback(tx)
		db.writeMu.Unlock()
	}, nil
}

// rollback rolls back the write transaction tx; after a commit, or a
// failed commit, which rolled back already, it does nothing. A rollback
// that panics leaves bbolt's write lock held: it stops the DB's writes,
// and Close leaves the bbolt file to the process's end.
func (db *DB) rollback(tx *bbolt.Tx) {
	err := catching(func() error {
		_ = tx.Rollback()
		return nil
	}, db.txPanicked)
	if err != nil {
		db.boltHeld.Store(true)
		db.stopWrites(err)
	}
}

// stopWrites refuses every write from here on, with cause: a write
// failed in a way that may leave bbolt unsound in memory. Reads go on.
func (db *DB) stopWrites(cause error) {
	err := fmt.Errorf("store: writes are stopped until imagerepo restarts (a write failed part way: %w)", cause)
	if db.writesStopped.CompareAndSwap(nil, &err) {
		db.log.Error("store: writes stopped", "err", cause)
	}
}

// txPanicked logs a panic raised in a transaction and returns it as a
// *txPanic.
func (db *DB) txPanicked(r any) error {
	db.log.Error("store: a transaction panicked", "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
	return &txPanic{r}
}

// txPanic is a panic raised in a bbolt transaction, as an error: bbolt's
// on a page that is not what it should be, a fault reading the mapped file
// (see catching), or a bug. bbolt rolled the transaction back.
type txPanic struct{ r any }

func (p *txPanic) Error() string {
	return fmt.Sprintf("store: a database read failed (%v): its file may be damaged; imagerepo verify checks it", p.r)
}

func (db *DB) dbPath() string { return filepath.Join(db.dir, dbFile) }

// openBolt opens the bbolt file at path. A file that is not a sound bbolt
// file is called damaged (see damagedErr), also where bbolt panics on it
// as it opens (it reads the freelist then); bbolt.ErrTimeout comes back as
// it is.
func openBolt(path string, opts *bbolt.Options) (bdb *bbolt.DB, err error) {
	err = catchDamage(path, func() (err error) {
		bdb, err = bbolt.Open(path, 0o600, opts)
		return err
	})
	var pathErr *fs.PathError
	var errno syscall.Errno
	var damaged *damageError
	switch {
	case err == nil || errors.Is(err, bbolt.ErrTimeout) || errors.As(err, &damaged):
		return bdb, err
	case errors.As(err, &pathErr) || errors.As(err, &errno):
		return nil, fmt.Errorf("store: open %s: %w", path, err) // the system's, not the file's
	}
	return nil, damagedErr(path, err) // bbolt's: invalid, checksum, version, size ...
}

// checkNotLost refuses a bbolt file that is missing or empty while blobs
// are stored: the database was lost (deleted, or cut to nothing). bbolt
// would make a new, empty one, the gallery would look empty, and every
// stored byte would look unreferenced, for the sweep after an unclean stop
// and verify --repair to delete.
func (db *DB) checkNotLost() error {
	fi, err := os.Stat(db.dbPath())
	switch {
	case err == nil && fi.Size() > 0:
		return nil
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return nil // bbolt.Open says what is wrong
	case !hasBlobs(db.blobDir):
		return nil // a new data directory
	}
	what := "missing"
	if err == nil {
		what = "empty"
	}
	return fmt.Errorf("data dir %q holds stored images (%s) but its database %s is %s: %s; to start afresh instead, move %s away",
		db.dir, blobsDir, dbFile, what, restoreAdvice(db.dir), blobsDir)
}

// hasBlobs reports whether some shard of the blob folder holds a file.
func hasBlobs(blobDir string) bool {
	shards, err := os.ReadDir(blobDir)
	if err != nil {
		return false
	}
	for _, sh := range shards {
		if !sh.IsDir() || len(sh.Name()) != 2 {
			continue // the temp folder, or not ours
		}
		f, err := os.Open(filepath.Join(blobDir, sh.Name()))
		if err != nil {
			continue
		}
		names, _ := f.Readdirnames(1)
		f.Close()
		if len(names) > 0 {
			return true
		}
	}
	return false
}

// damagedErr says that the bbolt file at path cannot be read as it is,
// and what to do.
func damagedErr(path string, cause any) error { return &damageError{path, cause} }

type damageError struct {
	path  string
	cause any
}

func (e *damageError) Error() string {
	return fmt.Sprintf("store: %s is damaged (%v): %s", e.path, e.cause, restoreAdvice(filepath.Dir(e.path)))
}

// restoreAdvice says how to put the data directory dir back from a backup.
func restoreAdvice(dir string) string {
	return fmt.Sprintf("move %s aside and restore a backup in its place (imagerepo restore --data %s BACKUP.tar)", dir, dir)
}

// catchDamage runs fn, which reads the bbolt file at path, and turns the
// panic bbolt raises on a page that is not what it should be into
// damagedErr; also a read of the mapped file past its end (SIGBUS), which
// would otherwise end the process.
func catchDamage(path string, fn func() error) error {
	err := catching(fn, func(r any) error { return damagedErr(path, r) })
	if p := (*txPanic)(nil); errors.As(err, &p) {
		return damagedErr(path, p.r)
	}
	return err
}

// catching runs fn and returns a panic raised in it as the error made by
// wrap; also a fault reading memory, such as a read of the mapped bbolt
// file past its end (SIGBUS), which would otherwise end the process.
func catching(fn func() error, wrap func(r any) error) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			err = wrap(r)
		}
	}()
	return fn()
}

// checkFileSize refuses a bbolt file shorter than its meta page says its
// pages reach (a copy or a disk that stopped short): bbolt would read past
// its end and panic, or read zeros as pages.
func (db *DB) checkFileSize() error {
	var need int64
	if err := catchDamage(db.dbPath(), func() error {
		return db.viewTx(func(tx *bbolt.Tx) error {
			need = tx.Size()
			return nil
		})
	}); err != nil {
		return err
	}
	fi, err := os.Stat(db.dbPath())
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	if fi.Size() < need {
		return damagedErr(db.dbPath(), fmt.Sprintf("cut short: %d bytes where its pages need %d", fi.Size(), need))
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

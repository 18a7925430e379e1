package store

import (
	"archive/tar"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"
	"sync"
	"time"

	"go.etcd.io/bbolt"
)

// A backup archive is a tar stream: the bbolt file as imagerepo.db, then
// every blob a document refers to as blobs/ab/abcd..., then manifest.json,
// which lists every entry before it with its size and sha256. The manifest
// comes last because the file's hash is known only once it has been sent;
// an archive without it is incomplete.
const (
	manifestName = "manifest.json"
	// BackupFormat is the version of the archive layout WriteBackup writes
	// and Restore reads.
	BackupFormat = 1
)

// BackupManifest describes a backup archive.
type BackupManifest struct {
	Format        int           `json:"format"`
	CreatedAt     time.Time     `json:"created_at"`
	SchemaVersion uint64        `json:"schema_version"`
	WriteSeq      uint64        `json:"write_seq"`
	Images        int           `json:"images"`
	Entries       []BackupEntry `json:"entries"`
}

// BackupEntry is one file of a backup archive.
type BackupEntry struct {
	Name   string `json:"name"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// blobHold keeps blob removals off while backups run: a removal asked for
// meanwhile is remembered and done when the last backup ends, after a fresh
// look at the references. A backup's snapshot therefore never refers to a
// blob that is gone before the backup has copied it.
type blobHold struct {
	mu       sync.Mutex
	active   int
	deferred map[string]bool
}

// deferRemoval reports whether removals are held, and then remembers sha.
func (h *blobHold) deferRemoval(sha string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.active == 0 {
		return false
	}
	if h.deferred == nil {
		h.deferred = map[string]bool{}
	}
	h.deferred[sha] = true
	return true
}

// Backup is a snapshot of the data dir on its way out as a backup archive
// (see BackupFormat): StartBackup takes it, WriteTo writes it, Close ends
// it. While it is open the DB does not close and no blob is removed.
type Backup struct {
	db     *DB
	leave  func()
	m      *BackupManifest
	snap   *os.File // the bbolt file as the snapshot's transaction saw it
	dbSize int64
	shas   []string
	sizes  []int64
	size   int64
	held   bool // counted in db.hold: Close ends it
	once   sync.Once
}

// StartBackup takes a consistent snapshot of the data dir: the bbolt file
// as one read transaction sees it, and the list of every blob it refers
// to, each of which must be there. Uploads, edits and deletes go on
// meanwhile; blobs that deletes free are removed only once no backup is
// open. The read transaction lasts while the bbolt file is copied to a
// temporary file in the data dir (so it needs room for one more copy of
// it), not while the archive travels. The caller must Close the Backup.
//
// A missing blob fails here; a blob whose bytes do not match its name
// fails WriteTo, before the manifest, so the archive cannot be restored:
// run verify on the data dir.
func (db *DB) StartBackup(ctx context.Context) (_ *Backup, err error) {
	leave, err := db.enter()
	if err != nil {
		return nil, err
	}
	b := &Backup{db: db, leave: leave}
	defer func() {
		if err != nil {
			b.Close()
		}
	}()

	// Under every sha lock no delete is between its commit and its blob
	// removal, so every blob the snapshot refers to is still there, and
	// every removal from here on waits for endBackup.
	for i := range db.shaLocks {
		db.shaLocks[i].Lock()
	}
	db.hold.mu.Lock()
	db.hold.active++
	db.hold.mu.Unlock()
	b.held = true
	tx, err := db.bolt.Begin(false)
	for i := range db.shaLocks {
		db.shaLocks[i].Unlock()
	}
	if err != nil {
		return nil, err
	}
	defer func() { _ = tx.Rollback() }()

	// The bbolt file goes to a local copy first, so that the transaction
	// ends quickly: a long read transaction would hold up any commit that
	// needs to grow the file's memory map, for as long as a slow client
	// takes to read the archive.
	b.m = &BackupManifest{Format: BackupFormat, CreatedAt: time.Now().UTC().Truncate(time.Second),
		SchemaVersion: schemaVersion(tx), WriteSeq: writeSeq(tx), Images: tx.Bucket(imagesBucket).Stats().KeyN}
	b.shas = referencedBlobs(tx)
	if b.snap, err = os.CreateTemp(db.tmpDir, "backup-*.db"); err != nil {
		return nil, storageErr("create backup copy", err)
	}
	if b.dbSize, err = tx.WriteTo(b.snap); err != nil {
		return nil, storageErr("copy the bbolt file", err)
	}
	_ = tx.Rollback()
	if _, err := b.snap.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	for _, sha := range b.shas {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		info, err := os.Stat(db.blobPath(sha))
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("store: backup: blob %s is missing: run imagerepo verify on the data dir", sha)
		} else if err != nil {
			return nil, fmt.Errorf("store: backup: %w", err)
		}
		b.sizes = append(b.sizes, info.Size())
	}
	b.size = b.archiveSize()
	return b, nil
}

// Size is the exact length of the archive WriteTo writes, or -1 when it
// cannot be told beforehand (an entry of 8 GiB or more).
func (b *Backup) Size() int64 { return b.size }

// archiveSize adds up the archive: a 512-byte header and the data padded
// to 512 bytes per entry, and the two zero blocks at the end. The manifest
// is sized with the blob names for their hashes (a blob whose hash differs
// fails the backup anyway) and a stand-in of the same length for the bbolt
// file's.
func (b *Backup) archiveSize() int64 {
	const maxUSTAR = 1<<33 - 1 // the largest size a plain tar header holds
	m := *b.m
	m.Entries = []BackupEntry{{Name: dbFile, Size: b.dbSize, SHA256: strings.Repeat("0", 64)}}
	for i, sha := range b.shas {
		m.Entries = append(m.Entries, BackupEntry{Name: blobEntryName(sha), Size: b.sizes[i], SHA256: sha})
	}
	data, err := json.MarshalIndent(&m, "", " ")
	if err != nil {
		return -1
	}
	total := int64(1024)
	for _, e := range append(m.Entries, BackupEntry{Size: int64(len(data))}) {
		if e.Size > maxUSTAR {
			return -1
		}
		total += 512 + (e.Size+511)/512*512
	}
	return total
}

// WriteTo writes the archive to w: the bbolt file, every blob (checking
// its bytes against its name on the way) and the manifest.
func (b *Backup) WriteTo(w io.Writer) (int64, error) {
	cw := &countingWriter{w: w}
	tw := tar.NewWriter(cw)
	m := b.m
	if err := writeEntry(tw, m, dbFile, b.dbSize, func(w io.Writer) error {
		_, err := io.Copy(w, b.snap)
		return err
	}); err != nil {
		return cw.n, err
	}
	for i, sha := range b.shas {
		if err := b.db.backupBlob(tw, m, sha, b.sizes[i]); err != nil {
			return cw.n, err
		}
	}
	data, err := json.MarshalIndent(m, "", " ")
	if err != nil {
		return cw.n, err
	}
	hdr := &tar.Header{Name: manifestName, Mode: 0o600, Size: int64(len(data)), ModTime: m.CreatedAt, Typeflag: tar.TypeReg}
	if err := tw.WriteHeader(hdr); err != nil {
		return cw.n, err
	}
	if _, err := tw.Write(data); err != nil {
		return cw.n, err
	}
	err = tw.Close()
	return cw.n, err
}

// Close ends the backup: blob removals held meanwhile go ahead (when no
// other backup is open) and the DB may close. Calls after the first do
// nothing.
func (b *Backup) Close() error {
	b.once.Do(func() {
		if b.snap != nil {
			b.snap.Close()
			os.Remove(b.snap.Name())
		}
		if b.held {
			b.db.endBackup()
		}
		b.leave()
	})
	return nil
}

// WriteBackup writes a backup archive of the data dir to w: StartBackup,
// WriteTo and Close in one call.
func (db *DB) WriteBackup(ctx context.Context, w io.Writer) error {
	b, err := db.StartBackup(ctx)
	if err != nil {
		return err
	}
	defer b.Close()
	_, err = b.WriteTo(w)
	return err
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// backupBlob adds one blob of the size it had at the snapshot, checking
// its bytes against its name on the way.
func (db *DB) backupBlob(tw *tar.Writer, m *BackupManifest, sha string, size int64) error {
	f, err := os.Open(db.blobPath(sha))
	if err != nil {
		return fmt.Errorf("store: backup: %w", err)
	}
	defer f.Close()
	if err := writeEntry(tw, m, blobEntryName(sha), size, func(w io.Writer) error {
		_, err := io.Copy(w, f)
		return err
	}); err != nil {
		return err
	}
	if got := m.Entries[len(m.Entries)-1].SHA256; got != sha {
		return fmt.Errorf("store: backup: blob %s holds bytes with sha256 %s: run imagerepo verify on the data dir", sha, got)
	}
	return nil
}

// writeEntry adds one file of size bytes written by fill, and its line in
// the manifest.
func writeEntry(tw *tar.Writer, m *BackupManifest, name string, size int64, fill func(io.Writer) error) error {
	hdr := &tar.Header{Name: name, Mode: 0o600, Size: size, ModTime: m.CreatedAt, Typeflag: tar.TypeReg}
	if err := tw.WriteHeader(hdr); err != nil {
		return fmt.Errorf("store: backup: %w", err)
	}
	h := sha256.New()
	if err := fill(io.MultiWriter(tw, h)); err != nil {
		return fmt.Errorf("store: backup %s: %w", name, err)
	}
	m.Entries = append(m.Entries, BackupEntry{Name: name, Size: size, SHA256: hex.EncodeToString(h.Sum(nil))})
	return nil
}

// blobEntryName is where a blob goes in an archive: its place under the
// data dir, with forward slashes.
func blobEntryName(sha string) string {
	return path.Join(blobsDir, sha[:2], sha)
}

// referencedBlobs lists, sorted and once each, the shas every document of
// tx refers to, read from the two reference indexes.
func referencedBlobs(tx *bbolt.Tx) []string {
	var shas []string
	for _, b := range [][]byte{shaBucket, thumbRefBucket} {
		c := tx.Bucket(b).Cursor()
		for k, _ := c.First(); k != nil; k, _ = c.Next() {
			if len(k) > 64 && k[64] == 0 {
				shas = append(shas, string(k[:64]))
			}
		}
	}
	slices.Sort(shas)
	return slices.Compact(shas)
}

// endBackup lets blob removals go again when no other backup runs, and
// does the removals that were held meanwhile, each after a fresh look.
func (db *DB) endBackup() {
	db.hold.mu.Lock()
	db.hold.active--
	var todo map[string]bool
	if db.hold.active == 0 {
		todo, db.hold.deferred = db.hold.deferred, nil
	}
	db.hold.mu.Unlock()
	for sha := range todo {
		if _, err := db.sweepOne(sha); err != nil {
			// Only a leak: the sweep after an unclean stop, or verify, finds it.
			db.log.Warn("store: remove a blob freed during a backup", "sha256", sha, "err", err)
		}
	}
}

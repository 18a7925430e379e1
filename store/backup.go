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

// WriteBackup writes a consistent snapshot of the data dir to w as a backup
// archive (see BackupFormat): the bbolt file as one read transaction sees
// it, and every blob that snapshot refers to. Uploads, edits and deletes go
// on meanwhile; blobs that deletes free are removed only once no backup is
// running. The read transaction lasts while the bbolt file is copied to a
// temporary file in the data dir (so it needs room for one more copy of
// it), not while anything travels to w.
//
// A blob that is missing or whose bytes do not match its name fails the
// backup (the archive written so far has no manifest, so it cannot be
// restored): run verify on the data dir.
func (db *DB) WriteBackup(ctx context.Context, w io.Writer) error {
	leave, err := db.enter()
	if err != nil {
		return err
	}
	defer leave()

	// Under every sha lock no delete is between its commit and its blob
	// removal, so every blob the snapshot refers to is still there, and
	// every removal from here on waits for endBackup.
	for i := range db.shaLocks {
		db.shaLocks[i].Lock()
	}
	db.hold.mu.Lock()
	db.hold.active++
	db.hold.mu.Unlock()
	tx, err := db.bolt.Begin(false)
	for i := range db.shaLocks {
		db.shaLocks[i].Unlock()
	}
	defer db.endBackup()
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }()

	// The bbolt file goes to a local copy first, so that the transaction
	// ends quickly: a long read transaction would hold up any commit that
	// needs to grow the file's memory map, for as long as a slow client
	// takes to read the archive.
	m := &BackupManifest{Format: BackupFormat, CreatedAt: time.Now().UTC(), SchemaVersion: schemaVersion(tx), WriteSeq: writeSeq(tx)}
	m.Images = tx.Bucket(imagesBucket).Stats().KeyN
	shas := referencedBlobs(tx)
	snap, err := os.CreateTemp(db.tmpDir, "backup-*.db")
	if err != nil {
		return storageErr("create backup copy", err)
	}
	defer func() {
		snap.Close()
		os.Remove(snap.Name())
	}()
	size, err := tx.WriteTo(snap)
	if err != nil {
		return storageErr("copy the bbolt file", err)
	}
	_ = tx.Rollback()
	if _, err := snap.Seek(0, io.SeekStart); err != nil {
		return err
	}

	tw := tar.NewWriter(w)
	if err := writeEntry(tw, m, dbFile, size, func(w io.Writer) error {
		_, err := io.Copy(w, snap)
		return err
	}); err != nil {
		return err
	}

	for _, sha := range shas {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := db.backupBlob(tw, m, sha); err != nil {
			return err
		}
	}
	data, err := json.MarshalIndent(m, "", " ")
	if err != nil {
		return err
	}
	hdr := &tar.Header{Name: manifestName, Mode: 0o600, Size: int64(len(data)), ModTime: m.CreatedAt, Typeflag: tar.TypeReg}
	if err := tw.WriteHeader(hdr); err != nil {
		return err
	}
	if _, err := tw.Write(data); err != nil {
		return err
	}
	return tw.Close()
}

// backupBlob adds one blob, checking its bytes against its name on the way.
func (db *DB) backupBlob(tw *tar.Writer, m *BackupManifest, sha string) error {
	f, err := os.Open(db.blobPath(sha))
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("store: backup: blob %s is missing: run imagerepo verify on the data dir", sha)
	} else if err != nil {
		return fmt.Errorf("store: backup: %w", err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return fmt.Errorf("store: backup: %w", err)
	}
	if err := writeEntry(tw, m, blobEntryName(sha), info.Size(), func(w io.Writer) error {
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

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
	"os"
	"path/filepath"
	"strings"

	"imagerepo/gallery"
)

// maxManifestBytes bounds the manifest Restore reads: about 150 bytes per
// entry, so millions of blobs fit.
const maxManifestBytes = 1 << 30

// Restore unpacks a backup archive written by WriteBackup into dir, which
// must exist and be empty: the bbolt file and the blobs, each checked
// against the manifest (size and sha256), and each blob against its name.
// It refuses an archive that is truncated, lacks its manifest, holds an
// entry the manifest does not list (or the other way round), or names a
// file outside the data dir layout. On error dir may hold part of the
// archive; the caller restores into a fresh directory and removes it then.
// Files and directories are fsynced before Restore returns.
//
// The search index is not part of an archive: it is derived, and built
// from the store when the restored dir is opened.
func Restore(ctx context.Context, dir string, r io.Reader) (*BackupManifest, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	if len(entries) > 0 {
		return nil, fmt.Errorf("restore: %s is not empty", dir)
	}
	got := map[string]BackupEntry{}
	var m *BackupManifest
	dirs := map[string]bool{}
	tr := tar.NewReader(r)
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		} else if err != nil {
			return nil, fmt.Errorf("restore: the archive is damaged or truncated: %w", err)
		}
		if m != nil {
			return nil, fmt.Errorf("restore: entry %q after the manifest", hdr.Name)
		}
		if hdr.Typeflag != tar.TypeReg {
			return nil, fmt.Errorf("restore: entry %q is not a regular file", hdr.Name)
		}
		if hdr.Name == manifestName {
			if m, err = readManifest(tr, hdr.Size); err != nil {
				return nil, err
			}
			continue
		}
		rel, sha, err := restorePath(hdr.Name)
		if err != nil {
			return nil, err
		}
		if _, dup := got[hdr.Name]; dup {
			return nil, fmt.Errorf("restore: entry %q appears twice", hdr.Name)
		}
		target := filepath.Join(dir, rel)
		if sub := filepath.Dir(target); !dirs[sub] {
			if err := os.MkdirAll(sub, 0o750); err != nil {
				return nil, err
			}
			dirs[sub] = true
		}
		e, err := restoreFile(target, tr)
		if err != nil {
			return nil, fmt.Errorf("restore %s: %w", hdr.Name, err)
		}
		e.Name = hdr.Name
		if sha != "" && e.SHA256 != sha {
			return nil, fmt.Errorf("restore: blob %s holds bytes with sha256 %s: the archive is damaged", sha, e.SHA256)
		}
		got[hdr.Name] = e
	}
	if err := checkManifest(m, got); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Join(dir, blobsDir, tmpDir), 0o750); err != nil {
		return nil, err
	}
	dirs[filepath.Join(dir, blobsDir)] = true
	dirs[dir] = true
	for d := range dirs {
		if err := syncDir(d); err != nil {
			return nil, fmt.Errorf("restore: sync %s: %w", d, err)
		}
	}
	return m, nil
}

// restorePath maps an archive entry name to its place under the data dir,
// and for a blob returns its sha too. Only the layout WriteBackup makes is
// accepted, so no name can point outside the data dir.
func restorePath(name string) (rel, sha string, err error) {
	if name == dbFile {
		return dbFile, "", nil
	}
	parts := strings.Split(name, "/")
	if len(parts) == 3 && parts[0] == blobsDir && gallery.ValidSHA256(parts[2]) &&
		parts[2] == strings.ToLower(parts[2]) && parts[1] == parts[2][:2] {
		return filepath.Join(blobsDir, parts[1], parts[2]), parts[2], nil
	}
	return "", "", fmt.Errorf("restore: unexpected entry %q: this is not an imagerepo backup", name)
}

// restoreFile writes r to a new file at path, fsynced, and returns its size
// and sha256.
func restoreFile(path string, r io.Reader) (BackupEntry, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return BackupEntry{}, err
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(f, h), r)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		err = errors.New("the archive is truncated")
	}
	return BackupEntry{Size: n, SHA256: hex.EncodeToString(h.Sum(nil))}, err
}

func readManifest(r io.Reader, size int64) (*BackupManifest, error) {
	if size > maxManifestBytes {
		return nil, fmt.Errorf("restore: the manifest is %d bytes, more than any backup needs", size)
	}
	var m BackupManifest
	if err := json.NewDecoder(r).Decode(&m); err != nil {
		return nil, fmt.Errorf("restore: the manifest is damaged: %w", err)
	}
	if m.Format != BackupFormat {
		return nil, fmt.Errorf("restore: the archive has format %d; this imagerepo reads format %d", m.Format, BackupFormat)
	}
	if m.SchemaVersion > SchemaVersion {
		return nil, fmt.Errorf("restore: the backup holds schema version %d, newer than this imagerepo understands (%d): use a newer release", m.SchemaVersion, SchemaVersion)
	}
	return &m, nil
}

// checkManifest holds the entries read to the manifest: the same names,
// sizes and hashes, and the bbolt file among them.
func checkManifest(m *BackupManifest, got map[string]BackupEntry) error {
	if m == nil {
		return errors.New("restore: the archive has no manifest: it is incomplete (truncated?) or not an imagerepo backup")
	}
	listed := map[string]bool{}
	for _, want := range m.Entries {
		listed[want.Name] = true
		e, ok := got[want.Name]
		switch {
		case !ok:
			return fmt.Errorf("restore: %s is listed in the manifest but missing from the archive", want.Name)
		case e.Size != want.Size || e.SHA256 != want.SHA256:
			return fmt.Errorf("restore: %s does not match the manifest (%d bytes, sha256 %s; the manifest says %d, %s)",
				want.Name, e.Size, e.SHA256, want.Size, want.SHA256)
		}
	}
	for name := range got {
		if !listed[name] {
			return fmt.Errorf("restore: %s is in the archive but not in its manifest", name)
		}
	}
	if !listed[dbFile] {
		return fmt.Errorf("restore: the archive holds no %s", dbFile)
	}
	return nil
}

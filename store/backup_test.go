package store

import (
	"archive/tar"
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"imagerepo/gallery"
)

// backupOf writes a backup of db to memory.
func backupOf(t *testing.T, db *DB) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := db.WriteBackup(context.Background(), &buf); err != nil {
		t.Fatalf("WriteBackup: %v", err)
	}
	return buf.Bytes()
}

// TestDB_WriteBackup_RestoreRoundTrip: a restored dir opens, verifies
// clean and holds the same documents and bytes.
func TestDB_WriteBackup_RestoreRoundTrip(t *testing.T) {
	s, db, _ := newService(t)
	ctx := context.Background()
	a, _, err := s.CreateImage(ctx, newImage("alice", "cat"), strings.NewReader("original a"), thumbsOf("as", "al")...)
	if err != nil {
		t.Fatal(err)
	}
	b := create(t, s, "bob", "original b")
	create(t, s, "alice", "original b") // the same bytes for two owners: one blob

	bk, err := db.StartBackup(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	n, err := bk.WriteTo(&buf)
	bk.Close()
	archive := buf.Bytes()
	if err != nil || n != int64(len(archive)) || bk.Size() != n {
		t.Fatalf("WriteTo = %d, %v; %d bytes written; Size said %d", n, err, len(archive), bk.Size())
	}
	dir := t.TempDir()
	m, err := Restore(ctx, dir, bytes.NewReader(archive))
	if err != nil {
		t.Fatalf("Restore: %v", err)
	}
	if m.Images != 3 || len(m.Entries) != 1+4 {
		t.Errorf("manifest: %d images, %d entries, want 3 and 5", m.Images, len(m.Entries))
	}
	rdb := mustOpenDB(t, dir, Options{})
	rs := NewImageService(rdb)
	if err := rdb.Verify(ctx); err != nil {
		t.Fatalf("Verify the restored dir: %v", err)
	}
	for _, img := range []*gallery.Image{a, b} {
		got, err := rs.FindImageByID(ctx, img.ID)
		if err != nil {
			t.Fatalf("restored image %s: %v", img.ID, err)
		}
		for _, sha := range blobsOf(got) {
			if readBlob(t, rs, sha) != readBlob(t, s, sha) {
				t.Errorf("blob %s differs after the restore", sha)
			}
		}
	}
	if seq, _ := rdb.WriteSeq(); seq != m.WriteSeq || seq != 3 {
		t.Errorf("restored write counter %d, manifest %d, want 3", seq, m.WriteSeq)
	}
}

// blockingWriter passes writes on once release is closed, and says when
// the first write arrived.
type blockingWriter struct {
	w       io.Writer
	started chan struct{}
	release chan struct{}
	first   bool
}

func (b *blockingWriter) Write(p []byte) (int, error) {
	if !b.first {
		b.first = true
		close(b.started)
		<-b.release
	}
	return b.w.Write(p)
}

// TestDB_WriteBackup_DeleteDuringBackup: an image deleted while a backup
// runs is in the backup whole, and its blobs are gone once the backup ends.
func TestDB_WriteBackup_DeleteDuringBackup(t *testing.T) {
	s, db, _ := newService(t)
	ctx := context.Background()
	img, _, err := s.CreateImage(ctx, newImage("alice"), strings.NewReader("doomed"), thumbsOf("ds", "dl")...)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	bw := &blockingWriter{w: &buf, started: make(chan struct{}), release: make(chan struct{})}
	done := make(chan error)
	go func() {
		done <- db.WriteBackup(ctx, bw)
	}()
	<-bw.started // the snapshot is taken: the backup is writing
	if err := s.DeleteImage(ctx, img.ID); err != nil {
		t.Fatal(err)
	}
	for _, sha := range blobsOf(img) {
		if _, err := os.Stat(db.blobPath(sha)); err != nil {
			t.Errorf("blob %s removed while a backup that refers to it runs: %v", sha, err)
		}
	}
	// An upload meanwhile goes through.
	create(t, s, "alice", "during")
	close(bw.release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	for _, sha := range blobsOf(img) {
		if _, err := os.Stat(db.blobPath(sha)); err == nil {
			t.Errorf("blob %s left after the backup ended", sha)
		}
	}
	dir := t.TempDir()
	if _, err := Restore(ctx, dir, &buf); err != nil {
		t.Fatalf("Restore: %v", err)
	}
	rdb := mustOpenDB(t, dir, Options{})
	got, err := NewImageService(rdb).FindImageByID(ctx, img.ID)
	if err != nil {
		t.Fatalf("the deleted image is not in the backup taken before: %v", err)
	}
	if readBlob(t, NewImageService(rdb), got.SHA256) != "doomed" {
		t.Error("the deleted image's bytes differ in the backup")
	}
}

// rewriteArchive copies a backup, letting edit change each entry (or drop
// it by returning nil).
func rewriteArchive(t *testing.T, archive []byte, edit func(hdr *tar.Header, data []byte) []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	tw := tar.NewWriter(&out)
	tr := tar.NewReader(bytes.NewReader(archive))
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(tr)
		if data = edit(hdr, data); data == nil {
			continue
		}
		hdr.Size = int64(len(data))
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatal(err)
		}
		tw.Write(data)
	}
	tw.Close()
	return out.Bytes()
}

// TestRestore_Refuses: a damaged, truncated or foreign archive fails with a
// clear error.
func TestRestore_Refuses(t *testing.T) {
	s, db, _ := newService(t)
	if _, _, err := s.CreateImage(context.Background(), newImage("alice"), strings.NewReader("abc"), thumbsOf("s", "l")...); err != nil {
		t.Fatal(err)
	}
	archive := backupOf(t, db)
	damageBlobs := func(hdr *tar.Header, data []byte) []byte {
		if strings.HasPrefix(hdr.Name, "blobs/") {
			data = slices.Clone(data)
			data[0] ^= 1
		}
		return data
	}
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "no manifest"},
		{"not a tar", []byte(strings.Repeat("garbage ", 200)), "damaged or truncated"},
		{"truncated", archive[:len(archive)/2], "truncated"},
		{"no manifest", rewriteArchive(t, archive, func(h *tar.Header, d []byte) []byte {
			if h.Name == manifestName {
				return nil
			}
			return d
		}), "no manifest"},
		{"blob changed", rewriteArchive(t, archive, damageBlobs), "the archive is damaged"},
		{"db changed", rewriteArchive(t, archive, func(h *tar.Header, d []byte) []byte {
			if h.Name == dbFile {
				d = slices.Clone(d)
				d[len(d)-1] ^= 1
			}
			return d
		}), "does not match the manifest"},
		{"blob dropped", rewriteArchive(t, archive, func(h *tar.Header, d []byte) []byte {
			if strings.HasPrefix(h.Name, "blobs/") {
				return nil
			}
			return d
		}), "missing from the archive"},
		{"path outside", rewriteArchive(t, archive, func(h *tar.Header, d []byte) []byte {
			if strings.HasPrefix(h.Name, "blobs/") {
				h.Name = "../" + h.Name
			}
			return d
		}), "not an imagerepo backup"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			parent := t.TempDir()
			dir := filepath.Join(parent, "data")
			if err := os.Mkdir(dir, 0o700); err != nil {
				t.Fatal(err)
			}
			_, err := Restore(context.Background(), dir, bytes.NewReader(tt.data))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Restore = %v, want an error with %q", err, tt.want)
			}
			if _, err := os.Stat(filepath.Join(parent, "blobs")); err == nil {
				t.Error("an entry was written outside the data dir")
			}
		})
	}
	// A dir that is not empty is refused before anything is read.
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "x"), []byte("x"), 0o600)
	if _, err := Restore(context.Background(), dir, bytes.NewReader(archive)); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Errorf("Restore into a non-empty dir = %v", err)
	}
}

// TestDB_Check_Hash: hashing finds bytes changed in place, which sizes do
// not; the report names the image and the blob, and repair helpers act on
// them.
func TestDB_Check_Hash(t *testing.T) {
	db, s, a := imageWithThumbs(t)
	ctx := context.Background()
	b := create(t, s, "alice", "original b")
	thumb := a.Thumb(gallery.ThumbSmall).SHA256
	flipBlob(t, db, thumb)
	flipBlob(t, db, b.SHA256)
	orphan := strings.Repeat("ab", 32)
	os.MkdirAll(filepath.Dir(db.blobPath(orphan)), 0o750)
	os.WriteFile(db.blobPath(orphan), []byte("stray"), 0o600)

	if err := db.Verify(ctx); err == nil || strings.Contains(err.Error(), "corrupt") {
		t.Fatalf("Verify without hashing: %v (want only the orphan)", err)
	}
	var calls int
	r, err := db.Check(ctx, CheckOptions{Hash: true, Progress: func(done, total int64) { calls++ }})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(r.BadOriginals, []string{b.ID}) || !slices.Equal(r.BadThumbs, []string{a.ID}) ||
		!slices.Equal(r.Orphans, []string{orphan}) || len(r.Corrupt) != 2 || calls == 0 {
		t.Fatalf("report: originals %v thumbs %v orphans %v corrupt %v, %d progress calls; problems:\n%v",
			r.BadOriginals, r.BadThumbs, r.Orphans, r.Corrupt, calls, r.Err())
	}
	if n, err := db.RemoveOrphans(ctx, r.Orphans); err != nil || n != 1 {
		t.Errorf("RemoveOrphans = %d, %v", n, err)
	}
	// DiscardCorrupt removes only bytes that are really wrong.
	gone, err := db.DiscardCorrupt(ctx, []string{thumb, a.SHA256})
	if err != nil || !slices.Equal(gone, []string{thumb}) {
		t.Errorf("DiscardCorrupt = %v, %v", gone, err)
	}
}

// TestDB_DiscardCorrupt_SparesOriginals: bytes that are one image's
// thumbnail and another's original (someone uploaded the thumbnail) are
// never discarded, corrupt or not: they are that other image's only copy.
func TestDB_DiscardCorrupt_SparesOriginals(t *testing.T) {
	db, s, a := imageWithThumbs(t)
	ctx := context.Background()
	b := create(t, s, "bob", "small a") // alice's thumbnail, uploaded by bob
	thumb := a.Thumb(gallery.ThumbSmall).SHA256
	if b.SHA256 != thumb {
		t.Fatal("fixture: bob's original is not alice's thumbnail")
	}
	flipBlob(t, db, thumb)
	gone, err := db.DiscardCorrupt(ctx, []string{thumb})
	if err != nil || len(gone) != 0 {
		t.Fatalf("DiscardCorrupt = %v, %v; want nothing removed", gone, err)
	}
	if _, err := os.Stat(db.blobPath(thumb)); err != nil {
		t.Fatalf("bob's only copy is gone: %v", err)
	}
	// Once bob's image is deleted, the bytes are only a thumbnail again.
	if err := s.DeleteImage(ctx, b.ID); err != nil {
		t.Fatal(err)
	}
	if gone, err := db.DiscardCorrupt(ctx, []string{thumb}); err != nil || !slices.Equal(gone, []string{thumb}) {
		t.Fatalf("DiscardCorrupt after the delete = %v, %v", gone, err)
	}
}

// TestDB_Check_BadOriginalKeepsThumbs: the thumbnails of an image whose
// original is missing are still that image's, not blobs nobody refers to.
func TestDB_Check_BadOriginalKeepsThumbs(t *testing.T) {
	db, _, a := imageWithThumbs(t)
	os.Remove(db.blobPath(a.SHA256))
	r, err := db.Check(context.Background(), CheckOptions{Hash: true})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(r.BadOriginals, []string{a.ID}) || len(r.Orphans) != 0 {
		t.Fatalf("report: bad originals %v, orphans %v; problems:\n%v", r.BadOriginals, r.Orphans, r.Err())
	}
	if err := r.Err(); err == nil || strings.Contains(err.Error(), "referenced by no image") {
		t.Fatalf("problems: %v", err)
	}
}

// TestDB_StartBackup_MissingBlob: a blob gone from the folder fails the
// backup before anything is written, and leaves no hold behind.
func TestDB_StartBackup_MissingBlob(t *testing.T) {
	db := openDB(t, t.TempDir(), Options{})
	s := NewImageService(db)
	img := create(t, s, "alice", "gone")
	os.Remove(db.blobPath(img.SHA256))
	if _, err := db.StartBackup(context.Background()); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Fatalf("StartBackup = %v", err)
	}
	// Removals are not held any more: a delete removes the bytes at once.
	other := create(t, s, "alice", "other")
	if err := s.DeleteImage(context.Background(), other.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(db.blobPath(other.SHA256)); err == nil {
		t.Error("a blob removal is still held after a failed backup")
	}
}

// TestOpen_ReadOnly: a read-only open checks but writes nothing, and a
// running writer keeps it out.
func TestOpen_ReadOnly(t *testing.T) {
	dir := t.TempDir()
	db := openDB(t, dir, Options{})
	s := NewImageService(db)
	create(t, s, "alice", "x")
	if _, err := Open(dir, Options{ReadOnly: true, LockTimeout: 50e6}); err == nil || !strings.Contains(err.Error(), "in use") {
		t.Fatalf("read-only open beside a writer: %v", err)
	}
	db.Close()
	ro := openDB(t, dir, Options{ReadOnly: true})
	if err := ro.Verify(context.Background()); err != nil {
		t.Fatalf("Verify read-only: %v", err)
	}
	if _, _, err := NewImageService(ro).CreateImage(context.Background(), newImage("alice"), strings.NewReader("y")); err == nil {
		t.Error("a write to a read-only DB succeeded")
	}
}

// imageWithThumbs opens a new store holding one image of alice's, "original
// a", with the thumbnails "small a" and "large a".
func imageWithThumbs(t *testing.T) (*DB, *ImageService, *gallery.Image) {
	t.Helper()
	db := openDB(t, t.TempDir(), Options{})
	s := NewImageService(db)
	a, _, err := s.CreateImage(context.Background(), newImage("alice"), strings.NewReader("original a"), thumbsOf("small a", "large a")...)
	if err != nil {
		t.Fatal(err)
	}
	return db, s, a
}

// flipBlob changes one bit of the stored bytes named sha.
func flipBlob(t *testing.T, db *DB, sha string) {
	t.Helper()
	p := db.blobPath(sha)
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	data[0] ^= 1
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"imagerepo/gallery"
	"imagerepo/store"
)

// runCmd runs the command line in-process and returns its exit code and
// output.
func runCmd(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(context.Background(), args, strings.NewReader(""), &out, &errOut)
	return code, out.String(), errOut.String()
}

// dataDirWithImages makes a stopped server's data dir holding three images
// uploaded through the real server, and returns it and their ids.
func dataDirWithImages(t *testing.T) (string, []string) {
	t.Helper()
	dir := t.TempDir()
	m := startMain(t, dir)
	c := signIn(t, m.URL(), "admin", "admin-password", true)
	var ids []string
	for i := range 3 {
		ids = append(ids, uploadFile(t, c, m.URL(), "photo.png", genImage(t, i+40, i == 1)))
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	return dir, ids
}

// copyDir copies a stopped server's data dir to a fresh one.
func copyDir(t *testing.T, src string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "data")
	if err := os.CopyFS(dir, os.DirFS(src)); err != nil {
		t.Fatal(err)
	}
	return dir
}

// docOf reads an image's document from a stopped server's data dir.
func docOf(t *testing.T, dir, id string) *gallery.Image {
	t.Helper()
	db, err := store.Open(dir, store.Options{ReadOnly: true, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	img, err := store.NewImageService(db).FindImageByID(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func blobFile(dir, sha string) string { return filepath.Join(dir, "blobs", sha[:2], sha) }

func flipByte(t *testing.T, path string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	data[len(data)/2] ^= 0x40
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

func sha256File(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// TestVerify_DamageAndRepair makes each kind of damage on a real data dir:
// verify reports it and exits 1, and --repair fixes what can be fixed and
// names what cannot.
func TestVerify_DamageAndRepair(t *testing.T) {
	orphan := strings.Repeat("0f", 32)
	tests := []struct {
		name       string
		damage     func(t *testing.T, dir string, img *gallery.Image)
		want       string // in verify's output
		repairable bool
		after      func(t *testing.T, dir string, img *gallery.Image)
	}{{
		name: "unreferenced blob",
		damage: func(t *testing.T, dir string, _ *gallery.Image) {
			os.MkdirAll(filepath.Dir(blobFile(dir, orphan)), 0o750)
			os.WriteFile(blobFile(dir, orphan), []byte("nobody's"), 0o600)
		},
		want:       "blob " + orphan + " is referenced by no image",
		repairable: true,
		after: func(t *testing.T, dir string, _ *gallery.Image) {
			if _, err := os.Stat(blobFile(dir, orphan)); err == nil {
				t.Error("the unreferenced blob is still there")
			}
		},
	}, {
		name: "missing thumbnail",
		damage: func(t *testing.T, dir string, img *gallery.Image) {
			os.Remove(blobFile(dir, img.Thumb(gallery.ThumbSmall).SHA256))
		},
		want:       "small thumbnail bytes",
		repairable: true,
	}, {
		name: "corrupt thumbnail",
		damage: func(t *testing.T, dir string, img *gallery.Image) {
			flipByte(t, blobFile(dir, img.Thumb(gallery.ThumbLarge).SHA256))
		},
		want:       "are corrupt",
		repairable: true,
	}, {
		name: "corrupt original",
		damage: func(t *testing.T, dir string, img *gallery.Image) {
			flipByte(t, blobFile(dir, img.SHA256))
		},
		want: "original bytes",
	}, {
		name: "missing original",
		damage: func(t *testing.T, dir string, img *gallery.Image) {
			os.Remove(blobFile(dir, img.SHA256))
		},
		want: "are missing",
	}, {
		name: "search index missing",
		damage: func(t *testing.T, dir string, _ *gallery.Image) {
			os.RemoveAll(filepath.Join(dir, "search"))
		},
		want:       "search index: it is missing",
		repairable: true,
	}, {
		name: "store written behind the index",
		damage: func(t *testing.T, dir string, img *gallery.Image) {
			db, err := store.Open(dir, store.Options{Logger: slog.New(slog.DiscardHandler)})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			title := "renamed behind the index"
			if _, err := store.NewImageService(db).UpdateImage(context.Background(), img.ID, gallery.ImageUpdate{Title: &title}); err != nil {
				t.Fatal(err)
			}
		},
		want:       "write counter",
		repairable: true,
	}}
	template, ids := dataDirWithImages(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := copyDir(t, template)
			if code, out, errOut := runCmd(t, "verify", "--data", dir); code != 0 {
				t.Fatalf("verify before the damage: %d\n%s%s", code, out, errOut)
			}
			img := docOf(t, dir, ids[1])
			// small, large and the copy without location
			if len(img.Thumbs) != 3 {
				t.Fatalf("image has %d thumbnails", len(img.Thumbs))
			}
			tt.damage(t, dir, img)
			code, out, errOut := runCmd(t, "verify", "--data", dir)
			if code != 1 || !strings.Contains(out, tt.want) {
				t.Fatalf("verify after the damage: exit %d, want 1 and %q in:\n%s%s", code, tt.want, out, errOut)
			}
			code, out, errOut = runCmd(t, "verify", "--data", dir, "--repair")
			if !tt.repairable {
				if code != 1 || !strings.Contains(out, "cannot repair") || !strings.Contains(out, img.ID) {
					t.Fatalf("repair of the unrepairable: exit %d, want 1 naming %s:\n%s%s", code, img.ID, out, errOut)
				}
				// The document stays: deleting it is the owner's call.
				if got := docOf(t, dir, img.ID); got.SHA256 != img.SHA256 {
					t.Error("the damaged image's document changed")
				}
				return
			}
			if code != 0 {
				t.Fatalf("repair: exit %d:\n%s%s", code, out, errOut)
			}
			if code, out, errOut := runCmd(t, "verify", "--data", dir); code != 0 {
				t.Fatalf("verify after the repair: %d\n%s%s", code, out, errOut)
			}
			for _, th := range docOf(t, dir, img.ID).Thumbs {
				if got := sha256File(t, blobFile(dir, th.SHA256)); got != th.SHA256 {
					t.Errorf("%s thumbnail after the repair hashes to %q", th.Size, got)
				}
			}
			if tt.after != nil {
				tt.after(t, dir, img)
			}
		})
	}
}

// TestVerify_RunningServer: a data dir a server holds is refused with a
// plain message and a non-zero exit.
func TestVerify_RunningServer(t *testing.T) {
	dir := t.TempDir()
	m := startMain(t, dir)
	defer m.Close()
	for _, args := range [][]string{{"verify", "--data", dir}, {"verify", "--repair", "--data", dir}} {
		code, out, errOut := runCmd(t, args...)
		if code == 0 || !strings.Contains(errOut, "stop the server first") {
			t.Errorf("%v on a running server's dir: exit %d\n%s%s", args, code, out, errOut)
		}
	}
}

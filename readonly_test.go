//go:build unix

package main

import (
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
)

// TestBinary_ReadOnlyDataDir starts the server on data dirs it cannot write
// to: each start fails at once with a message that names the dir. Tests
// often run as root, whom permissions do not stop; then the server runs as
// the user nobody.
func TestBinary_ReadOnlyDataDir(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := buildBinary(t)
	root := t.TempDir()
	t.Cleanup(func() { // let TempDir remove what was made read-only
		_ = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err == nil && d.IsDir() {
				_ = os.Chmod(path, 0o755)
			}
			return nil
		})
	})
	var cred *syscall.Credential
	if os.Geteuid() == 0 {
		cred = &syscall.Credential{Uid: 65534, Gid: 65534}
		// nobody must reach the binary and the data dirs.
		for _, d := range []string{filepath.Dir(bin), filepath.Dir(filepath.Dir(bin)), root, filepath.Dir(root)} {
			if err := os.Chmod(d, 0o755); err != nil {
				t.Fatal(err)
			}
		}
	}
	serve := func(dir string) *exec.Cmd {
		cmd := exec.Command(bin, "serve", "--addr", "127.0.0.1:0", "--data", dir)
		if cred != nil {
			cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
		}
		return cmd
	}
	if cred != nil {
		// A user namespace may not map nobody; then there is no one to
		// run the server as for whom permissions hold.
		if out, err := exec.Command(bin, "version").Output(); err != nil {
			t.Fatalf("version: %v %s", err, out)
		}
		probe := exec.Command(bin, "version")
		probe.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
		if out, err := probe.CombinedOutput(); err != nil {
			t.Skipf("cannot run the binary as nobody (uid 65534) to make permissions hold for root: %v %s", err, out)
		}
	}

	t.Run("empty read-only dir", func(t *testing.T) {
		dir := filepath.Join(root, "empty")
		if err := os.Mkdir(dir, 0o555); err != nil {
			t.Fatal(err)
		}
		runFails(t, serve(dir), dir, "read-only or not writable")
		if entries := dirEntries(t, dir); len(entries) > 0 {
			t.Errorf("the failed start left %v", entries)
		}
	})

	t.Run("data dir made read-only", func(t *testing.T) {
		dir := filepath.Join(root, "data")
		srv := startChild(t, bin, dir)
		c := newAdminClient(t, srv.url)
		if status, _, b, err := c.upload("kept.png", "kept", pictureN(1)); err != nil || status != http.StatusCreated {
			t.Fatalf("upload: %d %s %v", status, b, err)
		}
		srv.stop(t)
		err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if cred != nil {
				if err := os.Chown(path, int(cred.Uid), int(cred.Gid)); err != nil {
					return err
				}
			}
			mode := os.FileMode(0o444)
			if d.IsDir() {
				mode = 0o555
			}
			return os.Chmod(path, mode)
		})
		if err != nil {
			t.Fatal(err)
		}
		runFails(t, serve(dir), dir, "read-only or not writable")
	})

	t.Run("a file where the dir should be", func(t *testing.T) {
		path := filepath.Join(root, "file")
		if err := os.WriteFile(path, []byte("not a dir"), 0o644); err != nil {
			t.Fatal(err)
		}
		runFails(t, serve(path), path, "not a directory")
	})
}

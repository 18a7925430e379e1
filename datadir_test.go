package main

import (
	"context"
	"errors"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// runFails runs the binary with args and checks that it exits with code 1
// and says every one of want on stderr; it fails the test on a hang.
func runFails(t *testing.T, cmd *exec.Cmd, want ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), hangLimit)
	defer cancel()
	run := exec.CommandContext(ctx, cmd.Path, cmd.Args[1:]...)
	run.Env, run.SysProcAttr, run.Stdin = cmd.Env, cmd.SysProcAttr, cmd.Stdin
	out, err := run.CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("%v still running after %v: it should fail fast\n%s", cmd.Args, hangLimit, out)
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Fatalf("%v: %v, want exit 1\n%s", cmd.Args, err, out)
	}
	for _, w := range want {
		if !strings.Contains(string(out), w) {
			t.Errorf("%v said %q, want it to say %q", cmd.Args, out, w)
		}
	}
}

// TestBinary_DataDirInUse starts a second process on the data dir of a
// running server: it gives up after the lock timeout with a message naming
// the dir, and the running server goes on untouched.
func TestBinary_DataDirInUse(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := buildBinary(t)
	dir := filepath.Join(t.TempDir(), "data")
	srv := startChild(t, bin, dir)
	c := newAdminClient(t, srv.url)

	for _, args := range [][]string{
		{"serve", "--addr", "127.0.0.1:0", "--data", dir},
		{"reindex", "--data", dir},
		{"user", "add", "second", "--data", dir},
	} {
		cmd := exec.Command(bin, args...)
		cmd.Stdin = strings.NewReader("second-password\n")
		runFails(t, cmd, dir, "in use by another imagerepo process")
	}

	if _, err := os.Stat(filepath.Join(dir, ".running")); err != nil {
		t.Errorf("the running server's marker: %v", err)
	}
	if status, _, b, err := c.upload("after.png", "after", pictureN(1)); err != nil || status != http.StatusCreated {
		t.Errorf("upload to the first server afterwards: %d %s %v", status, b, err)
	}
	srv.stop(t)
	verifyStopped(t, dir)
}

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

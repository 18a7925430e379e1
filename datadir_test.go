package main

import (
	"context"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
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

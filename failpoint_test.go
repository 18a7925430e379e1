package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The failpoint tests run the binary built with -tags failpoints and arm one
// failpoint per run with IMAGEREPO_FAILPOINT (see store/failpoint.go).

// failpointSetup makes a data dir with the first admin and one stored image,
// and returns it with a client whose base is set by each run.
func failpointSetup(t *testing.T, bin string) (string, *client) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "data")
	srv := startChild(t, bin, dir)
	c := newAdminClient(t, srv.url)
	if status, _, b, err := c.upload("first.png", "first", bigPictureN(0)); err != nil || status != http.StatusCreated {
		t.Fatalf("first upload: %d %s %v", status, b, err)
	}
	srv.stop(t)
	return dir, c
}

// crashed waits for a server that hit a crash failpoint and checks that it
// died the way the failpoint kills it.
func crashed(t *testing.T, srv *child) {
	t.Helper()
	srv.wait(t)
	var ee *exec.ExitError
	if !errors.As(srv.err, &ee) || ee.ExitCode() != 137 || !strings.Contains(srv.log(), "failpoint") {
		t.Fatalf("exit %v, want 137 from the failpoint\n%s", srv.err, srv.log())
	}
}

// waitSearch polls the search for q until it finds want images.
func waitSearch(t *testing.T, c *client, q string, want int) []listed {
	t.Helper()
	deadline := time.Now().Add(hangLimit)
	for {
		found, err := c.listAll("q=" + q)
		if err != nil {
			t.Fatal(err)
		}
		if len(found) == want {
			return found
		}
		if time.Now().After(deadline) {
			t.Fatalf("search %q finds %d images, want %d", q, len(found), want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// crashAt runs the server on dir with the crash failpoint point armed, sends
// op, which must get no answer, checks that the server died there leaving
// wantBlobs blob files, and returns the server started again.
func crashAt(t *testing.T, bin, dir string, c *client, point string, wantBlobs int, op func() (int, []byte, error)) *child {
	t.Helper()
	srv := startChild(t, bin, dir, "IMAGEREPO_FAILPOINT="+point+"=crash")
	c.base = srv.url
	if status, b, err := op(); err == nil {
		t.Fatalf("answered past the failpoint %s: %d %s", point, status, b)
	}
	crashed(t, srv)
	if n := len(blobFiles(t, dir)); n != wantBlobs {
		t.Fatalf("%d blobs after the crash at %s, want %d", n, point, wantBlobs)
	}
	srv = startChild(t, bin, dir)
	c.base = srv.url
	return srv
}

func TestBinary_Failpoints(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := buildTagged(t, "failpoints")

	t.Run("crash between the blob rename and the store commit", func(t *testing.T) {
		dir, c := failpointSetup(t, bin)
		// The first image's 3 blobs and the 3 orphans of the lost one.
		srv := crashAt(t, bin, dir, c, "after-rename", 6, func() (int, []byte, error) {
			status, _, b, err := c.upload("lost.png", "lost", bigPictureN(1))
			return status, b, err
		})
		srv.waitLog(t, "sweep done")
		if n := len(blobFiles(t, dir)); n != 3 {
			t.Errorf("%d blobs after the sweep, want the first image's 3", n)
		}
		if all, err := c.listAll(""); err != nil || len(all) != 1 || all[0].Title != "first" {
			t.Errorf("list after the crash: %+v %v", all, err)
		}
		// The same bytes go in again.
		if status, id, b, err := c.upload("lost.png", "again", bigPictureN(1)); err != nil || status != http.StatusCreated {
			t.Fatalf("upload again: %d %s %v", status, b, err)
		} else if status, b, _ := c.do("GET", "/api/images/"+id+"/file", nil, ""); status != http.StatusOK || !bytes.Equal(b, bigPictureN(1)) {
			t.Errorf("file after upload again: %d, %d bytes", status, len(b))
		}
		srv.stop(t)
		verifyStopped(t, dir)
	})

	t.Run("crash between the store commit and the index write", func(t *testing.T) {
		dir, c := failpointSetup(t, bin)
		srv := crashAt(t, bin, dir, c, "after-commit", 6, func() (int, []byte, error) {
			status, _, b, err := c.upload("kept.png", "unanswered", bigPictureN(2))
			return status, b, err
		})
		srv.waitLog(t, "search index will be rebuilt")
		// Committed but never answered: stored whole, and found by search
		// once the index has caught up.
		found := waitSearch(t, c, "unanswered", 1)
		if status, b, err := c.do("GET", "/api/images/"+found[0].ID+"/file", nil, ""); err != nil || status != http.StatusOK || !bytes.Equal(b, bigPictureN(2)) {
			t.Errorf("file of the committed image: %d, %d bytes %v", status, len(b), err)
		}
		waitSearch(t, c, "first", 1)
		srv.stop(t)
		verifyStopped(t, dir)
	})

	t.Run("crash between a delete's commit and the blob removal", func(t *testing.T) {
		dir, c := failpointSetup(t, bin)
		srv := startChild(t, bin, dir)
		c.base = srv.url
		status, id, b, err := c.upload("gone.png", "doomed", bigPictureN(3))
		if err != nil || status != http.StatusCreated {
			t.Fatalf("upload: %d %s %v", status, b, err)
		}
		srv.stop(t)

		// The deleted image's blobs are still there after the crash.
		srv = crashAt(t, bin, dir, c, "delete-after-commit", 6, func() (int, []byte, error) {
			return c.do("DELETE", "/api/images/"+id, nil, "")
		})
		srv.waitLog(t, "sweep done")
		checkGone(t, c, id)
		if n := len(blobFiles(t, dir)); n != 3 {
			t.Errorf("%d blobs after the sweep, want the first image's 3", n)
		}
		waitSearch(t, c, "first", 1)
		if found, err := c.listAll("q=doomed"); err != nil || len(found) != 0 {
			t.Errorf("search finds the deleted image: %+v %v", found, err)
		}
		srv.stop(t)
		verifyStopped(t, dir)
	})

	t.Run("I/O errors in the blob writer", func(t *testing.T) {
		dir, c := failpointSetup(t, bin)
		tests := []struct {
			spec   string
			status int
			code   string
		}{
			{"blob-write=enospc", http.StatusInsufficientStorage, "insufficient_storage"},
			{"blob-sync=eio", http.StatusInternalServerError, "internal"},
			// The second rename is the first thumbnail's: the original is
			// in place by then and must go again.
			{"blob-rename=enospc@2", http.StatusInsufficientStorage, "insufficient_storage"},
			{"blob-rename=eio@3", http.StatusInternalServerError, "internal"},
			{"blob-sync=enospc@3", http.StatusInsufficientStorage, "insufficient_storage"},
		}
		stored := 1
		for i, tt := range tests {
			srv := startChild(t, bin, dir, "IMAGEREPO_FAILPOINT="+tt.spec)
			c.base = srv.url
			status, _, b, err := c.upload("x.png", "refused", bigPictureN(10+i))
			var e struct {
				Error struct{ Code, Message string }
			}
			if err != nil || status != tt.status || json.Unmarshal(b, &e) != nil || e.Error.Code != tt.code || e.Error.Message == "" {
				t.Errorf("%s: %d %s %v, want %d %s", tt.spec, status, b, err, tt.status, tt.code)
			}
			if left := dirEntries(t, filepath.Join(dir, "blobs", "tmp")); len(left) > 0 {
				t.Errorf("%s: temp files left: %v", tt.spec, left)
			}
			if n := len(blobFiles(t, dir)); n != 3*stored {
				t.Errorf("%s: %d blobs, want %d", tt.spec, n, 3*stored)
			}
			if all, err := c.listAll(""); err != nil || len(all) != stored {
				t.Errorf("%s: %d images listed, want %d (%v)", tt.spec, len(all), stored, err)
			}
			// The fault has passed: the next upload goes in.
			if status, id, b, err := c.upload("y.png", "accepted", bigPictureN(10+i)); err != nil || status != http.StatusCreated {
				t.Errorf("%s: the next upload: %d %s %v", tt.spec, status, b, err)
			} else if status, b, _ := c.do("GET", "/api/images/"+id+"/file", nil, ""); status != http.StatusOK || !bytes.Equal(b, bigPictureN(10+i)) {
				t.Errorf("%s: file of the next upload: %d, %d bytes", tt.spec, status, len(b))
			}
			stored++
			srv.stop(t)
			if left := dirEntries(t, filepath.Join(dir, "uploads")); len(left) > 0 {
				t.Errorf("%s: spooled uploads left: %v", tt.spec, left)
			}
		}
		verifyStopped(t, dir)
	})

	t.Run("an I/O error healing damaged bytes keeps them", func(t *testing.T) {
		dir, c := failpointSetup(t, bin)
		sum := sha256.Sum256(bigPictureN(0))
		sha := hex.EncodeToString(sum[:])
		original := filepath.Join(dir, "blobs", sha[:2], sha)
		if err := os.WriteFile(original, []byte("damaged"), 0o600); err != nil {
			t.Fatal(err)
		}
		// The same bytes again put them back; the sync of their folder
		// fails after the rename, and what the document refers to stays.
		srv := startChild(t, bin, dir, "IMAGEREPO_FAILPOINT=blob-dir-sync=eio")
		c.base = srv.url
		if status, _, b, err := c.upload("first.png", "again", bigPictureN(0)); err != nil || status != http.StatusInternalServerError {
			t.Errorf("upload again: %d %s %v, want 500", status, b, err)
		}
		if got, err := os.ReadFile(original); err != nil || !bytes.Equal(got, bigPictureN(0)) {
			t.Fatalf("the original after a failed sync: %d bytes, %v", len(got), err)
		}
		srv.stop(t)
		verifyStopped(t, dir)
	})

	t.Run("a misspelt failpoint stops the start", func(t *testing.T) {
		cmd := exec.Command(bin, "version")
		cmd.Env = append(cmd.Environ(), "IMAGEREPO_FAILPOINT=after-renam=crash")
		out, err := cmd.CombinedOutput()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 2 || !strings.Contains(string(out), "after-rename") {
			t.Fatalf("%v %s", err, out)
		}
	})
}

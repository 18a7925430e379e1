package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// tracked is what the crash test's clients know of one image: only what the
// server acknowledged, and what they sent without getting an answer.
type tracked struct {
	id            string
	data          []byte
	title         string // the last acknowledged title
	pendingTitle  string // an edit sent when the server died, "" if none
	deleted       bool   // a delete was acknowledged
	deletePending bool   // a delete was sent when the server died
}

// ledger records every operation of the crash test's clients.
type ledger struct {
	mu             sync.Mutex
	images         map[string]*tracked
	free           []*tracked // live, settled, held by no client
	pendingUploads [][]byte   // sent when the server died
	n              int        // pictures and titles made so far
	uploads        int        // acknowledged, over all rounds
	edits, deletes int
	unexpected     []string // answers that are neither success nor a dead server
}

// take hands one free image to a client, or nil.
func (l *ledger) take(r *rand.Rand) *tracked {
	if len(l.free) == 0 {
		return nil
	}
	i := r.IntN(len(l.free))
	im := l.free[i]
	l.free = slices.Delete(l.free, i, i+1)
	return im
}

// work runs one client until stop is closed or the server stops answering.
// A client holds one image at a time, so no two operations on an image
// overlap and each image's acknowledged history is a sequence.
func (l *ledger) work(c *client, seed uint64, stop <-chan struct{}) {
	r := rand.New(rand.NewPCG(seed, 1))
	for {
		select {
		case <-stop:
			return
		default:
		}
		l.mu.Lock()
		op := r.IntN(10)
		var im *tracked
		if op >= 5 {
			im = l.take(r)
		}
		l.n++
		n := l.n
		l.mu.Unlock()

		switch {
		case im == nil: // upload
			data := pictureN(n)
			status, id, body, err := c.upload(fmt.Sprintf("p%d.png", n), fmt.Sprintf("crash photo %d", n), data)
			l.mu.Lock()
			switch {
			case err != nil && status == 0:
				l.pendingUploads = append(l.pendingUploads, data)
			case err != nil || status != http.StatusCreated:
				l.unexpected = append(l.unexpected, fmt.Sprintf("upload: %d %s %v", status, body, err))
			default:
				im := &tracked{id: id, data: data, title: fmt.Sprintf("crash photo %d", n)}
				l.images[id] = im
				l.free = append(l.free, im)
				l.uploads++
			}
			l.mu.Unlock()
			if err != nil && status == 0 {
				return
			}
		case op < 8: // edit
			title := fmt.Sprintf("crash edited %d", n)
			l.mu.Lock()
			im.pendingTitle = title
			l.mu.Unlock()
			status, body, err := c.do("PATCH", "/api/images/"+im.id, strings.NewReader(`{"title":"`+title+`"}`), "application/json")
			if err != nil {
				return // pending: the server died
			}
			l.mu.Lock()
			if status == http.StatusOK {
				im.title, im.pendingTitle = title, ""
				l.edits++
			} else {
				im.pendingTitle = ""
				l.unexpected = append(l.unexpected, fmt.Sprintf("edit %s: %d %s", im.id, status, body))
			}
			l.free = append(l.free, im)
			l.mu.Unlock()
		default: // delete
			l.mu.Lock()
			im.deletePending = true
			l.mu.Unlock()
			status, body, err := c.do("DELETE", "/api/images/"+im.id, nil, "")
			if err != nil {
				return
			}
			l.mu.Lock()
			im.deletePending = false
			if status == http.StatusNoContent {
				im.deleted = true
				l.deletes++
			} else {
				l.unexpected = append(l.unexpected, fmt.Sprintf("delete %s: %d %s", im.id, status, body))
				l.free = append(l.free, im)
			}
			l.mu.Unlock()
		}
	}
}

// settle learns, after a restart, how the operations that got no answer
// ended, checking that each ended in a state it may have: an edit either
// way, a delete done or not, an upload stored whole or not at all.
func (l *ledger) settle(t *testing.T, c *client) {
	t.Helper()
	for _, im := range l.images {
		if im.deleted || im.pendingTitle == "" && !im.deletePending {
			continue
		}
		status, b, err := c.do("GET", "/api/images/"+im.id, nil, "")
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case status == http.StatusNotFound && im.deletePending:
			im.deleted = true
		case status == http.StatusOK:
			title := jsonString(t, b, "title")
			if im.pendingTitle != "" && title != im.title && title != im.pendingTitle {
				t.Errorf("image %s: title %q after the crash, want %q or the unanswered %q", im.id, title, im.title, im.pendingTitle)
			}
			im.title = title
			l.free = append(l.free, im)
		default:
			t.Errorf("image %s after the crash: %d %s", im.id, status, b)
		}
		im.pendingTitle, im.deletePending = "", false
	}
	for _, data := range l.pendingUploads {
		sum := sha256.Sum256(data)
		found, err := c.listAll("sha256=" + hex.EncodeToString(sum[:]))
		if err != nil {
			t.Fatal(err)
		}
		if len(found) > 1 {
			t.Errorf("an unanswered upload is stored %d times", len(found))
		}
		for _, f := range found {
			im := &tracked{id: f.ID, data: data, title: f.Title}
			l.images[f.ID] = im
			l.free = append(l.free, im)
		}
	}
	l.pendingUploads = nil
}

// check holds the server to the ledger on every path: each live image's
// document, bytes and thumbnails; each deleted one gone by id, file,
// thumbnails, list and search; and no document the ledger does not know.
func (l *ledger) check(t *testing.T, c *client) {
	t.Helper()
	live := map[string]*tracked{}
	for id, im := range l.images {
		if !im.deleted {
			live[id] = im
			status, b, err := c.do("GET", "/api/images/"+id, nil, "")
			if err != nil || status != http.StatusOK {
				t.Errorf("acknowledged image %s: %d %s %v", id, status, b, err)
				continue
			}
			if title := jsonString(t, b, "title"); title != im.title {
				t.Errorf("image %s: title %q, want the acknowledged %q", id, title, im.title)
			}
			if status, b, err := c.do("GET", "/api/images/"+id+"/file", nil, ""); err != nil || status != http.StatusOK || !bytes.Equal(b, im.data) {
				t.Errorf("image %s file: %d, %d bytes (want %d, the same) %v", id, status, len(b), len(im.data), err)
			}
			for _, size := range []string{"small", "large"} {
				if status, b, err := c.do("GET", "/api/images/"+id+"/thumb/"+size, nil, ""); err != nil || status != http.StatusOK || len(b) == 0 {
					t.Errorf("image %s %s thumbnail: %d, %d bytes %v", id, size, status, len(b), err)
				}
			}
			continue
		}
		checkGone(t, c, id)
	}

	listedIDs := func(query string) map[string]bool {
		all, err := c.listAll(query)
		if err != nil {
			t.Fatal(err)
		}
		ids := map[string]bool{}
		for _, im := range all {
			ids[im.ID] = true
			tr := l.images[im.ID]
			switch {
			case tr == nil:
				t.Errorf("%s shows image %s, which no client uploaded", query, im.ID)
			case tr.deleted:
				t.Errorf("%s shows the deleted image %s", query, im.ID)
			}
		}
		return ids
	}
	if ids := listedIDs(""); len(ids) != len(live) {
		t.Errorf("the list has %d images, the clients %d", len(ids), len(live))
	}
	// The index catches up in the background after a crash: wait for it,
	// never seeing a deleted image meanwhile.
	deadline := time.Now().Add(hangLimit)
	for {
		ids := listedIDs("q=crash")
		if len(ids) == len(live) || t.Failed() {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("search finds %d images, the clients have %d", len(ids), len(live))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func jsonString(t *testing.T, b []byte, key string) string {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	s, _ := m[key].(string)
	return s
}

// TestBinary_Crash runs the real binary through rounds of concurrent
// uploads, edits and deletes, each ended by a SIGKILL at a random moment,
// and after each restart holds it to everything it acknowledged.
func TestBinary_Crash(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and kills it")
	}
	const rounds, clients = 4, 4
	bin := buildBinary(t)
	dir := filepath.Join(t.TempDir(), "data")
	srv := startChild(t, bin, dir)
	c := newAdminClient(t, srv.url)
	l := &ledger{images: map[string]*tracked{}}
	r := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 2))

	for round := range rounds {
		if round > 0 {
			srv = startChild(t, bin, dir)
			c.base = srv.url
			l.settle(t, c)
			l.check(t, c)
			if t.Failed() {
				t.Fatalf("after round %d", round)
			}
		}
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for i := range clients {
			wg.Go(func() { l.work(c, uint64(round*clients+i), stop) })
		}
		time.Sleep(time.Duration(200+r.IntN(1300)) * time.Millisecond)
		srv.kill()
		close(stop)
		wg.Wait()
		t.Logf("round %d: killed; so far %d uploads, %d edits, %d deletes acknowledged, %d unanswered uploads",
			round, l.uploads, l.edits, l.deletes, len(l.pendingUploads))
	}

	srv = startChild(t, bin, dir)
	c.base = srv.url
	l.settle(t, c)
	l.check(t, c)
	srv.stop(t)
	verifyStopped(t, dir)
	if left := dirEntries(t, filepath.Join(dir, "uploads")); len(left) > 0 {
		t.Errorf("spooled uploads left after a clean stop: %v", left)
	}
	for _, u := range l.unexpected {
		t.Errorf("unexpected answer: %s", u)
	}
	if l.uploads == 0 || l.edits == 0 || l.deletes == 0 {
		t.Errorf("the clients got %d uploads, %d edits and %d deletes acknowledged; the test needs some of each", l.uploads, l.edits, l.deletes)
	}
}

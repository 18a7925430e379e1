package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// listAll returns every image the client may see, through the API.
func listAll(t *testing.T, c *http.Client, base string) map[string]string {
	t.Helper()
	out := map[string]string{} // id → sha256
	cursor := ""
	for {
		code, b := get(t, c, base+"/api/images?limit=200&cursor="+cursor)
		if code != 200 {
			t.Fatalf("list: %d %s", code, b)
		}
		var page struct {
			Images []struct{ ID, SHA256 string }
			Next   string
		}
		if err := json.Unmarshal(b, &page); err != nil {
			t.Fatal(err)
		}
		for _, img := range page.Images {
			out[img.ID] = img.SHA256
		}
		if cursor = page.Next; cursor == "" {
			return out
		}
	}
}

// TestBackup_RoundTrip takes a backup through the real command while
// uploads and deletes go on, restores it with the real command, and checks
// that the restored dir verifies clean and serves the same bytes for every
// image acknowledged before the backup began, and whole bytes for every
// image it holds.
func TestBackup_RoundTrip(t *testing.T) {
	dir := t.TempDir()
	m := startMain(t, dir)
	defer m.Close()
	base := m.URL()
	c := signIn(t, base, "admin", "admin-password", true)
	token := createToken(t, c, base)

	before := map[string][]byte{}
	for i := range 6 {
		data := genImage(t, i, i%2 == 0)
		before[uploadFile(t, c, base, fmt.Sprintf("before-%d.png", i), data)] = data
	}

	// Uploads and deletes go on during the backup, from another client.
	stop := make(chan struct{})
	started := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			id := uploadFile(t, c, base, "during.png", genImage(t, 100+i, i%2 == 1))
			if i == 0 {
				close(started)
			}
			if i%3 == 2 {
				req, _ := http.NewRequest("DELETE", base+"/api/images/"+id, nil)
				if resp, err := c.Do(req); err != nil || resp.StatusCode != 204 {
					t.Errorf("delete during the backup: %v %v", resp, err)
				}
			}
		}
	})
	<-started
	file := filepath.Join(t.TempDir(), "repo.tar")
	code, out, errOut := runCmd(t, "backup", "--server", base, "--token", token, file)
	close(stop)
	wg.Wait()
	if code != 0 || !strings.Contains(errOut, "backup written to") {
		t.Fatalf("backup: exit %d\n%s%s", code, out, errOut)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}

	restored := filepath.Join(t.TempDir(), "restored")
	if code, out, errOut := runCmd(t, "restore", "--data", restored, file); code != 0 {
		t.Fatalf("restore: exit %d\n%s%s", code, out, errOut)
	}
	if code, out, errOut := runCmd(t, "verify", "--data", restored); code != 0 {
		t.Fatalf("verify the restored dir: exit %d\n%s%s", code, out, errOut)
	}

	m2 := startMain(t, restored)
	defer m2.Close()
	c2 := signIn(t, m2.URL(), "admin", "admin-password", false)
	for id, data := range before {
		if code, b := get(t, c2, m2.URL()+"/api/images/"+id+"/file"); code != 200 || string(b) != string(data) {
			t.Errorf("image %s acknowledged before the backup: %d, %d bytes (want %d)", id, code, len(b), len(data))
		}
		if code, _ := get(t, c2, m2.URL()+"/api/images/"+id+"/thumb/small"); code != 200 {
			t.Errorf("image %s: small thumbnail %d", id, code)
		}
	}
	all := listAll(t, c2, m2.URL())
	if len(all) < len(before) {
		t.Errorf("the restored repository lists %d images, fewer than the %d before the backup", len(all), len(before))
	}
	for id, sum := range all {
		code, b := get(t, c2, m2.URL()+"/api/images/"+id+"/file")
		got := sha256.Sum256(b)
		if code != 200 || hex.EncodeToString(got[:]) != sum {
			t.Errorf("image %s in the backup is not whole: %d, sha256 %x, want %s", id, code, got, sum)
		}
	}
	// The search index was built: a search finds the images by title.
	if code, b := get(t, c2, m2.URL()+"/api/images?q=before"); code != 200 || strings.Count(string(b), `"id"`) != len(before) {
		t.Errorf("search in the restored repository: %d %s", code, b)
	}
}

// TestBackup_Refusals: a token that is not an admin's gets 403 and no file;
// a truncated or corrupt backup makes restore fail and leaves no data dir;
// restore refuses a data dir that is not empty.
func TestBackup_Refusals(t *testing.T) {
	dir := t.TempDir()
	m := startMain(t, dir)
	defer m.Close()
	base := m.URL()
	admin := signIn(t, base, "admin", "admin-password", true)
	uploadFile(t, admin, base, "one.png", genImage(t, 1, false))
	two := genImage(t, 2, true)
	uploadFile(t, admin, base, "two.jpg", two)
	if resp, err := admin.Post(base+"/api/users", "application/json", strings.NewReader(`{"username":"bob","password":"bob-password"}`)); err != nil || resp.StatusCode != 201 {
		t.Fatalf("create bob: %v %v", resp, err)
	}
	bob := signIn(t, base, "bob", "bob-password", false)

	out := t.TempDir()
	file := filepath.Join(out, "bob.tar")
	code, _, errOut := runCmd(t, "backup", "--server", base, "--token", createToken(t, bob, base), file)
	if code != 1 || !strings.Contains(errOut, "403") {
		t.Errorf("backup with a non-admin token: exit %d\n%s", code, errOut)
	}
	if code, _, errOut := runCmd(t, "backup", "--server", base, "--token", "not-a-token", file); code != 1 || !strings.Contains(errOut, "401") {
		t.Errorf("backup with a bad token: exit %d\n%s", code, errOut)
	}
	if entries, _ := os.ReadDir(out); len(entries) != 0 {
		t.Errorf("refused backups left files: %v", entries)
	}

	file = filepath.Join(out, "good.tar")
	if code, _, errOut := runCmd(t, "backup", "--server", base, "--token", createToken(t, admin, base), file); code != 0 {
		t.Fatalf("backup: exit %d\n%s", code, errOut)
	}
	good, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	// One bit changed inside an image's bytes.
	corrupt := []byte(string(good))
	at := strings.Index(string(good), string(two))
	if at < 0 {
		t.Fatal("the backup does not hold the image's bytes as they are")
	}
	corrupt[at+len(two)/2] ^= 0x20
	for name, data := range map[string][]byte{
		"truncated": good[:len(good)/2],
		"corrupt":   corrupt,
		"empty":     nil,
	} {
		bad := filepath.Join(out, name+".tar")
		os.WriteFile(bad, data, 0o600)
		parent := t.TempDir()
		target := filepath.Join(parent, "data")
		code, stdout, errOut := runCmd(t, "restore", "--data", target, bad)
		if code != 1 || !strings.Contains(errOut, "restore:") {
			t.Errorf("restore of a %s backup: exit %d\n%s%s", name, code, stdout, errOut)
		}
		if entries, _ := os.ReadDir(parent); len(entries) != 0 {
			t.Errorf("restore of a %s backup left %v behind", name, entries)
		}
	}

	full := t.TempDir()
	os.WriteFile(filepath.Join(full, "keep"), []byte("mine"), 0o600)
	if code, _, errOut := runCmd(t, "restore", "--data", full, file); code != 1 || !strings.Contains(errOut, "not empty") {
		t.Errorf("restore into a non-empty dir: exit %d\n%s", code, errOut)
	}
	// An empty existing dir is fine.
	empty := t.TempDir()
	if code, out, errOut := runCmd(t, "restore", "--data", empty, file); code != 0 {
		t.Errorf("restore into an empty dir: exit %d\n%s%s", code, out, errOut)
	}

	// A blob changed on the server fails the backup midway: the server
	// cuts the stream and the command writes no file. A blob gone fails it
	// before it starts, with a 500.
	sum := sha256.Sum256(two)
	blob := blobFile(dir, hex.EncodeToString(sum[:]))
	flipByte(t, blob)
	for _, damage := range []struct{ name, want string }{
		{"corrupt", "backup failed after"},
		{"missing", "could not take the backup (500)"},
	} {
		if damage.name == "missing" {
			if err := os.Remove(blob); err != nil {
				t.Fatal(err)
			}
		}
		broken := filepath.Join(out, "broken.tar")
		code, _, errOut = runCmd(t, "backup", "--server", base, "--token", createToken(t, admin, base), broken)
		if code != 1 || !strings.Contains(errOut, "was not written") || !strings.Contains(errOut, damage.want) {
			t.Errorf("backup of a server with a %s blob: exit %d\n%s", damage.name, code, errOut)
		}
		if _, err := os.Stat(broken); err == nil {
			t.Error("a failed backup left its file")
		}
		if matches, _ := filepath.Glob(filepath.Join(out, ".broken.tar.tmp-*")); len(matches) > 0 {
			t.Errorf("a failed backup left %v", matches)
		}
	}
}

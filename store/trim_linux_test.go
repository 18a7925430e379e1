//go:build linux

package store

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"

	"go.etcd.io/bbolt"
)

// TestDB_TrimMapped reads 32 MB of the bbolt file, which the process's
// file-backed RSS then holds, and gives it back with TrimMapped; the data
// reads the same afterwards.
func TestDB_TrimMapped(t *testing.T) {
	db := openDB(t, t.TempDir(), Options{})
	scratch := []byte("scratch")
	value := func(i int) []byte { return bytes.Repeat([]byte{byte(i)}, 32<<10) }
	const n = 1024 // 32 MB
	if err := db.bolt.Update(func(tx *bbolt.Tx) error {
		b, err := tx.CreateBucket(scratch)
		if err != nil {
			return err
		}
		for i := range n {
			if err := b.Put(fmt.Appendf(nil, "%04d", i), value(i)); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	readAll := func() {
		t.Helper()
		if err := db.bolt.View(func(tx *bbolt.Tx) error {
			for i := range n {
				if !bytes.Equal(tx.Bucket(scratch).Get(fmt.Appendf(nil, "%04d", i)), value(i)) {
					return fmt.Errorf("value %d differs", i)
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.TrimMapped(); err != nil {
		t.Fatal(err)
	}
	before := rssFileKB(t)
	readAll()
	read := rssFileKB(t)
	if err := db.TrimMapped(); err != nil {
		t.Fatal(err)
	}
	after := rssFileKB(t)
	t.Logf("RssFile: %d kB before the read, %d kB after it, %d kB after TrimMapped", before, read, after)
	if read-before < 24<<10 {
		t.Skipf("reading 32 MB of the map added only %d kB to RssFile: nothing to measure here", read-before)
	}
	if read-after < 24<<10 {
		t.Errorf("TrimMapped gave back %d kB of the %d kB the read added", read-after, read-before)
	}
	readAll()
}

func rssFileKB(t *testing.T) int {
	t.Helper()
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Skip("no /proc/self/status:", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "RssFile:"); ok {
			kb, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")))
			if err != nil {
				t.Fatal(err)
			}
			return kb
		}
	}
	t.Skip("no RssFile in /proc/self/status")
	return 0
}

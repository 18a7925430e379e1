package search_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"imagerepo/gallery"
	"imagerepo/search"
)

// TestCheckIndex: an index in step with its source has no problems; one
// whose source gained, lost or changed images, or that is missing, does.
func TestCheckIndex(t *testing.T) {
	ctx := context.Background()
	a, b, c := fixtureImage(1, "one"), fixtureImage(2, "two"), fixtureImage(3, "three")
	dir := t.TempDir()
	idx := openIndex(t, dir, search.Options{Source: newMemSource(a, b), StoreSeq: 5})
	if err := idx.Close(); err != nil {
		t.Fatal(err)
	}
	check := func(seq uint64, src gallery.ImageService) string {
		t.Helper()
		problems, err := search.CheckIndex(ctx, dir, seq, src)
		if err != nil {
			t.Fatal(err)
		}
		return errors.Join(problems...).Error()
	}
	if problems, err := search.CheckIndex(ctx, dir, 5, newMemSource(a, b)); err != nil || len(problems) > 0 {
		t.Fatalf("in step: %v %v", problems, err)
	}
	tests := []struct {
		name string
		seq  uint64
		src  gallery.ImageService
		want []string
	}{
		{"counter", 6, newMemSource(a, b), []string{"write counter is 5, the store's 6"}},
		{"one more", 5, newMemSource(a, b, c), []string{"2 documents, the store 3", "1 images are not indexed: [" + c.ID + "]"}},
		{"one less", 5, newMemSource(a), []string{"ids the store does not have: [" + b.ID + "]"}},
	}
	for _, tt := range tests {
		got := check(tt.seq, tt.src)
		for _, w := range tt.want {
			if !strings.Contains(got, w) {
				t.Errorf("%s: problems %q lack %q", tt.name, got, w)
			}
		}
	}
	if problems, _ := search.CheckIndex(ctx, t.TempDir(), 0, newMemSource()); len(problems) != 1 || !strings.Contains(problems[0].Error(), "missing") {
		t.Errorf("no index: %v", problems)
	}
}

package cache_test

import (
	"bytes"
	"fmt"
	"sync"
	"testing"

	"imagerepo/cache"
)

func TestBlobs_StaysWithinBudget(t *testing.T) {
	const budget = 64 << 10
	b := cache.NewBlobs(budget)
	val := func(i int) []byte { return bytes.Repeat([]byte{byte(i)}, 3000+i) }
	for i := range 200 {
		b.Add(fmt.Sprint(i), val(i))
		if s := b.Stats(); s.Bytes > budget {
			t.Fatalf("after %d adds: %d bytes held, budget %d", i+1, s.Bytes, budget)
		}
	}
	s := b.Stats()
	if s.Len == 0 || s.Len >= 200 || s.Bytes < budget-8000 {
		t.Fatalf("stats = %+v: the budget should be nearly full with some entries evicted", s)
	}
	// The newest are kept, the oldest went.
	if got, ok := b.Get("199"); !ok || !bytes.Equal(got, val(199)) {
		t.Fatalf("newest entry: ok=%v len=%d", ok, len(got))
	}
	if _, ok := b.Get("0"); ok {
		t.Fatal("the oldest entry is still held")
	}
}

func TestBlobs_RecentlyUsedIsKept(t *testing.T) {
	b := cache.NewBlobs(8 * 1000)
	for i := range 9 { // one more than fits
		b.Add(fmt.Sprint(i), make([]byte, 1000))
		if _, ok := b.Get("0"); !ok {
			t.Fatalf("entry 0, used after every add, went after add %d", i)
		}
	}
	if _, ok := b.Get("1"); ok {
		t.Fatal("entry 1, the least recently used, was kept past the budget")
	}
}

func TestBlobs_RefusesLargeAndEmpty(t *testing.T) {
	b := cache.NewBlobs(80_000)
	if !b.Fits(10_000) || b.Fits(10_001) || b.Fits(0) {
		t.Fatal("Fits: an entry may take up to an eighth of the budget, and must hold bytes")
	}
	b.Add("big", make([]byte, 10_001))
	b.Add("empty", nil)
	if s := b.Stats(); s.Len != 0 || s.Bytes != 0 {
		t.Fatalf("stats = %+v, want nothing held", s)
	}
	if none := cache.NewBlobs(0); none.Fits(1) {
		t.Fatal("a zero budget holds nothing")
	}
}

func TestBlobs_Concurrent(t *testing.T) {
	const budget = 32 << 10
	b := cache.NewBlobs(budget)
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 500 {
				k := fmt.Sprint((w*31 + i) % 97)
				if v, ok := b.Get(k); ok {
					if len(v) != 1000+len(k) {
						t.Errorf("%s: %d bytes", k, len(v))
					}
					continue
				}
				b.Add(k, make([]byte, 1000+len(k)))
			}
		}()
	}
	wg.Wait()
	if s := b.Stats(); s.Bytes > budget || s.Hits+s.Misses != 8*500 {
		t.Fatalf("stats = %+v", s)
	}
}

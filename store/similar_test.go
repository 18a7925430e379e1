package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"math/rand/v2"
	"slices"
	"testing"

	"imagerepo/gallery"
)

// createHashed stores an image of owner with that hash and visibility.
func createHashed(tb testing.TB, s *ImageService, owner string, hash uint64, vis gallery.Visibility) *gallery.Image {
	tb.Helper()
	img := newImage(owner)
	img.Hash, img.Visibility = hash, vis
	var body [8]byte
	binary.BigEndian.PutUint64(body[:], rand.Uint64())
	created, _, err := s.CreateImage(context.Background(), img, bytes.NewReader(body[:]))
	if err != nil {
		tb.Fatal(err)
	}
	return created
}

func similarIDs(found []gallery.Similar) []string {
	out := make([]string, len(found))
	for i, f := range found {
		out[i] = f.Image.ID
	}
	return out
}

func TestImageService_FindSimilar_Order(t *testing.T) {
	s, _, clock := newService(t)
	ctx := context.Background()
	const base = 0xF0F0_F0F0_0F0F_0F0F
	target := createHashed(t, s, "alice", base, gallery.Public)
	far := createHashed(t, s, "alice", ^uint64(base), gallery.Public) // 64 away
	clock.Add(1)
	near2old := createHashed(t, s, "bob", base^0b11, gallery.Public)
	clock.Add(1)
	near1 := createHashed(t, s, "bob", base^0b1000, gallery.Public)
	clock.Add(1)
	near2new := createHashed(t, s, "alice", base^0b1100_0000, gallery.Public)
	create(t, s, "alice", "no hash") // stored before hashes: never found

	got, err := s.FindSimilar(ctx, target.ID, gallery.SimilarFilter{})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{near1.ID, near2new.ID, near2old.ID, far.ID}
	if !slices.Equal(similarIDs(got), want) {
		t.Fatalf("order %v, want %v", similarIDs(got), want)
	}
	for i, d := range []int{1, 2, 2, 64} {
		if got[i].Distance != d {
			t.Errorf("distance[%d] = %d, want %d", i, got[i].Distance, d)
		}
	}

	got, _ = s.FindSimilar(ctx, target.ID, gallery.SimilarFilter{Limit: 2})
	if !slices.Equal(similarIDs(got), want[:2]) {
		t.Errorf("limit 2: %v", similarIDs(got))
	}
	got, _ = s.FindSimilar(ctx, target.ID, gallery.SimilarFilter{Within: gallery.NearDuplicateDistance, Owner: ptr("alice")})
	if !slices.Equal(similarIDs(got), []string{near2new.ID}) {
		t.Errorf("alice's within 6: %v", similarIDs(got))
	}
	for _, limit := range []int{-1, gallery.MaxSimilarLimit + 1} {
		_, err := s.FindSimilar(ctx, target.ID, gallery.SimilarFilter{Limit: limit})
		wantCode(t, err, gallery.EINVALID)
	}
	_, err = s.FindSimilar(ctx, "nope", gallery.SimilarFilter{})
	wantCode(t, err, gallery.ENOTFOUND)
}

// The index follows every write: visibility changes, deletes, new images,
// and owners handed over wholesale (a reset).
func TestImageService_FindSimilar_Visibility(t *testing.T) {
	s, db, _ := newService(t)
	ctx := context.Background()
	bob := &gallery.User{Username: "bob", Role: gallery.RoleUser}
	admin := &gallery.User{Username: "root", Role: gallery.RoleAdmin}
	pub := createHashed(t, s, "alice", 1, gallery.Public)
	priv := createHashed(t, s, "alice", 3, gallery.Private)
	mine := createHashed(t, s, "bob", 7, gallery.Private)

	check := func(viewer *gallery.User, want ...string) {
		t.Helper()
		got, err := s.FindSimilar(ctx, pub.ID, gallery.SimilarFilter{Viewer: viewer})
		if err != nil {
			t.Fatal(err)
		}
		slices.Sort(want)
		g := similarIDs(got)
		slices.Sort(g)
		if !slices.Equal(g, want) {
			t.Errorf("viewer %v: %v, want %v", viewer, g, want)
		}
	}
	check(nil)
	check(bob, mine.ID)
	check(admin, priv.ID, mine.ID)
	check(&gallery.User{Username: "alice", Role: gallery.RoleUser}, priv.ID)
	if _, err := s.FindSimilar(ctx, priv.ID, gallery.SimilarFilter{Viewer: bob}); gallery.ErrorCode(err) != gallery.ENOTFOUND {
		t.Fatalf("bob asks about alice's private image: %v", err)
	}

	vis := gallery.Public
	if _, err := s.UpdateImage(ctx, priv.ID, gallery.ImageUpdate{Visibility: &vis}); err != nil {
		t.Fatal(err)
	}
	check(nil, priv.ID)
	if err := s.DeleteImage(ctx, priv.ID); err != nil {
		t.Fatal(err)
	}
	check(nil)
	late := createHashed(t, s, "carol", 2, gallery.Public)
	check(nil, late.ID)
	db.hashes.reset()
	check(bob, late.ID, mine.ID)
}

// BenchmarkImageService_FindSimilar scans 100,000 hashes, a few of them
// near, with a mix of public and private images.
func BenchmarkImageService_FindSimilar(b *testing.B) {
	s, db, _ := newService(b)
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(1, 2))
	target := createHashed(b, s, "alice", rng.Uint64(), gallery.Public)
	for range 20 {
		createHashed(b, s, "bob", target.Hash^(1<<rng.IntN(64)), gallery.Public)
	}
	if err := db.hashes.ensure(db); err != nil {
		b.Fatal(err)
	}
	db.hashes.mu.Lock()
	for i := range 100_000 - len(db.hashes.entries) {
		id := "fake" + string(rune('a'+i%26)) + string(binary.BigEndian.AppendUint32(nil, uint32(i)))
		db.hashes.pos[id] = len(db.hashes.entries)
		db.hashes.entries = append(db.hashes.entries, hashEntry{hash: rng.Uint64(), id: id, owner: "carol", public: i%3 != 0})
	}
	db.hashes.mu.Unlock()
	viewer := &gallery.User{Username: "bob", Role: gallery.RoleUser}
	for b.Loop() {
		got, err := s.FindSimilar(ctx, target.ID, gallery.SimilarFilter{Viewer: viewer})
		if err != nil || len(got) != gallery.DefaultSimilarLimit {
			b.Fatal(len(got), err)
		}
	}
}

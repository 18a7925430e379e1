package search_test

import (
	"context"
	"encoding/base64"
	"slices"
	"strings"
	"testing"
	"time"

	"imagerepo/gallery"
	"imagerepo/search"
)

func TestIndex_SearchImages_EdgeQueries(t *testing.T) {
	f := filmIndex(t)
	tests := []struct {
		name    string
		text    string
		wantErr string // "" or the error code
	}{
		{"field syntax", "title:*", ""},
		{"regexp syntax", "/.*/", ""},
		{"fuzzy syntax", "~10", ""},
		{"boost syntax", "toy^100", ""},
		{"operators", `+-"`, ""},
		{"boolean words", "toy AND story OR NOT nemo", ""},
		{"wildcards", "*?*", ""},
		{"unterminated quote", `"toy story`, ""},
		{"brackets", `([{}]) \ //`, ""},
		{"range syntax", "created:>2020-01-01", ""},
		{"nul and controls", "toy\x00\x01\x1bstory", ""},
		{"invalid utf-8", "\xff\xfetoy\xc3", ""},
		{"emoji", "🎬🍿", ""},
		{"japanese", "千と千尋の神隠し", ""},
		{"arabic", "قصة لعبة", ""},
		{"combining accents", "Cafe\u0301", ""},
		{"one letter", "a", ""},
		{"very long word", strings.Repeat("x", search.MaxTextLen), ""},
		{"many words", strings.Repeat("toy story ", search.MaxTextLen/10), ""},
		{"many short words", strings.Repeat("ab ", search.MaxTextLen/3), ""},
		{"only spaces", "   \t ", ""},
		{"empty", "", ""},
		{"10 KB", strings.Repeat("toy ", 2560), gallery.EINVALID},
		{"just over the limit", strings.Repeat("x", search.MaxTextLen+1), gallery.EINVALID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := f.idx.SearchImages(context.Background(), gallery.SearchQuery{Text: tt.text, Limit: 20})
			if code := gallery.ErrorCode(err); code != tt.wantErr {
				t.Fatalf("err = %v (code %q), want code %q", err, code, tt.wantErr)
			}
			if err == nil && (res == nil || res.IDs == nil || len(res.IDs) > 20 || res.Total < len(res.IDs)) {
				t.Fatalf("bad result %+v", res)
			}
		})
	}

	// Syntax characters are text: they neither widen nor break a query.
	if got := f.titles(t, "title:*", 10); len(got) != 0 {
		t.Errorf("title:* found %q", got)
	}
	if got := f.titles(t, "toy^100", 1); len(got) == 0 || !strings.HasPrefix(got[0], "Toy Story") {
		t.Errorf("toy^100 found %q", got)
	}
	if got := f.titles(t, `"toy story`, 1); len(got) == 0 || got[0] != "Toy Story" {
		t.Errorf(`"toy story found %q`, got)
	}
	if got := f.titles(t, "Cafe\u0301", 1); len(got) == 0 || got[0] != "Café Society" {
		t.Errorf("decomposed Café found %q", got)
	}
}

// visibilityFixture is one image per owner and visibility, all titled
// "Sunset", and one ownerless public image.
func visibilityFixture(t *testing.T) (*search.Index, map[string]string) {
	t.Helper()
	specs := []struct {
		name, owner string
		vis         gallery.Visibility
	}{
		{"alice-public", "alice", gallery.Public},
		{"alice-private", "alice", gallery.Private},
		{"bob-public", "bob", gallery.Public},
		{"bob-private", "bob", gallery.Private},
		{"nobody-public", "", gallery.Public},
	}
	var imgs []*gallery.Image
	names := map[string]string{}
	for i, s := range specs {
		img := fixtureImage(i, "Sunset over the sea")
		img.Owner, img.Visibility = s.owner, s.vis
		imgs = append(imgs, img)
		names[img.ID] = s.name
	}
	return openIndex(t, t.TempDir(), search.Options{Source: newMemSource(imgs...)}), names
}

func TestIndex_SearchImages_Visibility(t *testing.T) {
	idx, names := visibilityFixture(t)
	alice := &gallery.User{Username: "alice", Role: gallery.RoleUser}
	bob := &gallery.User{Username: "bob", Role: gallery.RoleUser}
	admin := &gallery.User{Username: "root", Role: gallery.RoleAdmin}
	disabledAlice := &gallery.User{Username: "alice", Role: gallery.RoleUser, Disabled: true}
	disabledAdmin := &gallery.User{Username: "root", Role: gallery.RoleAdmin, Disabled: true}
	noName := &gallery.User{Role: gallery.RoleUser}
	public := []string{"alice-public", "bob-public", "nobody-public"}
	tests := []struct {
		name   string
		viewer *gallery.User
		want   []string
	}{
		{"anonymous", nil, public},
		{"alice", alice, append(slices.Clone(public), "alice-private")},
		{"bob", bob, append(slices.Clone(public), "bob-private")},
		{"admin", admin, append(slices.Clone(public), "alice-private", "bob-private")},
		{"disabled user", disabledAlice, public},
		{"disabled admin", disabledAdmin, public},
		{"user without a name", noName, public},
	}
	for _, tt := range tests {
		for _, text := range []string{"sunset", "sunst", "suns", ""} {
			t.Run(tt.name+"/"+text, func(t *testing.T) {
				res := mustSearch(t, idx, gallery.SearchQuery{Text: text, Viewer: tt.viewer})
				var got []string
				for _, id := range res.IDs {
					got = append(got, names[id])
				}
				slices.Sort(got)
				want := slices.Sorted(slices.Values(tt.want))
				if !slices.Equal(got, want) || res.Total != len(want) {
					t.Fatalf("got %q (total %d), want %q", got, res.Total, want)
				}
				// Total counts what this viewer may see, not the page.
				one := mustSearch(t, idx, gallery.SearchQuery{Text: text, Viewer: tt.viewer, Limit: 1})
				if one.Total != len(want) || len(one.IDs) != 1 {
					t.Fatalf("limit 1: %d ids, total %d, want total %d", len(one.IDs), one.Total, len(want))
				}
			})
		}
	}
}

// TestIndex_SearchImages_VisibilityWithFilters checks visibility combined
// with another filter, which takes other paths than visibility alone.
func TestIndex_SearchImages_VisibilityWithFilters(t *testing.T) {
	idx, names := visibilityFixture(t)
	alice := "alice"
	tests := []struct {
		name   string
		viewer *gallery.User
		want   []string
	}{
		{"anonymous", nil, []string{"alice-public"}},
		{"alice", &gallery.User{Username: "alice", Role: gallery.RoleUser}, []string{"alice-private", "alice-public"}},
		{"bob", &gallery.User{Username: "bob", Role: gallery.RoleUser}, []string{"alice-public"}},
		{"admin", &gallery.User{Username: "root", Role: gallery.RoleAdmin}, []string{"alice-private", "alice-public"}},
	}
	for _, tt := range tests {
		for _, text := range []string{"sunset", ""} {
			t.Run(tt.name+"/"+text, func(t *testing.T) {
				res := mustSearch(t, idx, gallery.SearchQuery{Text: text, Viewer: tt.viewer, Owner: &alice, Type: "image/jpeg"})
				var got []string
				for _, id := range res.IDs {
					got = append(got, names[id])
				}
				slices.Sort(got)
				if !slices.Equal(got, tt.want) || res.Total != len(tt.want) {
					t.Fatalf("got %q (total %d), want %q", got, res.Total, tt.want)
				}
			})
		}
	}
}

func TestIndex_SearchImages_Filters(t *testing.T) {
	type spec struct {
		title, owner, typ string
		tags              []string
	}
	specs := []spec{
		{"Beach at dawn", "alice", "image/jpeg", []string{"Sea", "holiday"}},
		{"Beach at noon", "alice", "image/png", []string{"sea"}},
		{"Beach at dusk", "bob", "image/jpeg", []string{"SEA", "Café"}},
		{"Mountain lake", "bob", "image/png", []string{"lake"}},
		{"City beach", "carol", "image/webp", nil},
		{"summer_holiday_2023", "carol", "image/webp", nil},
	}
	var imgs []*gallery.Image
	byID := map[string]string{}
	for i, s := range specs {
		img := fixtureImage(i, s.title)
		img.Owner, img.ContentType, img.Tags = s.owner, s.typ, s.tags
		if img.Tags == nil {
			img.Tags = []string{}
		}
		imgs = append(imgs, img)
		byID[img.ID] = s.title
	}
	idx := openIndex(t, t.TempDir(), search.Options{Source: newMemSource(imgs...)})
	at := func(i int) *time.Time { tm := base.Add(time.Duration(i) * time.Minute); return &tm }
	str := func(s string) *string { return &s }
	tests := []struct {
		name    string
		q       gallery.SearchQuery
		want    []string // in order
		ordered bool
	}{
		{"tag, any case", gallery.SearchQuery{Tag: "sea"}, []string{"Beach at dusk", "Beach at noon", "Beach at dawn"}, true},
		{"tag upper case", gallery.SearchQuery{Tag: " SEA "}, []string{"Beach at dusk", "Beach at noon", "Beach at dawn"}, true},
		{"tag with accent", gallery.SearchQuery{Tag: "café"}, []string{"Beach at dusk"}, true},
		{"tag is exact, not a word", gallery.SearchQuery{Tag: "se"}, nil, true},
		{"type", gallery.SearchQuery{Type: "image/png"}, []string{"Mountain lake", "Beach at noon"}, true},
		{"owner", gallery.SearchQuery{Owner: str("bob")}, []string{"Mountain lake", "Beach at dusk"}, true},
		{"nobody's", gallery.SearchQuery{Owner: str("")}, nil, true},
		{"from is inclusive", gallery.SearchQuery{From: at(3), To: at(5)}, []string{"City beach", "Mountain lake"}, true},
		{"to is exclusive", gallery.SearchQuery{To: at(1)}, []string{"Beach at dawn"}, true},
		{"from and to", gallery.SearchQuery{From: at(1), To: at(3)}, []string{"Beach at dusk", "Beach at noon"}, true},
		{"empty range", gallery.SearchQuery{From: at(3), To: at(3)}, nil, true},
		{"far past and future", gallery.SearchQuery{From: ptr(time.Time{}), To: ptr(time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC))}, []string{"summer_holiday_2023", "City beach", "Mountain lake", "Beach at dusk", "Beach at noon", "Beach at dawn"}, true},
		{"from the far future", gallery.SearchQuery{From: ptr(time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC))}, nil, true},
		{"text and tag", gallery.SearchQuery{Text: "beach", Tag: "sea"}, []string{"Beach at dusk", "Beach at noon", "Beach at dawn"}, false},
		{"text and type", gallery.SearchQuery{Text: "beach", Type: "IMAGE/WEBP"}, []string{"City beach"}, true},
		{"text, owner and time", gallery.SearchQuery{Text: "beach", Owner: str("alice"), From: at(1)}, []string{"Beach at noon"}, true},
		{"text finds tags", gallery.SearchQuery{Text: "holiday"}, []string{"summer_holiday_2023", "Beach at dawn"}, true},
		{"words joined by underscores", gallery.SearchQuery{Text: "summer"}, []string{"summer_holiday_2023"}, true},
		{"text finds file names", gallery.SearchQuery{Text: "0003"}, []string{"Mountain lake"}, true},
		{"no filter: newest first", gallery.SearchQuery{}, []string{"summer_holiday_2023", "City beach", "Mountain lake", "Beach at dusk", "Beach at noon", "Beach at dawn"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := mustSearch(t, idx, tt.q)
			got := []string{}
			for _, id := range res.IDs {
				got = append(got, byID[id])
			}
			want := slices.Clone(tt.want)
			if want == nil {
				want = []string{}
			}
			if !tt.ordered {
				slices.Sort(got)
				slices.Sort(want)
			}
			if !slices.Equal(got, want) || res.Total != len(want) {
				t.Fatalf("got %q (total %d), want %q", got, res.Total, want)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

func TestIndex_SearchImages_Cursor(t *testing.T) {
	f := filmIndex(t)
	for _, text := range []string{"the", ""} {
		all := mustSearch(t, f.idx, gallery.SearchQuery{Text: text, Limit: 200})
		if len(all.IDs) < 20 {
			t.Fatalf("%q: only %d results", text, len(all.IDs))
		}
		var paged []string
		cursor := ""
		for pages := 0; ; pages++ {
			if pages > 200 {
				t.Fatalf("%q: cursor never ends", text)
			}
			res := mustSearch(t, f.idx, gallery.SearchQuery{Text: text, Limit: 7, Cursor: cursor})
			if res.Total != all.Total {
				t.Fatalf("%q: page total %d, want %d", text, res.Total, all.Total)
			}
			paged = append(paged, res.IDs...)
			if res.Next == "" {
				break
			}
			cursor = res.Next
		}
		// Paging gives what one big page gives, and beyond it up to Total.
		if len(paged) != all.Total || !slices.Equal(paged[:len(all.IDs)], all.IDs) {
			t.Fatalf("%q: paging gave %d ids, want %d starting with the %d of one page", text, len(paged), all.Total, len(all.IDs))
		}
		if len(slices.Compact(slices.Sorted(slices.Values(paged)))) != len(paged) {
			t.Fatalf("%q: paging repeated ids", text)
		}
	}

	def := mustSearch(t, f.idx, gallery.SearchQuery{Text: "the"})
	if len(def.IDs) != gallery.DefaultPageLimit || def.Next == "" {
		t.Fatalf("limit 0: %d ids, next %q", len(def.IDs), def.Next)
	}
	enc := base64.RawURLEncoding.EncodeToString
	for _, c := range []string{"x", "!!!", enc([]byte("o1.0")), enc([]byte("o1.-3")), enc([]byte("o1.007")),
		enc([]byte("o1.10000")), enc([]byte("o1.999999999999999999999")), enc([]byte("7")), def.Next + "=", strings.Repeat("A", 100)} {
		_, err := f.idx.SearchImages(context.Background(), gallery.SearchQuery{Text: "the", Cursor: c})
		if gallery.ErrorCode(err) != gallery.EINVALID {
			t.Errorf("cursor %q: err = %v, want EINVALID", c, err)
		}
	}
	for _, l := range []int{-1, gallery.MaxPageLimit + 1} {
		_, err := f.idx.SearchImages(context.Background(), gallery.SearchQuery{Text: "the", Limit: l})
		if gallery.ErrorCode(err) != gallery.EINVALID {
			t.Errorf("limit %d: err = %v, want EINVALID", l, err)
		}
	}
	// A cursor past the results is an empty last page.
	past := mustSearch(t, f.idx, gallery.SearchQuery{Text: "nemo", Cursor: def.Next})
	if len(past.IDs) != 0 || past.Next != "" || past.Total != 1 {
		t.Fatalf("past the end: %+v", past)
	}
}

// A typo is forgiven for every viewer alike, whatever titles they may not
// see: a private title holding the misspelt word must neither hide the
// public match from others nor tell them that such a title exists.
func TestIndex_SearchImages_TyposIgnoreHiddenTitles(t *testing.T) {
	public := fixtureImage(0, "Harbour at dawn")
	public.Owner = "bob"
	hidden := fixtureImage(1, "Harbous")
	hidden.Visibility = gallery.Private // alice's
	idx := openIndex(t, t.TempDir(), search.Options{Source: newMemSource(public, hidden)})
	bob := &gallery.User{Username: "bob", Role: gallery.RoleUser}
	alice := &gallery.User{Username: "alice", Role: gallery.RoleUser}
	admin := &gallery.User{Username: "root", Role: gallery.RoleAdmin}
	tag := "x"
	tests := []struct {
		name string
		q    gallery.SearchQuery
		want []string
	}{
		{"anonymous", gallery.SearchQuery{Text: "harbous "}, []string{public.ID}},
		{"anonymous, typing", gallery.SearchQuery{Text: "harbous"}, []string{public.ID}},
		{"bob", gallery.SearchQuery{Text: "harbous ", Viewer: bob}, []string{public.ID}},
		// alice sees her own title, which holds the word as typed: it is
		// taken as meant, as for any word some visible title holds.
		{"alice", gallery.SearchQuery{Text: "harbous ", Viewer: alice}, []string{hidden.ID}},
		{"admin", gallery.SearchQuery{Text: "harbous ", Viewer: admin}, []string{hidden.ID}},
		// A filter hides the title holding the word from the admin too.
		{"admin, owner bob", gallery.SearchQuery{Text: "harbous ", Viewer: admin, Owner: &public.Owner}, []string{public.ID}},
		{"admin, tag nobody has", gallery.SearchQuery{Text: "harbous ", Viewer: admin, Tag: tag}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := mustSearch(t, idx, tt.q)
			if !slices.Equal(res.IDs, tt.want) && !(len(res.IDs) == 0 && len(tt.want) == 0) || res.Total != len(tt.want) {
				t.Fatalf("got %q (total %d), want %q", res.IDs, res.Total, tt.want)
			}
		})
	}
}

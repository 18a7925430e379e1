package search_test

import (
	"slices"
	"strings"
	"sync"
	"testing"

	"imagerepo/gallery"
	"imagerepo/search"
)

// films is the film fixture indexed once for the relevance tests: every
// title a public image of alice's.
type films struct {
	idx   *search.Index
	title map[string]string // id → title
}

var (
	filmsOnce sync.Once
	filmsIdx  *films
)

// filmIndex indexes testdata/films.txt once per test binary.
func filmIndex(t *testing.T) *films {
	t.Helper()
	filmsOnce.Do(func() {
		titles := readLines(t, "../testdata/films.txt")
		var imgs []*gallery.Image
		f := &films{title: map[string]string{}}
		for i, title := range titles {
			img := fixtureImage(i, title)
			imgs = append(imgs, img)
			f.title[img.ID] = title
		}
		f.idx = openSharedIndex(t, search.Options{Source: newMemSource(imgs...)})
		filmsIdx = f
	})
	if filmsIdx == nil {
		t.Fatal("film index failed to build")
	}
	return filmsIdx
}

func (f *films) titles(t *testing.T, text string, limit int) []string {
	t.Helper()
	res := mustSearch(t, f.idx, gallery.SearchQuery{Text: text, Limit: limit})
	out := make([]string, len(res.IDs))
	for i, id := range res.IDs {
		out[i] = f.title[id]
	}
	return out
}

func TestIndex_SearchImages_Relevance(t *testing.T) {
	f := filmIndex(t)
	tests := []struct {
		query string
		// first holds the titles expected first, in any order among
		// themselves: the first len(first) results are exactly these.
		first []string
	}{
		{"toy", []string{"Toy Story", "Toy Story 2", "Toy Story 3", "Toy Story 4"}},
		{"Toy Story", []string{"Toy Story"}},
		{"toy story", []string{"Toy Story", "Toy Story 2", "Toy Story 3", "Toy Story 4"}},
		{"tyo stroy", []string{"Toy Story", "Toy Story 2", "Toy Story 3", "Toy Story 4"}},
		{"TOY STORY 3", []string{"Toy Story 3"}},
		{"nem", []string{"Finding Nemo"}},
		{"finding nem", []string{"Finding Nemo"}},
		{"spirted awya", []string{"Spirited Away"}},
		{"spirited away", []string{"Spirited Away"}},
		{"cafe", []string{"Café Society"}},
		{"CAFÉ society", []string{"Café Society"}},
		{"amelie", []string{"Amélie"}},
		{"nausicaa", []string{"Nausicaä of the Valley of the Wind"}},
		{"y tu mama tambien", []string{"Y Tu Mamá También"}},
		{"dog", []string{"Story of a Dog", "Stray Dog"}},
		{"story of a dog", []string{"Story of a Dog"}},
		{"godfather", []string{"The Godfather", "The Godfather Part II", "The Godfather Part III"}},
		{"dark knight", []string{"The Dark Knight", "The Dark Knight Rises"}},
		{"the dark knight rises", []string{"The Dark Knight Rises"}},
		{"interstelar", []string{"Interstellar"}},
		{"harry potter chamber", []string{"Harry Potter and the Chamber of Secrets"}},
		{"back to the fut", []string{"Back to the Future", "Back to the Future Part II", "Back to the Future Part III"}},
		{"matr", []string{"The Matrix", "The Matrix Reloaded"}},
		{"blade runner 2049", []string{"Blade Runner 2049"}},
		{"ran", []string{"Ran"}},
		{"up", []string{"Up"}},
		{"lion king", []string{"The Lion King"}},
		{"monsters", []string{"Monsters, Inc.", "Monsters University"}},
		{"jurasic prk", []string{"Jurassic Park", "The Lost World: Jurassic Park"}},
		{"pan's labyrinth", []string{"Pan's Labyrinth"}},
		{"mononoke", []string{"Princess Mononoke"}},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			got := f.titles(t, tt.query, 10)
			if len(got) < len(tt.first) {
				t.Fatalf("%q: got %q, want first %q", tt.query, got, tt.first)
			}
			head := slices.Clone(got[:len(tt.first)])
			want := slices.Clone(tt.first)
			slices.Sort(head)
			slices.Sort(want)
			if !slices.Equal(head, want) {
				t.Fatalf("%q: got %q, want first %q", tt.query, got, tt.first)
			}
		})
	}
}

// TestIndex_SearchImages_RankOrder checks orders the table above cannot:
// one title above another.
func TestIndex_SearchImages_RankOrder(t *testing.T) {
	f := filmIndex(t)
	tests := []struct {
		query        string
		above, below string
		whyItMatters string
	}{
		{"toy story", "Toy Story", "Toy Story 2", "the exact phrase, shortest"},
		{"toy story", "Toy Story 4", "Toys", "both words above one"},
		{"toy story", "Toy Story 4", "Love Story", "both words above one"},
		{"toy story", "Toy Story 4", "West Side Story", "both words above one"},
		{"story of", "Story of a Dog", "The Story of Adele H.", "phrase over scattered"},
		{"dog", "Stray Dog", "Reservoir Dogs", "the word above its stem"},
		{"dog", "Stray Dog", "Dogville", "the word above a prefix"},
		{"dogs", "Reservoir Dogs", "Story of a Dog", "the word above its stem"},
		{"stor", "Toy Story", "Stray Dog", "a prefix above a misspelling"},
		{"away", "Cast Away", "Castle in the Sky", "a word above a misspelling"},
	}
	for _, tt := range tests {
		t.Run(tt.query+": "+tt.above+" > "+tt.below, func(t *testing.T) {
			got := f.titles(t, tt.query, 200)
			a, b := slices.Index(got, tt.above), slices.Index(got, tt.below)
			if a < 0 || (b >= 0 && b < a) {
				t.Fatalf("%q: want %q (at %d) above %q (at %d) (%s); got %q", tt.query, tt.above, a, tt.below, b, tt.whyItMatters, got)
			}
		})
	}
}

// TestIndex_SearchImages_Finds checks matches that need not come first.
func TestIndex_SearchImages_Finds(t *testing.T) {
	f := filmIndex(t)
	tests := []struct{ query, want string }{
		{"dogs", "Story of a Dog"},
		{"dogs", "Hachi: A Dog's Tale"},
		{"stroy", "Toy Story"},
		{"cafe society", "Café Society"},
		{"wind", "Gone with the Wind"},
		{"samurai", "Seven Samurai"},
	}
	for _, tt := range tests {
		got := f.titles(t, tt.query, 50)
		if !slices.Contains(got, tt.want) {
			t.Errorf("%q: %q not found in %q", tt.query, tt.want, got)
		}
	}
	// A query that matches nothing finds nothing, rather than everything.
	if got := f.titles(t, "zzyzx qqqq", 10); len(got) != 0 {
		t.Errorf("nonsense found %q", got)
	}
	if got := f.titles(t, "toy", 10); slices.ContainsFunc(got, func(s string) bool { return strings.Contains(s, "Godfather") }) {
		t.Errorf("toy found %q", got)
	}
}

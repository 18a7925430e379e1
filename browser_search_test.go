package main

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// browserSearchTiles is the titles of the tiles on screen, in order.
const browserSearchTiles = `[...document.querySelectorAll('[data-testid=tile] img')].map((i) => i.alt)`

// browserSearchState describes the search bar, the address and the tiles
// for failure messages.
const browserSearchState = `JSON.stringify({url: location.pathname + location.search + location.hash,
	field: document.querySelector('#search-input').value, tiles: ` + browserSearchTiles + `,
	main: document.querySelector('main').innerText.slice(0, 300)})`

// browserSearchFixtures are the public images of the search tests: title
// (from the file name) and tags.
var browserSearchFixtures = []struct {
	title string
	tags  []string
}{
	{"Toy Story", []string{"pixar", "animation"}},
	{"Toy Story 2", []string{"pixar", "sequel"}},
	{"Finding Nemo", []string{"pixar", "ocean"}},
	{"Spirited Away", []string{"ghibli", "animation"}},
}

// browserSearchUpload uploads the fixtures as public images with their tags.
func browserSearchUpload(t *testing.T, api *browserAPI) {
	t.Helper()
	for i, f := range browserSearchFixtures {
		id := api.upload(t, f.title+".png", i+2, "public")
		var doc browserAPIImage
		if status := api.json(t, http.MethodPatch, "/api/images/"+id, map[string]any{"tags": f.tags}, &doc); status != http.StatusOK || !slices.Equal(doc.Tags, f.tags) {
			t.Fatalf("PATCH the tags of %q = %d with tags %q, want 200 with %q", f.title, status, doc.Tags, f.tags)
		}
		if doc.Title != f.title {
			t.Fatalf("uploaded %q has title %q", f.title+".png", doc.Title)
		}
	}
}

// browserType replaces the text of the search bar with text, as typed.
func browserType(t *testing.T, ctx context.Context, text string) {
	t.Helper()
	browserDo(t, ctx, "typing "+text+" in the search bar",
		chromedp.Evaluate[chromedp.Void](`document.querySelector('#search-input').focus(), document.querySelector('#search-input').select()`),
		chromedp.SendKeys(chromedp.CSS(`#search-input`), text),
	)
}

// browserWaitResults waits until the address's query string is search,
// the bar shows field, no request is under way, and the tiles start with
// first (in any order among themselves).
func browserWaitResults(t *testing.T, ctx context.Context, what, search, field string, first ...string) {
	t.Helper()
	browserWait(t, ctx, what,
		`location.search === `+jsQuote(search)+` && document.querySelector('#search-input').value === `+jsQuote(field)+
			` && !document.querySelector('#search-form').classList.contains('is-busy')`+
			` && (() => { const got = `+browserSearchTiles+`.slice(0, `+strconv.Itoa(len(first))+`).sort();
			const want = `+jsArray(first)+`.sort(); return got.length === want.length && got.every((g, i) => g === want[i]); })()`,
		browserSearchState)
}

// browserScreenshot saves a screenshot of the page as name.png in
// $IMAGEREPO_SCREENSHOTS, when set, to look at the UI by eye.
func browserScreenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	dir := os.Getenv("IMAGEREPO_SCREENSHOTS")
	if dir == "" {
		return
	}
	shot, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), shot, 0o644); err != nil {
		t.Fatal(err)
	}
}

// browserColorScheme makes the page prefer a light or dark colour scheme.
func browserColorScheme(t *testing.T, ctx context.Context, scheme string) {
	t.Helper()
	browserDo(t, ctx, "preferring the "+scheme+" colour scheme", chromedp.Func(func(ctx context.Context, tt *chromedp.Target) error {
		_, err := cdp.Call(ctx, tt, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}},
		})
		return err
	}))
}

// browserDelayFetch makes the page's own fetch calls for a search whose q
// starts with prefix answer only after ms milliseconds, and not abortable,
// so that the page alone must keep a late answer from drawing over a
// newer one. window.searchLog records "start q" and "done q".
func browserDelayFetch(prefix string, ms int) chromedp.Action[chromedp.Void] {
	return chromedp.Evaluate[chromedp.Void](`(() => {
		window.searchLog = [];
		const fetch = window.fetch.bind(window);
		window.fetch = (url, init = {}) => {
			const q = new URL(String(url), location.href).searchParams.get('q');
			if (q === null || !q.startsWith(` + jsQuote(prefix) + `)) return fetch(url, init);
			const { signal, ...rest } = init;
			window.searchLog.push('start ' + q);
			return fetch(url, rest).then((res) => new Promise((resolve) => setTimeout(() => {
				window.searchLog.push('done ' + q);
				resolve(res);
			}, ` + strconv.Itoa(ms) + `)));
		};
	})()`)
}

func jsArray(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = jsQuote(s)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// TestBrowser_Search uses the search bar as a person would: type "toy" and
// see the Toy Story images first as you type, with the query in the
// address and the matched words marked; Return; a misspelt "tyo stroy"
// still finds them; "zzzqqq" shows the no-match state; Back and Forward
// bring the earlier searches and their results back; Escape and the
// no-match state's button clear the search; a late answer to an older
// search never draws over a newer one; a tag on an image view filters the
// grid, shown as a removable chip; and a bookmarked search address opens
// with its results.
func TestBrowser_Search(t *testing.T) {
	ctx, console := newBrowserTab(t, 1280, 800)
	m := runBrowserServer(t)
	browserAPICreateAdmin(t, m)
	browserSearchUpload(t, browserAPISignIn(t, m, browserAdmin, browserAdminPassword))
	browserSignIn(t, ctx, console, m, browserAdmin, browserAdminPassword)
	all := []string{"Toy Story", "Toy Story 2", "Finding Nemo", "Spirited Away"}

	browserWait(t, ctx, "every image", `document.querySelectorAll('[data-testid=tile]').length === 4`, browserSearchState)
	if label := browserEval[string](t, ctx, `document.querySelector('label[for=search-input]').textContent + ' / ' + document.querySelector('#search-form').getAttribute('role')`); label != "Search images / search" {
		t.Errorf("the search bar's label and role = %q, want %q", label, "Search images / search")
	}
	if browserEval[bool](t, ctx, `document.querySelector('[data-testid=tile-caption] mark') !== null`) {
		t.Errorf("the grid marks words without a search")
	}

	// Typing searches as you go; the query joins the address.
	browserType(t, ctx, "toy")
	browserWaitResults(t, ctx, "the Toy Story images for toy", "?q=toy", "toy", "Toy Story", "Toy Story 2")
	if n := browserEval[string](t, ctx, `document.querySelector('#grid-count').textContent`); n != "2 images match" {
		t.Errorf("the result count says %q, want %q", n, "2 images match")
	}
	if live := browserEval[string](t, ctx, `document.querySelector('#grid-count').getAttribute('aria-live')`); live != "polite" {
		t.Errorf("the result count's aria-live = %q, want polite", live)
	}
	marks := browserEval[[]string](t, ctx, `[...document.querySelectorAll('[data-testid=tile-caption] mark')].map((m) => m.textContent)`)
	if want := []string{"Toy", "Toy"}; !slices.Equal(marks, want) {
		t.Errorf("marked words for toy = %q, want %q", marks, want)
	}
	if h := browserEval[string](t, ctx, `document.querySelector('#grid-heading').textContent`); h != "Results for “toy”" {
		t.Errorf("the results heading = %q, want %q", h, "Results for “toy”")
	}
	browserScreenshot(t, ctx, "search-desktop-light")

	// Return commits it; a misspelt query still finds Toy Story.
	browserDo(t, ctx, "pressing Return", chromedp.KeyEvent(kb.Enter))
	browserWaitResults(t, ctx, "toy after Return", "?q=toy", "toy", "Toy Story", "Toy Story 2")
	browserType(t, ctx, "tyo stroy")
	browserWaitResults(t, ctx, "the Toy Story images for tyo stroy", "?q=tyo+stroy", "tyo stroy", "Toy Story", "Toy Story 2")
	marks = browserEval[[]string](t, ctx, `[...document.querySelector('[data-testid=tile-caption]').querySelectorAll('mark')].map((m) => m.textContent)`)
	if want := []string{"Toy", "Story"}; !slices.Equal(marks, want) {
		t.Errorf("marked words of the first result for tyo stroy = %q, want %q", marks, want)
	}
	browserDo(t, ctx, "pressing Return", chromedp.KeyEvent(kb.Enter))

	// A search that finds nothing says so, with a way out.
	browserType(t, ctx, "zzzqqq")
	browserDo(t, ctx, "pressing Return", chromedp.KeyEvent(kb.Enter))
	browserWait(t, ctx, "the no-match state",
		`location.search === '?q=zzzqqq' && document.querySelector('[data-testid=no-match-title]')?.textContent === 'No images match “zzzqqq”' && document.querySelectorAll('[data-testid=tile]').length === 0`,
		browserSearchState)
	browserScreenshot(t, ctx, "search-no-match")

	// Back brings the earlier searches back, each with its results; Forward returns.
	browserDo(t, ctx, "going back", chromedp.NavigateBack())
	browserWaitResults(t, ctx, "tyo stroy again after Back", "?q=tyo+stroy", "tyo stroy", "Toy Story", "Toy Story 2")
	browserDo(t, ctx, "going back again", chromedp.NavigateBack())
	browserWaitResults(t, ctx, "toy again after Back", "?q=toy", "toy", "Toy Story", "Toy Story 2")
	browserDo(t, ctx, "going back to before the search", chromedp.NavigateBack())
	browserWait(t, ctx, "the whole grid", `location.search === '' && location.hash === '#/' && document.querySelector('#search-input').value === '' && document.querySelectorAll('[data-testid=tile]').length === 4`, browserSearchState)
	browserDo(t, ctx, "going forward", chromedp.NavigateForward(), chromedp.NavigateForward(), chromedp.NavigateForward())
	browserWait(t, ctx, "the no-match state after Forward", `location.search === '?q=zzzqqq' && document.querySelector('#search-input').value === 'zzzqqq' && document.querySelector('[data-testid=no-match]') !== null`, browserSearchState)

	// Its button clears the search.
	browserDo(t, ctx, "clearing the search", chromedp.Click(chromedp.CSS(`[data-testid=no-match-clear]`), chromedp.NodeVisible))
	browserWait(t, ctx, "the whole grid after clearing",
		`location.search === '' && document.querySelector('#search-input').value === '' && document.activeElement === document.querySelector('#search-input') && document.querySelectorAll('[data-testid=tile]').length === 4`,
		browserSearchState)

	// Escape in the field clears it too. A prefix finds the word being typed.
	browserType(t, ctx, "nem")
	browserWaitResults(t, ctx, "Finding Nemo for nem", "?q=nem", "nem", "Finding Nemo")
	if marks := browserEval[[]string](t, ctx, `[...document.querySelectorAll('[data-testid=tile-caption] mark')].map((m) => m.textContent)`); !slices.Equal(marks, []string{"Nemo"}) {
		t.Errorf("marked words for nem = %q, want [Nemo]", marks)
	}
	browserDo(t, ctx, "pressing Escape", chromedp.KeyEvent(kb.Escape))
	browserWait(t, ctx, "the whole grid after Escape",
		`location.search === '' && document.querySelector('#search-input').value === '' && document.querySelectorAll('[data-testid=tile]').length === 4`,
		browserSearchState)

	// A late answer to an older search never replaces a newer one's, and
	// the tiles on screen stay until the answer they wait for comes.
	browserDo(t, ctx, "slowing down searches for sp…", browserDelayFetch("sp", 1500))
	browserType(t, ctx, "spirited")
	browserWait(t, ctx, "the slow search to start", `window.searchLog.includes('start spirited')`, `JSON.stringify(window.searchLog)`)
	if tiles := browserEval[[]string](t, ctx, browserSearchTiles); len(tiles) != 4 {
		t.Errorf("while a search is on its way the grid shows %q, want the 4 images it showed", tiles)
	}
	if !browserEval[bool](t, ctx, `document.querySelector('#search-form').classList.contains('is-busy')`) {
		t.Errorf("the search bar does not show that a search is on its way")
	}
	browserScreenshot(t, ctx, "search-busy")
	browserType(t, ctx, "nemo")
	browserWaitResults(t, ctx, "Finding Nemo for nemo", "?q=nemo", "nemo", "Finding Nemo")
	browserWait(t, ctx, "the slow answers to come",
		`window.searchLog.filter((e) => e.startsWith('done')).length === window.searchLog.filter((e) => e.startsWith('start')).length`,
		`JSON.stringify(window.searchLog)`)
	browserWait(t, ctx, "a moment for a late answer to draw", `new Promise((r) => setTimeout(() => r(true), 300))`, "")
	if tiles := browserEval[[]string](t, ctx, browserSearchTiles); !slices.Equal(tiles, []string{"Finding Nemo"}) {
		t.Errorf("after a late answer for spirited, the grid shows %q, want [Finding Nemo]", tiles)
	}
	if s := browserEval[string](t, ctx, `location.search + ' ' + document.querySelector('#search-input').value`); s != "?q=nemo nemo" {
		t.Errorf("after a late answer for spirited, the address and field are %q, want %q", s, "?q=nemo nemo")
	}

	// Open a result: its tags lead to the grid filtered by them.
	browserType(t, ctx, "toy")
	browserDo(t, ctx, "pressing Return", chromedp.KeyEvent(kb.Enter))
	browserWaitResults(t, ctx, "toy", "?q=toy", "toy", "Toy Story", "Toy Story 2")
	browserDo(t, ctx, "opening Toy Story", chromedp.Click(chromedp.CSS(`[data-testid=tile] img[alt="Toy Story"]`), chromedp.NodeVisible))
	browserWait(t, ctx, "the image view", `document.querySelector('#image-title')?.textContent === 'Toy Story'`, browserSearchState)
	if back := browserEval[string](t, ctx, `location.search + ' ' + document.querySelector('#back-link').textContent`); back != "?q=toy Results" {
		t.Errorf("the image view opened from results has address and back link %q, want %q", back, "?q=toy Results")
	}
	browserScreenshot(t, ctx, "search-image-view")
	tags := browserEval[[]string](t, ctx, `[...document.querySelectorAll('#image-tags a')].map((a) => a.textContent)`)
	if !slices.Equal(tags, []string{"pixar", "animation"}) {
		t.Fatalf("the image view's tag links = %q, want [pixar animation]", tags)
	}
	browserDo(t, ctx, "clicking the tag animation", chromedp.Click(chromedp.CSS(`#image-tags a[href*="animation"]`), chromedp.NodeVisible))
	browserWait(t, ctx, "the grid filtered by animation",
		`location.search === '?tag=animation' && location.hash === '#/' && document.querySelector('#search-input').value === '' && document.querySelectorAll('[data-testid=tile]').length === 2`,
		browserSearchState)
	tiles := browserEval[[]string](t, ctx, browserSearchTiles)
	slices.Sort(tiles)
	if want := []string{"Spirited Away", "Toy Story"}; !slices.Equal(tiles, want) {
		t.Errorf("the grid filtered by animation shows %q, want %q", tiles, want)
	}
	if chip := browserEval[string](t, ctx, `document.querySelector('[data-testid=tag-filter]')?.innerText.replace(/\s+/g, ' ').trim() ?? ''`); chip != "Tag animation" {
		t.Errorf("the tag filter chip says %q, want %q", chip, "Tag animation")
	}
	browserScreenshot(t, ctx, "search-tag")

	// Text and tag together; removing the chip keeps the text.
	browserType(t, ctx, "toy")
	browserWaitResults(t, ctx, "toy tagged animation", "?q=toy&tag=animation", "toy", "Toy Story")
	if n := browserEval[int](t, ctx, `document.querySelectorAll('[data-testid=tile]').length`); n != 1 {
		t.Errorf("toy tagged animation shows %d tiles, want 1", n)
	}
	browserDo(t, ctx, "removing the tag filter", chromedp.Click(chromedp.CSS(`[data-testid=tag-filter-remove]`), chromedp.NodeVisible))
	browserWaitResults(t, ctx, "toy without the tag", "?q=toy", "toy", "Toy Story", "Toy Story 2")
	if browserEval[bool](t, ctx, `document.querySelector('[data-testid=tag-filter]') !== null`) {
		t.Errorf("the tag filter chip stays after its removal")
	}

	// The logo leads home, without the search.
	browserDo(t, ctx, "clicking the logo", chromedp.Click(chromedp.CSS(`[data-testid=home-link]`), chromedp.NodeVisible))
	browserWait(t, ctx, "the whole grid from the logo", `location.search === '' && document.querySelector('#search-input').value === '' && document.querySelectorAll('[data-testid=tile]').length === 4`, browserSearchState)

	// A search address opens with its results, as a bookmark would.
	browserDo(t, ctx, "opening a bookmarked search", chromedp.Navigate(m.URL()+"/?q=spirted+awya#/"))
	browserWaitResults(t, ctx, "Spirited Away from a bookmark", "?q=spirted+awya", "spirted awya", "Spirited Away")
	if got := browserEval[[]string](t, ctx, browserSearchTiles); len(got) == 0 || len(got) > len(all) {
		t.Errorf("a bookmarked search shows %q", got)
	}
	browserColorScheme(t, ctx, "dark")
	browserScreenshot(t, ctx, "search-desktop-dark")
	browserDo(t, ctx, "filtering by a tag", chromedp.Navigate(m.URL()+"/?q=story&tag=pixar#/"))
	browserWaitResults(t, ctx, "story tagged pixar", "?q=story&tag=pixar", "story", "Toy Story", "Toy Story 2")
	browserScreenshot(t, ctx, "search-desktop-dark-tag")
	console.check(t)
}

// TestBrowser_SearchPhone searches on a phone, signed out, in both colour
// schemes: the bar fits the screen, results with their marks and a tag
// chip do not scroll sideways, and a private image is never found.
func TestBrowser_SearchPhone(t *testing.T) {
	ctx, console := newBrowserTab(t, 390, 844, chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulateScale(2))
	m := runBrowserServer(t)
	browserAPICreateAdmin(t, m)
	admin := browserAPISignIn(t, m, browserAdmin, browserAdminPassword)
	browserSearchUpload(t, admin)
	admin.upload(t, "Toy Chest of a secret kind.png", 9, "private")
	console.expectStatus(http.StatusUnauthorized, "/api/me")

	const noSideScroll = `document.documentElement.scrollWidth <= window.innerWidth`
	const barInside = `(() => { const r = document.querySelector('#search-form').getBoundingClientRect();
		return r.width > window.innerWidth * 0.8 && r.left >= 0 && r.right <= window.innerWidth; })()`
	for _, scheme := range []string{"light", "dark"} {
		browserColorScheme(t, ctx, scheme)
		browserDo(t, ctx, "opening the grid", chromedp.Navigate(m.URL()+"/#/"))
		browserWait(t, ctx, "the public images", `document.querySelectorAll('[data-testid=tile]').length === 4`, browserSearchState)
		if !browserEval[bool](t, ctx, noSideScroll+` && `+barInside) {
			t.Errorf("%s: the search bar does not fit a phone: %s", scheme, browserEval[string](t, ctx, `document.documentElement.scrollWidth + ' ' + JSON.stringify(document.querySelector('#search-form').getBoundingClientRect())`))
		}
		browserType(t, ctx, "toy")
		browserWaitResults(t, ctx, "the public Toy Story images", "?q=toy", "toy", "Toy Story", "Toy Story 2")
		if tiles := browserEval[[]string](t, ctx, browserSearchTiles); len(tiles) != 2 {
			t.Errorf("%s: signed out, toy finds %q, want only the two public Toy Story images", scheme, tiles)
		}
		if !browserEval[bool](t, ctx, `[...document.querySelectorAll('[data-testid=tile-caption]')].every((c) => getComputedStyle(c).display !== 'none' && c.querySelector('mark'))`) {
			t.Errorf("%s: on a touch screen the result captions or their marks are hidden", scheme)
		}
		browserDo(t, ctx, "pressing Return", chromedp.KeyEvent(kb.Enter))
		browserScreenshot(t, ctx, "search-phone-"+scheme)

		browserDo(t, ctx, "opening a long search with a tag", chromedp.Navigate(m.URL()+"/?tag=animation&q="+strings.Repeat("supercalifragilistic+", 6)+"#/"))
		browserWait(t, ctx, "the no-match state", `document.querySelector('[data-testid=no-match]') !== null && document.querySelector('[data-testid=tag-filter]') !== null`, browserSearchState)
		if !browserEval[bool](t, ctx, noSideScroll+` && `+barInside) {
			t.Errorf("%s: a long search with a tag scrolls sideways on a phone: %s", scheme, browserEval[string](t, ctx, `document.documentElement.scrollWidth + ' > ' + window.innerWidth`))
		}
		browserScreenshot(t, ctx, "search-phone-nomatch-"+scheme)
	}
	console.check(t)
}

// TestBrowser_SearchMore scrolls to the end of results longer than a page:
// the next page joins them, for a search and for a tag alone, and the
// count is the total from the start.
func TestBrowser_SearchMore(t *testing.T) {
	ctx, console := newBrowserTab(t, 1280, 800)
	m := runBrowserServer(t)
	browserAPICreateAdmin(t, m)
	admin := browserAPISignIn(t, m, browserAdmin, browserAdminPassword)
	const n = 50 // more than the grid's page of 48
	for i := range n {
		id := admin.upload(t, "Lamp "+strconv.Itoa(i+1)+".png", i, "public")
		if status := admin.json(t, http.MethodPatch, "/api/images/"+id, map[string]any{"tags": []string{"light"}}, nil); status != http.StatusOK {
			t.Fatalf("PATCH the tags of Lamp %d = %d, want 200", i+1, status)
		}
	}
	browserSignIn(t, ctx, console, m, browserAdmin, browserAdminPassword)

	for _, c := range []struct{ address, count string }{
		{"/?q=lamp#/", "50 images match"},
		{"/?tag=light#/", "48+ images"},
	} {
		browserDo(t, ctx, "opening "+c.address, chromedp.Navigate(m.URL()+c.address))
		browserWait(t, ctx, "the first page of "+c.address, `document.querySelectorAll('[data-testid=tile]').length === 48`, browserSearchState)
		if got := browserEval[string](t, ctx, `document.querySelector('#grid-count').textContent`); got != c.count {
			t.Errorf("%s: the count on the first page says %q, want %q", c.address, got, c.count)
		}
		browserDo(t, ctx, "scrolling to the end", chromedp.Evaluate[chromedp.Void](`window.scrollTo(0, document.documentElement.scrollHeight)`))
		browserWait(t, ctx, "every result of "+c.address, `document.querySelectorAll('[data-testid=tile]').length === 50`, browserSearchState)
		ids := browserEval[[]string](t, ctx, `[...document.querySelectorAll('[data-testid=tile]')].map((a) => a.dataset.id)`)
		slices.Sort(ids)
		if len(slices.Compact(ids)) != n {
			t.Errorf("%s: %d distinct tiles after the second page, want %d", c.address, len(slices.Compact(ids)), n)
		}
		if got := browserEval[string](t, ctx, `document.querySelector('#grid-count').textContent`); !strings.HasPrefix(got, "50 images") {
			t.Errorf("%s: the count after the last page says %q, want 50 images", c.address, got)
		}
	}
	console.check(t)
}

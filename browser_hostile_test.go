package main

import (
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// The HTML a hostile user gives an image: if the UI ever parsed it, a
// script would set window.pwned or an element would appear.
const (
	browserHostileTitle = `<img src=x onerror=window.pwned=1><b>bold</b>`
	browserHostileDesc  = `<script>window.pwned=2</script><svg onload=window.pwned=3></svg>`
	browserHostileTag   = `<i onmouseover=window.pwned=4>tagged</i>`
)

// browserNotInjected is true when none of the hostile HTML became page
// content and none of its script ran.
const browserNotInjected = `typeof window.pwned === 'undefined' && !document.querySelector('img[src="x"]') &&
	![...document.querySelectorAll('b, i, script, svg')].some((e) => /bold|pwned|tagged/.test(e.outerHTML))`

// TestBrowser_HTMLIsText uploads an image whose title, description and tag
// are HTML: the grid, a search, a tag filter and the image view show the
// literal text, and nothing of it runs.
func TestBrowser_HTMLIsText(t *testing.T) {
	ctx, console := newBrowserTab(t, 1280, 800)
	m := runBrowserServer(t)
	admin := browserStartSignedIn(t, ctx, console, m)

	img := admin.uploadFields(t, "hostile.png", 3, map[string]string{
		"title": browserHostileTitle, "description": browserHostileDesc, "tags": browserHostileTag})
	if img.Title != browserHostileTitle {
		t.Fatalf("stored title %q, want %q", img.Title, browserHostileTitle)
	}
	tile := `document.querySelector('[data-testid=tile][data-id="` + img.ID + `"]')`

	// The grid, the grid of a search that marks a matched word, and the
	// grid of the tag: the title is the tile's alt text and caption.
	for _, address := range []string{"/#/", "/?q=bold#/", "/?tag=" + url.QueryEscape(browserHostileTag) + "#/"} {
		// Reloaded, so that the grid the sign-in left is not reused.
		browserDo(t, ctx, "opening "+address, chromedp.Navigate(m.URL()+address), chromedp.Reload())
		browserWait(t, ctx, "the tile on "+address,
			tile+`?.querySelector('img').alt === `+jsQuote(browserHostileTitle)+
				` && `+tile+`.querySelector('.tile-caption').textContent === `+jsQuote(browserHostileTitle),
			`JSON.stringify([...document.querySelectorAll('[data-testid=tile]')].map((a) => [a.dataset.id, a.querySelector('img').alt, a.querySelector('.tile-caption')?.textContent]))`)
		if !browserEval[bool](t, ctx, browserNotInjected) {
			t.Errorf("%s: the title's HTML was parsed: %s", address, browserEval[string](t, ctx, `document.querySelector('main').innerHTML.slice(0, 2000)`))
		}
	}
	if heading := browserEval[string](t, ctx, `document.querySelector('#grid-heading').textContent`); !strings.Contains(heading, browserHostileTag) {
		t.Errorf("tag heading %q does not show the tag as text", heading)
	}

	// The image view shows the title, description and tag as text.
	browserDo(t, ctx, "opening the image", chromedp.Navigate(m.URL()+"/#/image/"+img.ID))
	browserWait(t, ctx, "the image view",
		`document.querySelector('#image-title')?.textContent === `+jsQuote(browserHostileTitle),
		`location.hash + ' ' + document.querySelector('main').innerText`)
	if got := browserEval[string](t, ctx, `document.querySelector('#image-description').textContent`); got != browserHostileDesc {
		t.Errorf("description shows %q, want %q", got, browserHostileDesc)
	}
	if got := browserEval[string](t, ctx, `document.querySelector('#image-tags').textContent.trim()`); got != browserHostileTag {
		t.Errorf("tags show %q, want %q", got, browserHostileTag)
	}
	if got := browserEval[string](t, ctx, `document.title`); !strings.HasPrefix(got, browserHostileTitle) {
		t.Errorf("document title %q does not start with the title as text", got)
	}
	if !browserEval[bool](t, ctx, browserNotInjected) {
		t.Errorf("image view: the HTML was parsed: %s", browserEval[string](t, ctx, `document.querySelector('main').innerHTML.slice(0, 2000)`))
	}
	console.check(t)
}

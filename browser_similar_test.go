package main

import (
	"image/jpeg"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// writeLandscapeJPEG writes landscape n as a JPEG of the given quality.
func writeLandscapeJPEG(t *testing.T, dir, name string, w, h, n, quality int) string {
	t.Helper()
	path := filepath.Join(dir, name)
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := jpeg.Encode(f, landscape(w, h, n), &jpeg.Options{Quality: quality}); err != nil {
		f.Close()
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestBrowser_Similar uploads one picture twice, at two JPEG qualities: the
// upload flags the near-duplicate with a link to the other, and the image
// view of each shows the other under "Similar images".
func TestBrowser_Similar(t *testing.T) {
	ctx, console := newBrowserTab(t, 1280, 800)
	m := runBrowserServer(t)
	browserStartSignedIn(t, ctx, console, m)
	dir := t.TempDir()
	files := []string{
		writeLandscapeJPEG(t, dir, "quay-fine.jpg", 480, 320, 2, 95),
		writeLandscapeJPEG(t, dir, "quay-rough.jpg", 480, 320, 2, 50),
	}
	browserDo(t, ctx, "uploading both",
		chromedp.Navigate(m.URL()+"/#/upload"),
		chromedp.SetUploadFiles(chromedp.CSS(`#file-input`), files),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=upload-row]:nth-child(2)`)),
		chromedp.Click(chromedp.CSS(`#upload-start`), chromedp.NodeVisible),
	)
	browserWait(t, ctx, "both uploads to finish",
		`document.querySelectorAll('[data-testid=upload-row][data-state=done]').length === 2`, browserUploadRows)
	// The later of the two to be stored sees the earlier one.
	browserWait(t, ctx, "a near-duplicate flag",
		`[...document.querySelectorAll('[data-testid=upload-similar]')].some((p) => !p.hidden)`, browserUploadRows)
	flag := browserEval[string](t, ctx, `[...document.querySelectorAll('[data-testid=upload-similar]')].find((p) => !p.hidden).innerText`)
	if !strings.Contains(flag, "Looks like an image you already have") {
		t.Errorf("near-duplicate flag says %q", flag)
	}
	browserScreenshot(t, ctx, "similar-upload")
	ids := browserEval[[]string](t, ctx, `[...document.querySelectorAll('[data-testid=upload-link]')].map((a) => decodeURIComponent(a.hash.slice('#/image/'.length)))`)
	if len(ids) != 2 {
		t.Fatalf("upload links to %q, want two images", ids)
	}
	linked := browserEval[string](t, ctx, `decodeURIComponent([...document.querySelectorAll('[data-testid=upload-similar]')].find((p) => !p.hidden).querySelector('a').hash.slice('#/image/'.length))`)
	if linked != ids[0] && linked != ids[1] {
		t.Errorf("the flag links to %q, not to one of %q", linked, ids)
	}

	for i, id := range ids {
		other := ids[1-i]
		browserDo(t, ctx, "opening image "+id, chromedp.Navigate(m.URL()+"/#/image/"+id))
		browserWait(t, ctx, "the other image under Similar images",
			`(() => { const s = document.querySelector('[data-testid=similar-images]');
				return document.querySelector('[data-testid=image-view]')?.dataset.id === `+jsQuote(id)+` && s && !s.hidden &&
					s.querySelector('[data-testid=similar-link][data-id="`+other+`"] img[src$="/thumb/small"]') !== null; })()`,
			`document.querySelector('main').innerText.slice(0, 400)`)
		if title := browserEval[string](t, ctx, `document.querySelector('#similar-title').textContent`); title != "Similar images" {
			t.Errorf("strip title %q", title)
		}
		if i == 0 {
			browserScreenshot(t, ctx, "similar-view")
		}
	}
	// Following a tile opens that image.
	browserDo(t, ctx, "following the similar tile",
		chromedp.Click(chromedp.CSS(`[data-testid=similar-link]`), chromedp.NodeVisible))
	browserWait(t, ctx, "the similar image's view", `location.hash === '#/image/' + `+jsQuote(ids[0]), `location.hash`)
	console.check(t)
}

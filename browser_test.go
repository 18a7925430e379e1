package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// browserUploadRows describes the upload rows for failure messages.
const browserUploadRows = `JSON.stringify([...document.querySelectorAll('[data-testid=upload-row]')].map((r) =>
	r.dataset.state + ': ' + r.querySelector('[data-testid=upload-status]').textContent))`

const browserTileAlts = `[...document.querySelectorAll('[data-testid=tile] img')].map((i) => i.alt)`

// TestBrowser_UploadEditDelete walks the main path of the web UI in a real
// Chromium against a real server: upload two files, see them in the grid,
// step between them with the keyboard, edit one, delete it through the
// confirmation dialog, and check every step against the API. It ends by
// writing docs/screenshot.png of a grid with a dozen images.
func TestBrowser_UploadEditDelete(t *testing.T) {
	ctx, console := newBrowserTab(t, 1280, 800)
	m := runBrowserServer(t)
	dir := t.TempDir()
	files := []string{
		writeLandscape(t, dir, "harbour-dawn.png", 480, 320, 0),
		writeLandscape(t, dir, "green-valley.png", 320, 480, 1),
	}

	// Upload both files, each as its own request.
	browserDo(t, ctx, "opening the upload view",
		chromedp.Navigate(m.URL()+"/#/upload"),
		chromedp.SetUploadFiles(chromedp.CSS(`#file-input`), files),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=upload-row]:nth-child(2)`)),
	)
	titles := browserEval[[]string](t, ctx, `[...document.querySelectorAll('[data-testid=upload-title]')].map((i) => i.value)`)
	if want := []string{"harbour-dawn", "green-valley"}; !slices.Equal(titles, want) {
		t.Fatalf("default titles = %q, want %q", titles, want)
	}
	if n := browserEval[int](t, ctx, `document.querySelectorAll('[data-testid=upload-row] progress').length`); n != 2 {
		t.Fatalf("%d progress bars, want 2", n)
	}
	browserDo(t, ctx, "starting the upload", chromedp.Click(chromedp.CSS(`#upload-start`), chromedp.NodeVisible))
	browserWait(t, ctx, "both uploads to finish",
		`document.querySelectorAll('[data-testid=upload-row][data-state=done]').length === 2`, browserUploadRows)
	if n := browserEval[int](t, ctx, `[...document.querySelectorAll('[data-testid=upload-row] progress')].filter((p) => p.value === 1).length`); n != 2 {
		t.Errorf("%d full progress bars after the upload, want 2", n)
	}

	// The grid shows both, newest first, as lazy images with their titles as alt text.
	browserDo(t, ctx, "going back to the grid", chromedp.Click(chromedp.CSS(`[data-testid=upload-back]`), chromedp.NodeVisible))
	browserWait(t, ctx, "two tiles", `document.querySelectorAll('[data-testid=tile]').length === 2`, browserTileAlts)
	alts := browserEval[[]string](t, ctx, browserTileAlts)
	slices.Sort(alts)
	if want := []string{"green-valley", "harbour-dawn"}; !slices.Equal(alts, want) {
		t.Fatalf("tile alt texts = %q, want %q", alts, want)
	}
	if n := browserEval[int](t, ctx, `document.querySelectorAll('[data-testid=tile] img[loading=lazy]').length`); n != 2 {
		t.Errorf("%d lazy tile images, want 2", n)
	}
	listed := browserAPIList(t, m)
	if len(listed) != 2 {
		t.Fatalf("API lists %d images after the upload, want 2", len(listed))
	}
	gridIDs := browserEval[[]string](t, ctx, `[...document.querySelectorAll('[data-testid=tile]')].map((a) => a.dataset.id)`)
	if apiIDs := []string{listed[0].ID, listed[1].ID}; !slices.Equal(gridIDs, apiIDs) {
		t.Errorf("grid order %q, API order (newest first) %q", gridIDs, apiIDs)
	}

	// Open one image: it loads, and its details are shown.
	id := browserEval[string](t, ctx, `document.querySelector('[data-testid=tile] img[alt="harbour-dawn"]').closest('a').dataset.id`)
	browserDo(t, ctx, "opening the image", chromedp.Click(chromedp.CSS(`[data-testid=tile][data-id="`+id+`"]`), chromedp.NodeVisible))
	browserWait(t, ctx, "the image view",
		`document.querySelector('#image-title')?.textContent === 'harbour-dawn' && document.querySelector('#image-full').complete`,
		`location.hash + ' ' + document.querySelector('main').innerText`)
	if w := browserEval[int](t, ctx, `document.querySelector('#image-full').naturalWidth`); w != 480 {
		t.Errorf("image natural width = %d, want 480", w)
	}
	meta := browserEval[string](t, ctx, `document.querySelector('#image-meta').innerText`)
	for _, want := range []string{"harbour-dawn.png", "image/png", "480 × 320 px"} {
		if !strings.Contains(meta, want) {
			t.Errorf("details %q do not mention %q", meta, want)
		}
	}
	href := browserEval[string](t, ctx, `document.querySelector('#download-link').getAttribute('href')`)
	if want := "/api/images/" + id + "/file?download=1"; href != want {
		t.Errorf("download link = %q, want %q", href, want)
	}

	// The arrow keys step to the other image and back; Escape is tested by the grid below.
	other := listed[0].ID
	key, back := kb.ArrowLeft, kb.ArrowRight
	if other == id {
		other = listed[1].ID
		key, back = kb.ArrowRight, kb.ArrowLeft
	}
	browserDo(t, ctx, "stepping with the arrow keys", chromedp.KeyEvent(key))
	browserWait(t, ctx, "the other image", `location.hash === '#/image/`+other+`' && document.querySelector('#image-title')?.textContent === 'green-valley'`, `location.hash`)
	browserDo(t, ctx, "stepping back", chromedp.KeyEvent(back))
	browserWait(t, ctx, "the first image again", `location.hash === '#/image/`+id+`' && document.querySelector('#image-title')?.textContent === 'harbour-dawn'`, `location.hash`)

	// Edit the title and tags.
	const newTitle = "Harbour at dawn"
	browserDo(t, ctx, "editing",
		chromedp.Click(chromedp.CSS(`#edit-button`), chromedp.NodeVisible),
		chromedp.WaitVisible(chromedp.CSS(`#edit-title`)),
		chromedp.Evaluate[chromedp.Void](`document.querySelector("#edit-title").select()`),
		chromedp.SendKeys(chromedp.CSS(`#edit-title`), newTitle),
		chromedp.SendKeys(chromedp.CSS(`#edit-tags`), "sea, morning"),
		chromedp.Click(chromedp.CSS(`#edit-save`), chromedp.NodeVisible),
	)
	browserWait(t, ctx, "the saved title",
		`document.querySelector('#image-title').textContent === `+jsQuote(newTitle)+` && document.querySelector('#edit-form').hidden`,
		`document.querySelector('main').innerText`)
	if tags := browserEval[[]string](t, ctx, `[...document.querySelectorAll('#image-tags li')].map((li) => li.textContent)`); !slices.Equal(tags, []string{"sea", "morning"}) {
		t.Errorf("shown tags = %q, want [sea morning]", tags)
	}
	doc, status := browserAPIGet(t, m, id)
	if status != http.StatusOK || doc.Title != newTitle || !slices.Equal(doc.Tags, []string{"sea", "morning"}) {
		t.Fatalf("API after edit: status %d, title %q, tags %q; want 200, %q, [sea morning]", status, doc.Title, doc.Tags, newTitle)
	}

	// Delete: Cancel keeps the image, Confirm removes it and goes back to the grid.
	browserDo(t, ctx, "opening the delete dialog",
		chromedp.Click(chromedp.CSS(`#delete-button`), chromedp.NodeVisible),
		chromedp.WaitVisible(chromedp.CSS(`#delete-dialog`)),
		chromedp.Click(chromedp.CSS(`#delete-cancel`), chromedp.NodeVisible),
		chromedp.WaitNotVisible(chromedp.CSS(`#delete-dialog`)),
	)
	if _, status := browserAPIGet(t, m, id); status != http.StatusOK {
		t.Fatalf("after Cancel, GET the image = %d, want 200", status)
	}
	browserDo(t, ctx, "deleting",
		chromedp.Click(chromedp.CSS(`#delete-button`), chromedp.NodeVisible),
		chromedp.WaitVisible(chromedp.CSS(`#delete-dialog`)),
		chromedp.Click(chromedp.CSS(`#delete-confirm`), chromedp.NodeVisible),
	)
	browserWait(t, ctx, "the grid with one tile",
		`location.hash === '#/' && document.querySelectorAll('[data-testid=tile]').length === 1`,
		`location.hash + ' ' + `+browserTileAlts+`.join()`)
	if alts := browserEval[[]string](t, ctx, browserTileAlts); !slices.Equal(alts, []string{"green-valley"}) {
		t.Errorf("tiles after delete = %q, want [green-valley]", alts)
	}
	if _, status := browserAPIGet(t, m, id); status != http.StatusNotFound {
		t.Errorf("GET the deleted image = %d, want 404", status)
	}
	if n := len(browserAPIList(t, m)); n != 1 {
		t.Errorf("API lists %d images after the delete, want 1", n)
	}

	// Escape from an image view goes back to the grid.
	browserDo(t, ctx, "opening the remaining image", chromedp.Click(chromedp.CSS(`[data-testid=tile]`), chromedp.NodeVisible))
	browserWait(t, ctx, "the remaining image", `document.querySelector('#image-title')?.textContent === 'green-valley'`, `location.hash`)
	browserDo(t, ctx, "pressing Escape", chromedp.KeyEvent(kb.Escape))
	browserWait(t, ctx, "the grid after Escape", `location.hash === '#/' && document.querySelectorAll('[data-testid=tile]').length === 1`, `location.hash`)

	// Fill the grid for the screenshot through the UI: eleven more pictures, three at a time.
	names := []string{"Harbour at dusk", "Lagoon", "Violet hour", "Blue ridge", "Canyon light", "Meadow",
		"Night pass", "Rose valley", "Glacier", "Spring hills", "Ember sky"}
	more := make([]string, len(names))
	for i, name := range names {
		w, h := 640, 480
		if i%3 == 1 {
			w, h = 480, 640
		}
		more[i] = writeLandscape(t, dir, fmt.Sprintf("%s.png", name), w, h, i+2)
	}
	browserDo(t, ctx, "uploading more pictures",
		chromedp.Click(chromedp.CSS(`#nav-upload`), chromedp.NodeVisible),
		chromedp.SetUploadFiles(chromedp.CSS(`#file-input`), more),
		chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`[data-testid=upload-row]:nth-child(%d)`, len(more)))),
		chromedp.Click(chromedp.CSS(`#upload-start`), chromedp.NodeVisible),
	)
	browserWait(t, ctx, "every upload to finish",
		fmt.Sprintf(`document.querySelectorAll('[data-testid=upload-row][data-state=done]').length === %d`, len(more)), browserUploadRows)
	browserDo(t, ctx, "going back to the grid", chromedp.Click(chromedp.CSS(`[data-testid=upload-back]`), chromedp.NodeVisible))
	browserWait(t, ctx, "a full grid with every image loaded",
		fmt.Sprintf(`document.querySelectorAll('[data-testid=tile]').length === %d && [...document.querySelectorAll('[data-testid=tile] img')].every((i) => i.complete && i.naturalWidth > 0)`, len(more)+1),
		browserTileAlts+`.join()`)
	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("taking the screenshot: %v", err)
	}
	if err := os.MkdirAll("docs", 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join("docs", "screenshot.png"), shot, 0o644); err != nil {
		t.Fatal(err)
	}

	console.check(t)
}

// TestBrowser_DropFiles starts from an empty repository: the grid invites
// the first upload, files dropped anywhere on it go to the upload view, and
// files dropped there join the list.
func TestBrowser_DropFiles(t *testing.T) {
	ctx, console := newBrowserTab(t, 1280, 800)
	m := runBrowserServer(t)
	dir := t.TempDir()

	browserDo(t, ctx, "opening the empty grid",
		chromedp.Navigate(m.URL()+"/#/"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=empty-state] a[href="#/upload"]`)),
	)
	browserDo(t, ctx, "dropping a file on the grid", browserDropFiles(640, 600, writeLandscape(t, dir, "first-light.png", 200, 150, 3)))
	browserWait(t, ctx, "the upload view with the dropped file",
		`location.hash === '#/upload' && document.querySelectorAll('[data-testid=upload-row]').length === 1`,
		`location.hash + ' ' + document.querySelector('main').innerText`)
	browserDo(t, ctx, "dropping another file on the drop zone",
		chromedp.Func(func(ctx context.Context, tt *chromedp.Target) error {
			box, err := chromedp.Run(ctx, chromedp.Dimensions(chromedp.CSS(`#dropzone`), chromedp.NodeVisible))
			if err != nil {
				return err
			}
			q := box.Content
			_, err = browserDropFiles((q[0]+q[2])/2, (q[1]+q[5])/2, writeLandscape(t, dir, "second-light.png", 150, 200, 4))(ctx, tt)
			return err
		}),
	)
	browserWait(t, ctx, "two rows", `document.querySelectorAll('[data-testid=upload-row]').length === 2`, browserUploadRows)
	titles := browserEval[[]string](t, ctx, `[...document.querySelectorAll('[data-testid=upload-title]')].map((i) => i.value)`)
	if want := []string{"first-light", "second-light"}; !slices.Equal(titles, want) {
		t.Fatalf("titles of dropped files = %q, want %q", titles, want)
	}
	browserDo(t, ctx, "uploading", chromedp.Click(chromedp.CSS(`#upload-start`), chromedp.NodeVisible))
	browserWait(t, ctx, "both uploads to finish",
		`document.querySelectorAll('[data-testid=upload-row][data-state=done]').length === 2`, browserUploadRows)
	if n := len(browserAPIList(t, m)); n != 2 {
		t.Errorf("API lists %d images after the drop, want 2", n)
	}
	console.check(t)
}

// TestBrowser_ImageNotFound opens an image that does not exist.
func TestBrowser_ImageNotFound(t *testing.T) {
	ctx, console := newBrowserTab(t, 1280, 800)
	m := runBrowserServer(t)
	console.expect("/api/images/no-such-image") // the browser logs the 404 it was asked to fetch
	browserDo(t, ctx, "opening a missing image",
		chromedp.Navigate(m.URL()+"/#/image/no-such-image"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=not-found]`)),
	)
	text := browserEval[string](t, ctx, `document.querySelector('[data-testid=not-found]').innerText`)
	if !strings.Contains(text, "Image not found") {
		t.Errorf("not-found view says %q, want it to mention %q", text, "Image not found")
	}
	browserDo(t, ctx, "going back to the grid", chromedp.Click(chromedp.CSS(`[data-testid=not-found] a`), chromedp.NodeVisible))
	browserWait(t, ctx, "the grid", `location.hash === '#/' && document.querySelector('[data-testid=empty-state]') !== null`, `location.hash`)
	console.check(t)
}

// TestBrowser_PhoneLayout loads each view at a phone's viewport and checks
// that none of them scrolls sideways.
func TestBrowser_PhoneLayout(t *testing.T) {
	ctx, console := newBrowserTab(t, 390, 844, chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulateScale(2))
	m := runBrowserServer(t)
	var id string
	for i, name := range []string{"Lagoon", "Blue ridge", "A picture with a rather long title that must wrap or be cut"} {
		id = browserAPIUpload(t, m, name+".png", i+1)
	}

	const noSideScroll = `document.documentElement.scrollWidth <= window.innerWidth`
	const widths = `document.documentElement.scrollWidth + ' > ' + window.innerWidth`
	browserDo(t, ctx, "opening the grid", chromedp.Navigate(m.URL()+"/#/"))
	browserWait(t, ctx, "three tiles", `document.querySelectorAll('[data-testid=tile]').length === 3`, browserTileAlts+`.join()`)
	if !browserEval[bool](t, ctx, noSideScroll) {
		t.Errorf("the grid scrolls sideways on a phone: %s", browserEval[string](t, ctx, widths))
	}
	if cols := browserEval[int](t, ctx, `getComputedStyle(document.querySelector('#grid')).gridTemplateColumns.split(' ').length`); cols < 3 {
		t.Errorf("the grid has %d columns on a phone, want at least 3", cols)
	}

	browserDo(t, ctx, "opening the image view", chromedp.Navigate(m.URL()+"/#/image/"+id))
	browserWait(t, ctx, "the image view", `document.querySelector('#image-full')?.complete === true`, `document.querySelector('main').innerText`)
	if !browserEval[bool](t, ctx, noSideScroll) {
		t.Errorf("the image view scrolls sideways on a phone: %s", browserEval[string](t, ctx, widths))
	}

	dir := t.TempDir()
	browserDo(t, ctx, "choosing files to upload",
		chromedp.Navigate(m.URL()+"/#/upload"),
		chromedp.SetUploadFiles(chromedp.CSS(`#file-input`), []string{
			writeLandscape(t, dir, "a-file-name-that-goes-on-and-on-and-on-for-quite-a-while.png", 40, 30, 5),
		}),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=upload-row]`)),
	)
	if !browserEval[bool](t, ctx, noSideScroll) {
		t.Errorf("the upload view scrolls sideways on a phone: %s", browserEval[string](t, ctx, widths))
	}
	console.check(t)
}

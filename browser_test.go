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
// Chromium against a real server: sign in, upload two files (private, the
// default), see them in the grid with their lock badges, step between them
// with the keyboard, edit one (making it public), delete it through the
// confirmation dialog, and check every step against the API. It ends by
// taking a screenshot of a grid with a dozen images (written to the path in
// IMAGEREPO_SCREENSHOT when set: docs/screenshot.png is made that way).
func TestBrowser_UploadEditDelete(t *testing.T) {
	ctx, console := newBrowserTab(t, 1280, 800)
	m := runBrowserServer(t)
	admin := browserStartSignedIn(t, ctx, console, m)
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
	if !browserEval[bool](t, ctx, `document.querySelector('#upload-visibility-private').checked && !document.querySelector('#upload-visibility-public').checked`) {
		t.Fatalf("the upload form does not start at private")
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
	if n := browserEval[int](t, ctx, `document.querySelectorAll('[data-testid=tile] [data-testid=private-badge]').length`); n != 2 {
		t.Errorf("%d tiles with a private badge, want 2", n)
	}
	listed := admin.list(t)
	if len(listed) != 2 {
		t.Fatalf("API lists %d images after the upload, want 2", len(listed))
	}
	for _, img := range listed {
		if img.Owner != browserAdmin || img.Visibility != "private" {
			t.Errorf("uploaded %q: owner %q, visibility %q; want %q, private", img.Title, img.Owner, img.Visibility, browserAdmin)
		}
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
	if v := browserEval[string](t, ctx, `document.querySelector('#image-visibility').innerText.trim()`); v != "Private" {
		t.Errorf("visibility badge says %q, want Private", v)
	}
	meta := browserEval[string](t, ctx, `document.querySelector('#image-meta').innerText`)
	for _, want := range []string{"harbour-dawn.png", "image/png", "480 × 320 px", browserAdmin} {
		if !strings.Contains(meta, want) {
			t.Errorf("details %q do not mention %q", meta, want)
		}
	}
	href := browserEval[string](t, ctx, `document.querySelector('#download-link').getAttribute('href')`)
	if want := "/api/images/" + id + "/file?download=1"; href != want {
		t.Errorf("download link = %q, want %q", href, want)
	}
	// The picture is the large thumbnail, and a link to the original.
	pic := browserEval[map[string]string](t, ctx, `(() => { const img = document.querySelector('#image-full'), a = img.closest('a');
		return { src: img.getAttribute('src'), href: a ? a.getAttribute('href') : '', target: a ? a.target : '' }; })()`)
	if want := "/api/images/" + id + "/thumb/large"; pic["src"] != want {
		t.Errorf("the image view shows %q, want %q", pic["src"], want)
	}
	if want := "/api/images/" + id + "/file"; pic["href"] != want || pic["target"] != "_blank" {
		t.Errorf("the picture links to %q (target %q), want %q in a new tab", pic["href"], pic["target"], want)
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

	// Edit the title and tags, and make it public.
	const newTitle = "Harbour at dawn"
	browserDo(t, ctx, "editing",
		chromedp.Click(chromedp.CSS(`#edit-button`), chromedp.NodeVisible),
		chromedp.WaitVisible(chromedp.CSS(`#edit-title`)),
	)
	if !browserEval[bool](t, ctx, `document.querySelector('#edit-visibility-private').checked`) {
		t.Errorf("the edit form does not show the image as private")
	}
	browserDo(t, ctx, "changing the details",
		chromedp.Evaluate[chromedp.Void](`document.querySelector("#edit-title").select()`),
		chromedp.SendKeys(chromedp.CSS(`#edit-title`), newTitle),
		chromedp.SendKeys(chromedp.CSS(`#edit-tags`), "sea, morning"),
		chromedp.Click(chromedp.CSS(`label[for=edit-visibility-public]`), chromedp.NodeVisible),
		chromedp.Click(chromedp.CSS(`#edit-save`), chromedp.NodeVisible),
	)
	browserWait(t, ctx, "the saved title",
		`document.querySelector('#image-title').textContent === `+jsQuote(newTitle)+` && document.querySelector('#edit-form').hidden`,
		`document.querySelector('main').innerText`)
	if tags := browserEval[[]string](t, ctx, `[...document.querySelectorAll('#image-tags li')].map((li) => li.textContent)`); !slices.Equal(tags, []string{"sea", "morning"}) {
		t.Errorf("shown tags = %q, want [sea morning]", tags)
	}
	if v := browserEval[string](t, ctx, `document.querySelector('#image-visibility').innerText.trim()`); v != "Public" {
		t.Errorf("visibility badge after the edit says %q, want Public", v)
	}
	doc, status := admin.get(t, id)
	if status != http.StatusOK || doc.Title != newTitle || !slices.Equal(doc.Tags, []string{"sea", "morning"}) || doc.Visibility != "public" {
		t.Fatalf("API after edit: status %d, title %q, tags %q, visibility %q; want 200, %q, [sea morning], public",
			status, doc.Title, doc.Tags, doc.Visibility, newTitle)
	}
	if _, status := browserAnonymous(m).get(t, id); status != http.StatusOK {
		t.Errorf("anonymous GET of the image made public = %d, want 200", status)
	}

	// Delete: Cancel keeps the image, Confirm removes it and goes back to the grid.
	browserDo(t, ctx, "opening the delete dialog",
		chromedp.Click(chromedp.CSS(`#delete-button`), chromedp.NodeVisible),
		chromedp.WaitVisible(chromedp.CSS(`#delete-dialog`)),
		chromedp.Click(chromedp.CSS(`#delete-cancel`), chromedp.NodeVisible),
		chromedp.WaitNotVisible(chromedp.CSS(`#delete-dialog`)),
	)
	if _, status := admin.get(t, id); status != http.StatusOK {
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
	if _, status := admin.get(t, id); status != http.StatusNotFound {
		t.Errorf("GET the deleted image = %d, want 404", status)
	}
	if n := len(admin.list(t)); n != 1 {
		t.Errorf("API lists %d images after the delete, want 1", n)
	}

	// Escape from an image view goes back to the grid.
	browserDo(t, ctx, "opening the remaining image", chromedp.Click(chromedp.CSS(`[data-testid=tile]`), chromedp.NodeVisible))
	browserWait(t, ctx, "the remaining image", `document.querySelector('#image-title')?.textContent === 'green-valley'`, `location.hash`)
	browserDo(t, ctx, "pressing Escape", chromedp.KeyEvent(kb.Escape))
	browserWait(t, ctx, "the grid after Escape", `location.hash === '#/' && document.querySelectorAll('[data-testid=tile]').length === 1`, `location.hash`)

	// Fill the grid for the screenshot through the UI: eleven more pictures,
	// three at a time, public this time.
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
		chromedp.Click(chromedp.CSS(`label[for=upload-visibility-public]`), chromedp.NodeVisible),
		chromedp.Click(chromedp.CSS(`#upload-start`), chromedp.NodeVisible),
	)
	browserWait(t, ctx, "every upload to finish",
		fmt.Sprintf(`document.querySelectorAll('[data-testid=upload-row][data-state=done]').length === %d`, len(more)), browserUploadRows)
	browserDo(t, ctx, "going back to the grid", chromedp.Click(chromedp.CSS(`[data-testid=upload-back]`), chromedp.NodeVisible))
	browserWait(t, ctx, "a full grid with every image loaded",
		fmt.Sprintf(`document.querySelectorAll('[data-testid=tile]').length === %d && [...document.querySelectorAll('[data-testid=tile] img')].every((i) => i.complete && i.naturalWidth > 0)`, len(more)+1),
		browserTileAlts+`.join()`)
	if n := browserEval[int](t, ctx, `document.querySelectorAll('[data-testid=tile][data-visibility=public]').length`); n != len(more) {
		t.Errorf("%d public tiles, want %d", n, len(more))
	}
	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("taking the screenshot: %v", err)
	}
	// IMAGEREPO_SCREENSHOT=docs/screenshot.png refreshes the README's picture;
	// other runs leave the checkout as it is.
	out := filepath.Join(t.TempDir(), "screenshot.png")
	if path := os.Getenv("IMAGEREPO_SCREENSHOT"); path != "" {
		out = path
	}
	if err := os.WriteFile(out, shot, 0o644); err != nil {
		t.Fatal(err)
	}

	console.check(t)
}

// TestBrowser_DropFiles starts signed out on an empty repository: the grid
// invites a sign-in and offers no Upload; a file dropped on it goes to the
// upload view, which asks for a sign-in first and then holds the file;
// files dropped there join the list.
func TestBrowser_DropFiles(t *testing.T) {
	ctx, console := newBrowserTab(t, 1280, 800)
	m := runBrowserServer(t)
	browserAPICreateAdmin(t, m)
	console.expectStatus(http.StatusUnauthorized, "/api/me") // the first load, signed out
	dir := t.TempDir()

	browserDo(t, ctx, "opening the empty grid signed out",
		chromedp.Navigate(m.URL()+"/#/"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=empty-state] a[href="#/signin"]`)),
	)
	if nav := browserEval[string](t, ctx, `document.querySelector('#nav-upload').hidden + ' ' + document.querySelector('.site-nav').innerText.trim()`); nav != "true Sign in" {
		t.Errorf("signed out, the header's hidden Upload and text are %q, want %q", nav, "true Sign in")
	}
	browserDo(t, ctx, "dropping a file on the grid", browserDropFiles(640, 600, writeLandscape(t, dir, "first-light.png", 200, 150, 3)))
	browserWait(t, ctx, "the sign-in prompt of the upload view",
		`location.hash === '#/upload' && document.querySelector('#signin-form') !== null`,
		`location.hash + ' ' + document.querySelector('main').innerText`)
	if title := browserEval[string](t, ctx, `document.querySelector('[data-testid=signin-view]').innerText`); !strings.Contains(title, "Sign in to upload") {
		t.Errorf("the upload view's sign-in prompt says %q, want it to mention %q", title, "Sign in to upload")
	}
	browserFillSignIn(t, ctx, browserAdmin, browserAdminPassword)
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
	listed := browserAPISignIn(t, m, browserAdmin, browserAdminPassword).list(t)
	if len(listed) != 2 {
		t.Errorf("API lists %d images after the drop, want 2", len(listed))
	}
	for _, img := range listed {
		if img.Owner != browserAdmin || img.Visibility != "private" {
			t.Errorf("dropped %q: owner %q, visibility %q; want %q, private", img.Title, img.Owner, img.Visibility, browserAdmin)
		}
	}
	console.check(t)
}

// TestBrowser_ImageNotFound opens an image that does not exist.
func TestBrowser_ImageNotFound(t *testing.T) {
	ctx, console := newBrowserTab(t, 1280, 800)
	m := runBrowserServer(t)
	browserStartSignedIn(t, ctx, console, m)
	console.expectStatus(http.StatusNotFound, "/api/images/no-such-image") // the browser logs the 404 it was asked to fetch
	browserDo(t, ctx, "opening a missing image",
		chromedp.Navigate(m.URL()+"/#/image/no-such-image"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=not-found]`)),
	)
	text := browserEval[string](t, ctx, `document.querySelector('[data-testid=not-found]').innerText`)
	if !strings.Contains(text, "Image not found") {
		t.Errorf("not-found view says %q, want it to mention %q", text, "Image not found")
	}
	browserDo(t, ctx, "going back to the grid", chromedp.Click(chromedp.CSS(`[data-testid=not-found] a`), chromedp.NodeVisible))
	browserWait(t, ctx, "the grid", `location.hash === '#/' && document.querySelector('[data-testid=empty-state] a[href="#/upload"]') !== null`, `location.hash`)
	console.check(t)
}

// TestBrowser_PhoneLayout loads each view at a phone's viewport and checks
// that none of them scrolls sideways.
func TestBrowser_PhoneLayout(t *testing.T) {
	ctx, console := newBrowserTab(t, 390, 844, chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulateScale(2))
	m := runBrowserServer(t)
	browserAPICreateAdmin(t, m)
	admin := browserAPISignIn(t, m, browserAdmin, browserAdminPassword)
	var id string
	for i, name := range []string{"Lagoon", "Blue ridge", "A picture with a rather long title that must wrap or be cut"} {
		visibility := "public"
		if i%2 == 0 {
			visibility = "private"
		}
		id = admin.upload(t, name+".png", i+1, visibility)
	}

	// The search bar sits in a full-width row of its own under the header.
	const noSideScroll = `document.documentElement.scrollWidth <= window.innerWidth && (() => {
		const r = document.querySelector('#search-form').getBoundingClientRect();
		return r.left >= 0 && r.right <= window.innerWidth && r.width > window.innerWidth * 0.8; })()`
	const widths = `document.documentElement.scrollWidth + ' > ' + window.innerWidth + ', search bar ' + JSON.stringify(document.querySelector('#search-form').getBoundingClientRect())`
	console.expectStatus(http.StatusUnauthorized, "/api/me") // the first load, signed out
	browserDo(t, ctx, "opening the sign-in view",
		chromedp.Navigate(m.URL()+"/#/signin"),
		chromedp.WaitVisible(chromedp.CSS(`#signin-form`)),
	)
	if !browserEval[bool](t, ctx, noSideScroll) {
		t.Errorf("the sign-in view scrolls sideways on a phone: %s", browserEval[string](t, ctx, widths))
	}
	browserFillSignIn(t, ctx, browserAdmin, browserAdminPassword)
	browserWait(t, ctx, "three tiles", `document.querySelectorAll('[data-testid=tile]').length === 3`, browserTileAlts+`.join()`)
	if !browserEval[bool](t, ctx, noSideScroll) {
		t.Errorf("the grid scrolls sideways on a phone: %s", browserEval[string](t, ctx, widths))
	}
	if cols := browserEval[int](t, ctx, `getComputedStyle(document.querySelector('#grid')).gridTemplateColumns.split(' ').length`); cols < 3 {
		t.Errorf("the grid has %d columns on a phone, want at least 3", cols)
	}
	browserDo(t, ctx, "opening the account menu",
		chromedp.Click(chromedp.CSS(`#account-button`), chromedp.NodeVisible),
		chromedp.WaitVisible(chromedp.CSS(`#account-menu`)),
	)
	const menuInside = `(() => { const r = document.querySelector('#account-menu').getBoundingClientRect(); return r.left >= 0 && r.right <= window.innerWidth; })()`
	if !browserEval[bool](t, ctx, noSideScroll+` && `+menuInside) {
		t.Errorf("the open account menu does not fit a phone: %s", browserEval[string](t, ctx, widths))
	}
	browserDo(t, ctx, "closing the menu with Escape", chromedp.KeyEvent(kb.Escape), chromedp.WaitNotVisible(chromedp.CSS(`#account-menu`)))
	if !browserEval[bool](t, ctx, `document.activeElement === document.querySelector('#account-button')`) {
		t.Errorf("after Escape, focus is not on the account button")
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

	for _, view := range []struct{ hash, ready string }{
		{"#/tokens", `#token-form`},
		{"#/password", `#password-form`},
		{"#/admin", `[data-testid=user-row]`},
		{"#/mine", `[data-testid=tile]`},
	} {
		browserDo(t, ctx, "opening "+view.hash,
			chromedp.Navigate(m.URL()+"/"+view.hash),
			chromedp.WaitVisible(chromedp.CSS(view.ready)),
		)
		if !browserEval[bool](t, ctx, noSideScroll) {
			t.Errorf("%s scrolls sideways on a phone: %s", view.hash, browserEval[string](t, ctx, widths))
		}
	}
	console.check(t)
}

// TestBrowser_FirstRunAndPrivateImage follows a fresh install: every address
// shows the admin setup; the admin is made through its form and signed in;
// they upload a private and a public image; a second, anonymous browser
// context (no shared cookies) sees the public one only, and the private
// one's address shows "not found"; the admin adds a second account on the
// admin page, who cannot see the private image either nor change the
// public one; the admin disables and enables that account; and signs out.
func TestBrowser_FirstRunAndPrivateImage(t *testing.T) {
	ctx, console := newBrowserTab(t, 1280, 800)
	m := runBrowserServer(t)
	dir := t.TempDir()
	const bob, bobPassword = "bob", "bob's long password"

	// A fresh install shows the first-run form, whatever the address.
	browserDo(t, ctx, "opening a fresh install",
		chromedp.Navigate(m.URL()+"/#/upload"),
		chromedp.WaitVisible(chromedp.CSS(`#setup-form`)),
	)
	if hash := browserEval[string](t, ctx, `location.hash`); hash != "#/setup" {
		t.Errorf("a fresh install shows the setup form at %q, want #/setup", hash)
	}
	if heading := browserEval[string](t, ctx, `document.querySelector('#setup-view-title').textContent`); heading != "Create the admin account" {
		t.Errorf("setup heading = %q, want %q", heading, "Create the admin account")
	}
	if !browserEval[bool](t, ctx, `document.querySelector('#nav-upload').hidden && document.querySelector('#nav-account').childElementCount === 0`) {
		t.Errorf("on first run the header offers Upload or an account")
	}

	// Passwords that differ are caught before anything is sent.
	browserDo(t, ctx, "sending passwords that differ",
		chromedp.SendKeys(chromedp.CSS(`#setup-username`), "Admin"),
		chromedp.SendKeys(chromedp.CSS(`#setup-password`), browserAdminPassword),
		chromedp.SendKeys(chromedp.CSS(`#setup-confirm`), "something else"),
		chromedp.Click(chromedp.CSS(`#setup-submit`), chromedp.NodeVisible),
	)
	browserWait(t, ctx, "the mismatch message", `document.querySelector('#setup-status').innerText.includes('do not match')`,
		`document.querySelector('#setup-status').innerText`)
	var setup struct {
		NeedsAdmin bool `json:"needs_admin"`
	}
	if status := browserAnonymous(m).json(t, http.MethodGet, "/api/setup", nil, &setup); status != http.StatusOK || !setup.NeedsAdmin {
		t.Fatalf("after a refused form, GET /api/setup = %d, needs_admin %v; want 200, true", status, setup.NeedsAdmin)
	}

	// The admin account, made through the form, signs in at once. The
	// server lower-cases the name.
	browserDo(t, ctx, "creating the admin account",
		chromedp.Evaluate[chromedp.Void](`document.querySelector('#setup-confirm').value = ''`),
		chromedp.SendKeys(chromedp.CSS(`#setup-confirm`), browserAdminPassword),
		chromedp.Click(chromedp.CSS(`#setup-submit`), chromedp.NodeVisible),
	)
	browserWait(t, ctx, "the admin signed in",
		`location.hash === '#/' && document.querySelector('[data-testid=account-name]')?.textContent === 'admin' && !document.querySelector('#nav-upload').hidden`,
		`location.hash + ' ' + document.querySelector('main').innerText`)
	if status := browserAnonymous(m).json(t, http.MethodGet, "/api/setup", nil, &setup); status != http.StatusOK || setup.NeedsAdmin {
		t.Fatalf("after setup, GET /api/setup = %d, needs_admin %v; want 200, false", status, setup.NeedsAdmin)
	}
	admin := browserAPISignIn(t, m, browserAdmin, browserAdminPassword)

	// Upload a private image, then a public one, choosing each time.
	browserDo(t, ctx, "uploading a private image",
		chromedp.Click(chromedp.CSS(`#nav-upload`), chromedp.NodeVisible),
		chromedp.SetUploadFiles(chromedp.CSS(`#file-input`), []string{writeLandscape(t, dir, "secret-plan.png", 400, 300, 6)}),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=upload-row]`)),
		chromedp.Click(chromedp.CSS(`label[for=upload-visibility-private]`), chromedp.NodeVisible),
		chromedp.Click(chromedp.CSS(`#upload-start`), chromedp.NodeVisible),
	)
	browserWait(t, ctx, "the private upload", `document.querySelectorAll('[data-testid=upload-row][data-state=done]').length === 1`, browserUploadRows)
	browserDo(t, ctx, "uploading a public image",
		chromedp.SetUploadFiles(chromedp.CSS(`#file-input`), []string{writeLandscape(t, dir, "town-square.png", 400, 300, 7)}),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=upload-row]:nth-child(2)`)),
		chromedp.Click(chromedp.CSS(`label[for=upload-visibility-public]`), chromedp.NodeVisible),
		chromedp.Click(chromedp.CSS(`#upload-start`), chromedp.NodeVisible),
	)
	browserWait(t, ctx, "the public upload", `document.querySelectorAll('[data-testid=upload-row][data-state=done]').length === 2`, browserUploadRows)
	var secretID, publicID string
	for _, img := range admin.list(t) {
		switch {
		case img.Title == "secret-plan" && img.Visibility == "private" && img.Owner == browserAdmin:
			secretID = img.ID
		case img.Title == "town-square" && img.Visibility == "public" && img.Owner == browserAdmin:
			publicID = img.ID
		default:
			t.Errorf("unexpected image %+v", img)
		}
	}
	if secretID == "" || publicID == "" {
		t.Fatalf("the API does not list a private secret-plan and a public town-square owned by admin: %+v", admin.list(t))
	}

	// The grid marks the private image, and so does its view, which offers
	// its owner Edit and Delete.
	browserDo(t, ctx, "going back to the grid", chromedp.Click(chromedp.CSS(`[data-testid=upload-back]`), chromedp.NodeVisible))
	browserWait(t, ctx, "two tiles", `document.querySelectorAll('[data-testid=tile]').length === 2`, browserTileAlts+`.join()`)
	if !browserEval[bool](t, ctx, `document.querySelector('[data-testid=tile][data-id="`+secretID+`"] [data-testid=private-badge]') !== null`) {
		t.Errorf("the private image's tile has no private badge")
	}
	if browserEval[bool](t, ctx, `document.querySelector('[data-testid=tile][data-id="`+publicID+`"] [data-testid=private-badge]') !== null`) {
		t.Errorf("the public image's tile has a private badge")
	}
	// What a screen reader reads for the tile: the picture's alt text and
	// the badge's words, leaving out what is aria-hidden.
	const tileName = `[...document.querySelector('[data-testid=tile][data-id="%s"]').children]
		.filter((n) => n.getAttribute('aria-hidden') !== 'true').map((n) => n.alt ?? n.textContent).join(' ')`
	if name := browserEval[string](t, ctx, fmt.Sprintf(tileName, secretID)); name != "secret-plan Private" {
		t.Errorf("the private tile reads as %q, want %q", name, "secret-plan Private")
	}
	browserDo(t, ctx, "showing my images", chromedp.Click(chromedp.CSS(`#tab-mine`), chromedp.NodeVisible))
	browserWait(t, ctx, "my two images", `location.hash === '#/mine' && document.querySelectorAll('[data-testid=tile]').length === 2 && document.querySelector('#tab-mine').getAttribute('aria-current') === 'page'`,
		`location.hash + ' ' + `+browserTileAlts+`.join()`)
	browserDo(t, ctx, "opening the private image", chromedp.Click(chromedp.CSS(`[data-testid=tile][data-id="`+secretID+`"]`), chromedp.NodeVisible))
	browserWait(t, ctx, "the private image", `document.querySelector('#image-title')?.textContent === 'secret-plan'`, `document.querySelector('main').innerText`)
	if v := browserEval[string](t, ctx, `document.querySelector('#image-visibility').innerText.trim()`); v != "Private" {
		t.Errorf("the private image's badge says %q, want Private", v)
	}
	if !browserEval[bool](t, ctx, `document.querySelector('#edit-button') !== null && document.querySelector('#delete-button') !== null`) {
		t.Errorf("the owner is not offered Edit and Delete")
	}

	// A second visitor, in a browser context of their own, is anonymous:
	// the grid has the public image only, and the private one's address is
	// "not found", as the API says.
	anon, anonConsole := newIsolatedTab(t, ctx, 1280, 800)
	anonConsole.expectStatus(http.StatusUnauthorized, "/api/me")
	anonConsole.expectStatus(http.StatusNotFound, "/api/images/"+secretID)
	browserDo(t, anon, "opening the grid anonymously",
		chromedp.Navigate(m.URL()+"/#/"),
		chromedp.WaitVisible(chromedp.CSS(`#nav-signin`)),
	)
	browserWait(t, anon, "the public tile", `document.querySelectorAll('[data-testid=tile]').length === 1`, browserTileAlts+`.join()`)
	if ids := browserEval[[]string](t, anon, `[...document.querySelectorAll('[data-testid=tile]')].map((a) => a.dataset.id)`); !slices.Equal(ids, []string{publicID}) {
		t.Errorf("the anonymous grid shows %q, want only the public image %q", ids, publicID)
	}
	if !browserEval[bool](t, anon, `document.querySelector('#nav-upload').hidden && document.querySelector('.site-nav').innerText.trim() === 'Sign in' && document.querySelector('#tab-mine') === null`) {
		t.Errorf("the anonymous header offers more than Sign in (%q), or the grid offers My images",
			browserEval[string](t, anon, `document.querySelector('.site-nav').innerText`))
	}
	browserDo(t, anon, "opening the private image's address anonymously",
		chromedp.Navigate(m.URL()+"/#/image/"+secretID),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=not-found]`)),
	)
	if browserEval[bool](t, anon, `document.querySelector('#image-full') !== null || document.body.innerText.includes('secret-plan')`) {
		t.Errorf("the anonymous not-found view shows the private image")
	}
	for _, path := range []string{"/api/images/" + secretID, "/api/images/" + secretID + "/file"} {
		if status := browserAnonymous(m).do(t, http.MethodGet, path, nil, "", nil); status != http.StatusNotFound {
			t.Errorf("anonymous GET %s = %d, want 404", path, status)
		}
	}
	browserDo(t, anon, "opening the public image anonymously", chromedp.Navigate(m.URL()+"/#/image/"+publicID))
	browserWait(t, anon, "the public image", `document.querySelector('#image-title')?.textContent === 'town-square'`, `document.querySelector('main').innerText`)
	if !browserEval[bool](t, anon, `document.querySelector('#edit-button') === null && document.querySelector('#delete-button') === null && document.querySelector('#download-link') !== null`) {
		t.Errorf("an anonymous visitor is offered Edit or Delete, or no Download")
	}
	if v := browserEval[string](t, anon, `document.querySelector('#image-visibility').innerText.trim()`); v != "Public" {
		t.Errorf("the public image's badge says %q, want Public", v)
	}

	// The admin adds a second account on the admin page.
	browserOpenMenu(t, ctx, "menu-admin")
	browserWait(t, ctx, "the admin's own row", `document.querySelector('[data-testid=user-row][data-username=admin]') !== null`, `document.querySelector('main').innerText`)
	if browserEval[bool](t, ctx, `document.querySelector('[data-testid=user-row][data-username=admin] [data-testid=user-toggle]') !== null`) {
		t.Errorf("the admin is offered to disable their own account")
	}
	browserDo(t, ctx, "adding an account",
		chromedp.SendKeys(chromedp.CSS(`#new-username`), bob),
		chromedp.SendKeys(chromedp.CSS(`#new-password`), bobPassword),
		chromedp.Click(chromedp.CSS(`#user-create`), chromedp.NodeVisible),
	)
	browserWait(t, ctx, "the new account in the list",
		`document.querySelector('[data-testid=user-row][data-username=bob]') !== null && document.querySelector('#user-create-status').innerText.includes('bob')`,
		`document.querySelector('main').innerText`)
	if browserEval[bool](t, ctx, `document.querySelector('[data-testid=user-row][data-username=bob] [data-testid=user-role]') !== null`) {
		t.Errorf("bob, added without the Admin box, is listed as an admin")
	}
	bobAPI := browserAPISignIn(t, m, bob, bobPassword)
	if _, status := bobAPI.get(t, secretID); status != http.StatusNotFound {
		t.Errorf("bob's GET of the admin's private image = %d, want 404", status)
	}
	if status := bobAPI.json(t, http.MethodPatch, "/api/images/"+publicID, map[string]string{"title": "mine now"}, nil); status != http.StatusForbidden {
		t.Errorf("bob's PATCH of the admin's public image = %d, want 403", status)
	}

	// Bob signs in in the second context: the private image stays hidden,
	// the public one offers him no Edit, and he has no images of his own.
	browserSignIn(t, anon, anonConsole, m, bob, bobPassword)
	browserWait(t, anon, "bob's grid", `document.querySelectorAll('[data-testid=tile]').length === 1`, browserTileAlts+`.join()`)
	if ids := browserEval[[]string](t, anon, `[...document.querySelectorAll('[data-testid=tile]')].map((a) => a.dataset.id)`); !slices.Equal(ids, []string{publicID}) {
		t.Errorf("bob's grid shows %q, want only the public image %q", ids, publicID)
	}
	browserDo(t, anon, "opening the private image as bob",
		chromedp.Navigate(m.URL()+"/#/image/"+secretID),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=not-found]`)),
	)
	browserDo(t, anon, "opening the public image as bob", chromedp.Navigate(m.URL()+"/#/image/"+publicID))
	browserWait(t, anon, "the public image", `document.querySelector('#image-title')?.textContent === 'town-square'`, `document.querySelector('main').innerText`)
	if !browserEval[bool](t, anon, `document.querySelector('#edit-button') === null && document.querySelector('#delete-button') === null`) {
		t.Errorf("bob is offered Edit or Delete on the admin's image")
	}
	browserDo(t, anon, "opening bob's images", chromedp.Navigate(m.URL()+"/#/mine"))
	browserWait(t, anon, "bob's empty library", `document.querySelector('[data-testid=empty-state]')?.innerText.includes('no images yet')`,
		`document.querySelector('main').innerText`)
	if browserEval[bool](t, anon, `document.querySelector('#account-menu #menu-admin') !== null`) {
		t.Errorf("bob's account menu offers Admin")
	}

	// The admin disables bob: his session stops working at once. Enabled
	// again, he can sign in.
	browserDo(t, ctx, "disabling bob", chromedp.Click(chromedp.CSS(`[data-testid=user-row][data-username=bob] [data-testid=user-toggle]`), chromedp.NodeVisible))
	browserWait(t, ctx, "bob disabled", `document.querySelector('[data-testid=user-row][data-username=bob]')?.dataset.disabled === 'true'`,
		`document.querySelector('main').innerText`)
	if _, status := bobAPI.me(t); status != http.StatusUnauthorized {
		t.Errorf("GET /api/me with a disabled account's session = %d, want 401", status)
	}
	browserDo(t, ctx, "enabling bob", chromedp.Click(chromedp.CSS(`[data-testid=user-row][data-username=bob] [data-testid=user-toggle]`), chromedp.NodeVisible))
	browserWait(t, ctx, "bob enabled", `document.querySelector('[data-testid=user-row][data-username=bob]')?.dataset.disabled === 'false'`,
		`document.querySelector('main').innerText`)
	if status := browserAnonymous(m).signIn(t, bob, bobPassword); status != http.StatusOK {
		t.Errorf("signing in as bob enabled again = %d, want 200", status)
	}

	// Signing out goes home, signed out: the private image is gone from the
	// grid, and the server agrees the session has ended.
	browserOpenMenu(t, ctx, "menu-signout")
	browserWait(t, ctx, "the signed-out grid",
		`location.hash === '#/' && document.querySelector('#nav-signin') !== null && document.querySelector('#nav-upload').hidden && document.querySelectorAll('[data-testid=tile]').length === 1`,
		`location.hash + ' ' + document.querySelector('header').innerText + ' ' + `+browserTileAlts+`.join()`)
	console.expectStatus(http.StatusUnauthorized, "/api/me")
	status, err := chromedp.Run(ctx, chromedp.Evaluate[int](`fetch('/api/me').then((r) => r.status)`, chromedp.EvalAwaitPromise))
	if err != nil || status != http.StatusUnauthorized {
		t.Errorf("the page's GET /api/me after signing out = %d (%v), want 401", status, err)
	}
	console.check(t)
	anonConsole.check(t)
}

// TestBrowser_Tokens creates an API token on the tokens page, sees its
// secret once, uses it, and revokes it: the server then refuses it.
func TestBrowser_Tokens(t *testing.T) {
	ctx, console := newBrowserTab(t, 1280, 800)
	m := runBrowserServer(t)
	admin := browserStartSignedIn(t, ctx, console, m)

	browserOpenMenu(t, ctx, "menu-tokens")
	browserWait(t, ctx, "the empty token list", `location.hash === '#/tokens' && !document.querySelector('[data-testid=token-empty]').hidden`,
		`document.querySelector('main').innerText`)
	browserDo(t, ctx, "creating a token",
		chromedp.SendKeys(chromedp.CSS(`#token-name`), "backup script"),
		chromedp.Click(chromedp.CSS(`#token-create`), chromedp.NodeVisible),
	)
	browserWait(t, ctx, "the new secret and the listed token",
		`document.querySelector('#token-secret')?.value.length > 20 && document.querySelectorAll('[data-testid=token-row]').length === 1`,
		`document.querySelector('main').innerText`)
	secret := browserEval[string](t, ctx, `document.querySelector('#token-secret').value`)
	if warning := browserEval[string](t, ctx, `document.querySelector('[data-testid=token-secret-warning]').innerText`); !strings.Contains(warning, "see this again") {
		t.Errorf("the secret's warning says %q, want it to say you won't see it again", warning)
	}
	if name := browserEval[string](t, ctx, `document.querySelector('[data-testid=token-row] [data-testid=token-name]').textContent`); name != "backup script" {
		t.Errorf("listed token name = %q, want %q", name, "backup script")
	}
	browserDo(t, ctx, "copying the secret", chromedp.Click(chromedp.CSS(`#token-copy`), chromedp.NodeVisible))
	browserWait(t, ctx, "the copy to say how it went", `document.querySelector('[data-testid=token-copy-status]').textContent !== ''`, "")
	if who, status := browserBearer(m, secret).me(t); status != http.StatusOK || who != browserAdmin {
		t.Fatalf("GET /api/me with the new token = %d as %q, want 200 as %q", status, who, browserAdmin)
	}

	// The secret is shown once: leave and come back, and only the name is there.
	browserDo(t, ctx, "leaving the tokens page", chromedp.Click(chromedp.CSS(`[data-testid=home-link]`), chromedp.NodeVisible))
	browserWait(t, ctx, "the grid", `location.hash === '#/'`, `location.hash`)
	browserOpenMenu(t, ctx, "menu-tokens")
	browserWait(t, ctx, "the token list again", `document.querySelectorAll('[data-testid=token-row]').length === 1`, `document.querySelector('main').innerText`)
	if browserEval[bool](t, ctx, `document.querySelector('#token-secret') !== null || document.documentElement.innerHTML.includes(`+jsQuote(secret)+`)`) {
		t.Errorf("the tokens page shows the secret again")
	}

	// Revoke: Cancel keeps it, Revoke removes it from the list and the server.
	browserDo(t, ctx, "cancelling a revoke",
		chromedp.Click(chromedp.CSS(`[data-testid=token-revoke]`), chromedp.NodeVisible),
		chromedp.WaitVisible(chromedp.CSS(`#revoke-dialog`)),
		chromedp.Click(chromedp.CSS(`[data-testid=revoke-cancel]`), chromedp.NodeVisible),
		chromedp.WaitNotVisible(chromedp.CSS(`#revoke-dialog`)),
	)
	if _, status := browserBearer(m, secret).me(t); status != http.StatusOK {
		t.Fatalf("after Cancel, GET /api/me with the token = %d, want 200", status)
	}
	browserDo(t, ctx, "revoking the token",
		chromedp.Click(chromedp.CSS(`[data-testid=token-revoke]`), chromedp.NodeVisible),
		chromedp.WaitVisible(chromedp.CSS(`#revoke-dialog`)),
		chromedp.Click(chromedp.CSS(`[data-testid=revoke-confirm]`), chromedp.NodeVisible),
	)
	browserWait(t, ctx, "the token gone",
		`document.querySelectorAll('[data-testid=token-row]').length === 0 && !document.querySelector('[data-testid=token-empty]').hidden && document.querySelector('#token-list-status').innerText.includes('revoked')`,
		`document.querySelector('main').innerText`)
	if _, status := browserBearer(m, secret).me(t); status != http.StatusUnauthorized {
		t.Errorf("GET /api/me with the revoked token = %d, want 401", status)
	}
	var tokens struct {
		Tokens []struct{} `json:"tokens"`
	}
	if status := admin.json(t, http.MethodGet, "/api/tokens", nil, &tokens); status != http.StatusOK || len(tokens.Tokens) != 0 {
		t.Errorf("GET /api/tokens after the revoke = %d with %d tokens, want 200 with 0", status, len(tokens.Tokens))
	}
	console.check(t)
}

// TestBrowser_ChangePassword changes the password on the password page: a
// wrong current password is refused with the server's message; the right
// one changes it, ends the other sessions and keeps this one.
func TestBrowser_ChangePassword(t *testing.T) {
	ctx, console := newBrowserTab(t, 1280, 800)
	m := runBrowserServer(t)
	other := browserStartSignedIn(t, ctx, console, m)
	const newPassword = "a brand new passphrase"

	browserOpenMenu(t, ctx, "menu-password")
	browserWait(t, ctx, "the password form", `location.hash === '#/password' && document.querySelector('#password-form') !== null`, `location.hash`)
	console.expectStatus(http.StatusUnauthorized, "/api/me/password")
	browserDo(t, ctx, "sending a wrong current password",
		chromedp.SendKeys(chromedp.CSS(`#password-current`), "not my password"),
		chromedp.SendKeys(chromedp.CSS(`#password-new`), newPassword),
		chromedp.SendKeys(chromedp.CSS(`#password-confirm`), newPassword),
		chromedp.Click(chromedp.CSS(`#password-save`), chromedp.NodeVisible),
	)
	browserWait(t, ctx, "the refusal", `document.querySelector('#password-status [role=alert], #password-status .is-error') !== null`,
		`document.querySelector('main').innerText`)
	if _, status := other.me(t); status != http.StatusOK {
		t.Fatalf("after a refused change, the other session's GET /api/me = %d, want 200", status)
	}
	browserDo(t, ctx, "sending the right current password",
		chromedp.Evaluate[chromedp.Void](`document.querySelector('#password-current').value = ''`),
		chromedp.SendKeys(chromedp.CSS(`#password-current`), browserAdminPassword),
		chromedp.Click(chromedp.CSS(`#password-save`), chromedp.NodeVisible),
	)
	browserWait(t, ctx, "the success message", `document.querySelector('#password-status .is-success') !== null`,
		`document.querySelector('main').innerText`)
	if _, status := other.me(t); status != http.StatusUnauthorized {
		t.Errorf("after the change, the other session's GET /api/me = %d, want 401", status)
	}
	if status := browserAnonymous(m).signIn(t, browserAdmin, browserAdminPassword); status != http.StatusUnauthorized {
		t.Errorf("signing in with the old password = %d, want 401", status)
	}
	if status := browserAnonymous(m).signIn(t, browserAdmin, newPassword); status != http.StatusOK {
		t.Errorf("signing in with the new password = %d, want 200", status)
	}
	// This browser's session survives, also across a reload.
	browserDo(t, ctx, "reloading", chromedp.Reload())
	browserWait(t, ctx, "still signed in", `document.querySelector('[data-testid=account-name]')?.textContent === 'admin'`,
		`document.querySelector('header').innerText`)
	console.check(t)
}

// TestBrowser_OpenRegistration runs a server where anyone may make an
// account: the header offers Register, the form makes a plain account and
// signs it in, and that account's menu has no Admin, whose address says
// admins only.
func TestBrowser_OpenRegistration(t *testing.T) {
	ctx, console := newBrowserTab(t, 1280, 800)
	m := runBrowserServer(t, func(c *Config) { c.API.OpenRegistration = true })
	browserAPICreateAdmin(t, m)
	console.expectStatus(http.StatusUnauthorized, "/api/me") // the first load, signed out
	const carol, carolPassword = "carol", "carol's secret words"

	browserDo(t, ctx, "opening the grid signed out",
		chromedp.Navigate(m.URL()+"/#/"),
		chromedp.WaitVisible(chromedp.CSS(`#nav-register`)),
		chromedp.Click(chromedp.CSS(`#nav-register`), chromedp.NodeVisible),
		chromedp.WaitVisible(chromedp.CSS(`#register-form`)),
		chromedp.SendKeys(chromedp.CSS(`#register-username`), carol),
		chromedp.SendKeys(chromedp.CSS(`#register-password`), carolPassword),
		chromedp.SendKeys(chromedp.CSS(`#register-confirm`), carolPassword),
		chromedp.Click(chromedp.CSS(`#register-submit`), chromedp.NodeVisible),
	)
	browserWait(t, ctx, "carol signed in",
		`location.hash === '#/' && document.querySelector('[data-testid=account-name]')?.textContent === 'carol'`,
		`location.hash + ' ' + document.querySelector('main').innerText`)
	var me struct {
		Role string `json:"role"`
	}
	if status := browserAPISignIn(t, m, carol, carolPassword).json(t, http.MethodGet, "/api/me", nil, &me); status != http.StatusOK || me.Role != "user" {
		t.Errorf("GET /api/me as the registered account = %d, role %q; want 200, user", status, me.Role)
	}
	browserDo(t, ctx, "opening the account menu",
		chromedp.Click(chromedp.CSS(`#account-button`), chromedp.NodeVisible),
		chromedp.WaitVisible(chromedp.CSS(`#account-menu`)),
	)
	items := browserEval[[]string](t, ctx, `[...document.querySelectorAll('#account-menu .menu-item')].map((i) => i.textContent)`)
	if want := []string{"My images", "Tokens", "Password", "Sign out"}; !slices.Equal(items, want) {
		t.Errorf("a plain account's menu = %q, want %q", items, want)
	}
	browserDo(t, ctx, "opening the admin page as a plain account",
		chromedp.Navigate(m.URL()+"/#/admin"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=forbidden]`)),
	)
	console.check(t)
}

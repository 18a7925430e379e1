package main

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/jpeg"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowser_PhonePhoto is the image pipeline as a user meets it: a real
// phone photo (testdata/camera/gps.jpg, a Samsung's 920×570 JPEG), marked
// as taken with the phone held upright (EXIF orientation 6), is uploaded
// with a re-encoded copy of it. The grid shows it upright at once, the image
// view shows the camera and the time taken, and the copy under Similar images.
func TestBrowser_PhonePhoto(t *testing.T) {
	ctx, console := newBrowserTab(t, 1280, 800)
	m := runBrowserServer(t)
	browserStartSignedIn(t, ctx, console, m)
	dir := t.TempDir()
	phone := filepath.Join(dir, "phone.jpg")
	upright := withOrientation6(t, readFile(t, filepath.Join("testdata", "camera", "gps.jpg")))
	writeTestFile(t, phone, upright)
	// The copy: the photo as displayed (turned a quarter clockwise), saved
	// again without its EXIF, as an editor would export it.
	src, err := jpeg.Decode(bytes.NewReader(upright))
	if err != nil {
		t.Fatal(err)
	}
	var copyJPEG bytes.Buffer
	if err := jpeg.Encode(&copyJPEG, turnClockwise(src), &jpeg.Options{Quality: 70}); err != nil {
		t.Fatal(err)
	}
	copyPath := filepath.Join(dir, "phone-export.jpg")
	writeTestFile(t, copyPath, copyJPEG.Bytes())

	browserDo(t, ctx, "uploading the photo and its copy",
		chromedp.Navigate(m.URL()+"/#/upload"),
		chromedp.SetUploadFiles(chromedp.CSS(`#file-input`), []string{phone, copyPath}),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=upload-row]:nth-child(2)`)),
		chromedp.Click(chromedp.CSS(`#upload-start`), chromedp.NodeVisible),
	)
	browserWait(t, ctx, "both uploads to finish",
		`document.querySelectorAll('[data-testid=upload-row][data-state=done]').length === 2`, browserUploadRows)
	browserDo(t, ctx, "going to the grid", chromedp.Navigate(m.URL()+"/#/"))
	browserWait(t, ctx, "both tiles loaded",
		`document.querySelectorAll('[data-testid=tile] img').length === 2 && [...document.querySelectorAll('[data-testid=tile] img')].every((i) => i.complete && i.naturalWidth > 0)`,
		browserTileAlts+`.join()`)
	tile := browserEval[map[string]any](t, ctx, `(() => { const i = document.querySelector('[data-testid=tile] img[alt="phone"]');
		return { id: i.closest('a').dataset.id, w: i.naturalWidth, h: i.naturalHeight, src: i.currentSrc }; })()`)
	id, _ := tile["id"].(string)
	if w, h := tile["w"].(float64), tile["h"].(float64); w >= h || !strings.Contains(tile["src"].(string), "/thumb/") {
		t.Errorf("the grid shows %v×%v from %v, want an upright (portrait) thumbnail", w, h, tile["src"])
	}

	browserDo(t, ctx, "opening the photo", chromedp.Click(chromedp.CSS(`[data-testid=tile][data-id="`+id+`"]`), chromedp.NodeVisible))
	browserWait(t, ctx, "the image view with the copy under Similar images",
		`(() => { const s = document.querySelector('[data-testid=similar-images]');
			return document.querySelector('#image-title')?.textContent === 'phone' && document.querySelector('#image-full').complete &&
				s && !s.hidden && s.querySelectorAll('[data-testid=similar-link]').length === 1; })()`,
		`document.querySelector('main').innerText.slice(0, 600)`)
	meta := browserEval[string](t, ctx, `document.querySelector('#image-meta').innerText`)
	// The owner sees where it was taken; every detail is shown whole.
	for _, want := range []string{"570 × 920 px", "samsung SM-N920T", "Taken", "2018", "ISO\u00a0200 · 4.3\u00a0mm",
		"Location", "26.58667°\u00a0N, 80.05361°\u00a0W"} {
		if !strings.Contains(meta, want) {
			t.Errorf("details %q do not mention %q", meta, want)
		}
	}
	if cut := browserEval[[]string](t, ctx, `[...document.querySelectorAll('#image-meta dd')]
		.filter((d) => d.scrollWidth > d.clientWidth).map((d) => d.textContent)`); len(cut) > 0 {
		t.Errorf("details cut off: %q", cut)
	}
	if w, h := browserEval[int](t, ctx, `document.querySelector('#image-full').naturalWidth`),
		browserEval[int](t, ctx, `document.querySelector('#image-full').naturalHeight`); w >= h {
		t.Errorf("the image view shows %d×%d, want it upright", w, h)
	}
	browserScreenshot(t, ctx, "phone-photo")
	console.check(t)
}

// withOrientation6 sets the EXIF orientation tag (0x0112) of a JPEG whose
// IFD0 has one to 6 (turn 90° clockwise to display).
func withOrientation6(t *testing.T, b []byte) []byte {
	t.Helper()
	out := bytes.Clone(b)
	app1 := bytes.Index(out, []byte("Exif\x00\x00"))
	if app1 < 0 {
		t.Fatal("no EXIF")
	}
	tiff := out[app1+6:]
	order := binary.ByteOrder(binary.BigEndian)
	if string(tiff[:2]) == "II" {
		order = binary.LittleEndian
	}
	ifd := tiff[order.Uint32(tiff[4:]):]
	for i := range int(order.Uint16(ifd)) {
		e := ifd[2+12*i:]
		if order.Uint16(e) == 0x0112 {
			order.PutUint16(e[8:], 6)
			return out
		}
	}
	t.Fatal("no orientation tag in IFD0")
	return nil
}

func turnClockwise(src image.Image) image.Image {
	b := src.Bounds()
	dst := image.NewRGBA(image.Rect(0, 0, b.Dy(), b.Dx()))
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			dst.Set(b.Max.Y-1-y, x-b.Min.X, src.At(x, y))
		}
	}
	return dst
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func writeTestFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// browserTimeout bounds one browser test from the start of Chromium to the
// last check.
const browserTimeout = 90 * time.Second

// findChromium returns the path of a Chromium binary. Without one the test
// is skipped, unless IMAGEREPO_BROWSER=required (as in CI), where it fails.
func findChromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	const msg = "Chromium not found: install Debian's chromium (apt-get install -y chromium) to run the browser tests"
	if os.Getenv("IMAGEREPO_BROWSER") == "required" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// runBrowserServer starts imagerepo on a free port with a fresh data dir and
// stops it when the test ends. configure, when given, changes the config
// before the start.
func runBrowserServer(t *testing.T, configure ...func(*Config)) *Main {
	t.Helper()
	m := NewMain()
	m.Config.Addr = "127.0.0.1:0"
	m.Config.DataDir = t.TempDir()
	for _, f := range configure {
		f(&m.Config)
	}
	if err := m.Run(context.Background()); err != nil {
		t.Fatalf("starting imagerepo: %v", err)
	}
	t.Cleanup(func() {
		if err := m.Close(); err != nil {
			t.Errorf("stopping imagerepo: %v", err)
		}
	})
	return m
}

// browserConsole records what a page reports as going wrong: uncaught
// exceptions, console errors, and browser log errors, which include failed
// requests and Content-Security-Policy violations.
type browserConsole struct {
	tab      context.Context
	flushed  chan struct{} // receives when the reader sees browserConsoleFlush
	mu       sync.Mutex
	problems []string
	expected [][]string // problems a test causes on purpose: each holds all of one entry's substrings
}

// browserConsoleFlush is logged by check: messages arrive in order, so once
// the reader sees it, it has seen everything the page said before.
const browserConsoleFlush = "imagerepo-browser-test: console flush"

// expect makes check accept problems that contain every one of substrs,
// such as the browser's log line for a 404 that a test asks for.
func (c *browserConsole) expect(substrs ...string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.expected = append(c.expected, substrs)
}

// expectStatus accepts the browser's log line for a response with that
// status from a URL that contains path, and nothing broader: the same path
// with another status, or another path, is still a problem.
func (c *browserConsole) expectStatus(status int, path string) {
	c.expect(fmt.Sprintf("status of %d ", status), path)
}

func (c *browserConsole) add(m chromedp.ConsoleMessage) {
	if m.Type == chromedp.ConsoleLog && m.Text == browserConsoleFlush {
		select {
		case c.flushed <- struct{}{}:
		default:
		}
		return
	}
	if m.Type != chromedp.ConsoleError && m.Type != chromedp.ConsoleException {
		return
	}
	where := m.URL
	if where != "" {
		where = fmt.Sprintf(" (%s:%d)", where, m.Line+1)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.problems = append(c.problems, fmt.Sprintf("%s%s", m, where))
}

// check fails the test when the page reported any problem.
func (c *browserConsole) check(t *testing.T) {
	t.Helper()
	if err := chromedp.Do(c.tab, chromedp.Evaluate[chromedp.Void](`console.log(`+jsQuote(browserConsoleFlush)+`)`)); err != nil {
		t.Errorf("flushing the browser console: %v", err)
	} else {
		select {
		case <-c.flushed:
		case <-c.tab.Done():
			t.Errorf("flushing the browser console: %v", c.tab.Err())
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
problems:
	for _, p := range c.problems {
		for _, e := range c.expected {
			if containsAll(p, e) {
				continue problems
			}
		}
		t.Errorf("browser console: %s", p)
	}
}

func containsAll(s string, substrs []string) bool {
	for _, sub := range substrs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}

// browserCSPWatch makes a CSP violation loud even where Chromium reports it only to
// the page: the listener is installed before any of the page's own scripts.
const browserCSPWatch = `document.addEventListener('securitypolicyviolation', (e) =>
	console.error('CSP violation: ' + e.violatedDirective + ' blocked ' + (e.blockedURI || 'inline code') +
		' at ' + e.sourceFile + ':' + e.lineNumber));`

// newBrowserTab starts a headless Chromium with a width × height viewport
// and returns the context of its tab and the tab's console record. The
// browser stops when the test ends.
func newBrowserTab(t *testing.T, width, height int, opts ...chromedp.EmulateViewportOption) (context.Context, *browserConsole) {
	t.Helper()
	execPath := findChromium(t)
	ctx, cancel := context.WithTimeout(context.Background(), browserTimeout)
	t.Cleanup(cancel)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(execPath),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("force-color-profile", "srgb"),
		chromedp.UserDataDir(filepath.Join(t.TempDir(), "chromium-profile")),
		chromedp.WindowSize(width, height),
	)
	t.Cleanup(cancelAlloc)
	tab, cancelTab := chromedp.NewContext(allocCtx)
	t.Cleanup(cancelTab)
	return tab, watchBrowserTab(t, tab, width, height, opts...)
}

// newIsolatedTab opens a tab in a new browser context of the browser that
// runs tab: it shares no cookies, storage or cache with it, as a second
// visitor on another computer would. tab must have run already.
func newIsolatedTab(t *testing.T, tab context.Context, width, height int) (context.Context, *browserConsole) {
	t.Helper()
	ctx, cancel := chromedp.NewContext(tab, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	return ctx, watchBrowserTab(t, ctx, width, height)
}

// watchBrowserTab starts recording the console of tab, makes CSP violations
// loud, and sets its viewport.
func watchBrowserTab(t *testing.T, tab context.Context, width, height int, opts ...chromedp.EmulateViewportOption) *browserConsole {
	t.Helper()
	console := &browserConsole{tab: tab, flushed: make(chan struct{}, 1)}
	messages := chromedp.Console(tab) // starts the browser and subscribes
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			console.add(m)
		}
	}()
	err := chromedp.Do(tab,
		chromedp.Func(func(ctx context.Context, tt *chromedp.Target) error {
			_, err := cdp.Call(ctx, tt, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: browserCSPWatch})
			return err
		}),
		chromedp.EmulateViewport(int64(width), int64(height), opts...),
	)
	if err != nil {
		t.Fatalf("starting Chromium: %v", err)
	}
	return console
}

// browserDropFiles drags files from outside the browser and drops them at
// (x, y), as a person dragging from a file manager would.
func browserDropFiles(x, y float64, files ...string) chromedp.Action[chromedp.Void] {
	data := &input.DragData{Items: []*input.DragDataItem{}, Files: files, DragOperationsMask: 1}
	return chromedp.Func(func(ctx context.Context, tt *chromedp.Target) error {
		for _, typ := range []input.DispatchDragEventType{input.DispatchDragEventTypeDragEnter, input.DispatchDragEventTypeDragOver, input.DispatchDragEventTypeDrop} {
			if _, err := cdp.Call(ctx, tt, input.DispatchDragEvent, input.DispatchDragEventParams{Type: typ, X: x, Y: y, Data: data}); err != nil {
				return fmt.Errorf("%s: %w", typ, err)
			}
		}
		return nil
	})
}

// browserDo runs browser actions and fails the test, naming the step, on error.
func browserDo(t *testing.T, ctx context.Context, step string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatalf("%s: %v", step, err)
	}
}

// browserEval evaluates a JavaScript expression in the page and decodes its value.
func browserEval[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("evaluating %s: %v", expr, err)
	}
	return v
}

// browserWait waits until a JavaScript expression is true in the page, and on
// timeout fails with what describe (another expression) says about the page.
func browserWait(t *testing.T, ctx context.Context, what, expr, describe string) {
	t.Helper()
	_, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](expr,
		chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(20*time.Second)))
	if err != nil {
		state := "(page state unknown)"
		if describe != "" {
			if s, derr := chromedp.Run(ctx, chromedp.Evaluate[string](describe)); derr == nil {
				state = s
			}
		}
		t.Fatalf("waiting for %s: %v; page: %s", what, err, state)
	}
}

// landscape is a test picture: a sky gradient, a sun and two mountain
// ridges, in a landscapePalette picked by n. It looks like something a person would
// keep, which makes the screenshots worth looking at.
type landscapePalette struct{ skyTop, skyBottom, sun, far, near color.RGBA }

var landscapePalettes = []landscapePalette{
	{landscapeRGB(0x1e3a8a), landscapeRGB(0xf59e0b), landscapeRGB(0xfff1c1), landscapeRGB(0x7c2d12), landscapeRGB(0x3b0d0c)},
	{landscapeRGB(0x0f766e), landscapeRGB(0xa7f3d0), landscapeRGB(0xffffff), landscapeRGB(0x115e59), landscapeRGB(0x042f2e)},
	{landscapeRGB(0x581c87), landscapeRGB(0xf472b6), landscapeRGB(0xffe4e6), landscapeRGB(0x6b21a8), landscapeRGB(0x2e1065)},
	{landscapeRGB(0x0c4a6e), landscapeRGB(0x7dd3fc), landscapeRGB(0xfefce8), landscapeRGB(0x1e40af), landscapeRGB(0x172554)},
	{landscapeRGB(0x7c2d12), landscapeRGB(0xfdba74), landscapeRGB(0xfff7ed), landscapeRGB(0x9a3412), landscapeRGB(0x431407)},
	{landscapeRGB(0x134e4a), landscapeRGB(0xfde68a), landscapeRGB(0xfffbeb), landscapeRGB(0x3f6212), landscapeRGB(0x1a2e05)},
	{landscapeRGB(0x1e1b4b), landscapeRGB(0x818cf8), landscapeRGB(0xe0e7ff), landscapeRGB(0x312e81), landscapeRGB(0x0b0a2a)},
	{landscapeRGB(0x831843), landscapeRGB(0xfcd34d), landscapeRGB(0xfff7d6), landscapeRGB(0x9d174d), landscapeRGB(0x3f0a1f)},
	{landscapeRGB(0x164e63), landscapeRGB(0xf0abfc), landscapeRGB(0xfdf4ff), landscapeRGB(0x155e75), landscapeRGB(0x083344)},
	{landscapeRGB(0x365314), landscapeRGB(0xd9f99d), landscapeRGB(0xfefce8), landscapeRGB(0x3f6212), landscapeRGB(0x1a2e05)},
	{landscapeRGB(0x450a0a), landscapeRGB(0xf87171), landscapeRGB(0xfee2e2), landscapeRGB(0x7f1d1d), landscapeRGB(0x1c0606)},
	{landscapeRGB(0x0f172a), landscapeRGB(0x38bdf8), landscapeRGB(0xf0f9ff), landscapeRGB(0x1e293b), landscapeRGB(0x020617)},
}

func landscapeRGB(v uint32) color.RGBA {
	return color.RGBA{uint8(v >> 16), uint8(v >> 8), uint8(v), 0xff}
}

func landscape(w, h, n int) *image.RGBA {
	p := landscapePalettes[n%len(landscapePalettes)]
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	sunX, sunY, sunR := float64(w)*(0.25+0.5*float64(n%5)/4), float64(h)*0.42, float64(h)*0.11
	phase := float64(n) * 1.7
	for y := 0; y < h; y++ {
		fy := float64(y) / float64(h)
		sky := landscapeMix(p.skyTop, p.skyBottom, fy/0.75)
		for x := 0; x < w; x++ {
			fx := float64(x) / float64(w)
			c := sky
			d := math.Hypot(float64(x)-sunX, float64(y)-sunY)
			if d < sunR {
				c = p.sun
			} else if glow := 1 - (d-sunR)/(sunR*2.5); glow > 0 {
				c = landscapeMix(c, p.sun, glow*glow*0.5)
			}
			far := 0.58 + 0.07*math.Sin(fx*7+phase) + 0.04*math.Sin(fx*17+phase*2)
			near := 0.74 + 0.06*math.Sin(fx*4.5+phase*3) + 0.025*math.Sin(fx*23+phase)
			if fy > near {
				c = p.near
			} else if fy > far {
				c = landscapeMix(p.far, p.near, (fy-far)/(near-far+0.001)*0.6)
			}
			img.SetRGBA(x, y, c)
		}
	}
	return img
}

func landscapeMix(a, b color.RGBA, t float64) color.RGBA {
	t = math.Max(0, math.Min(1, t))
	m := func(x, y uint8) uint8 { return uint8(float64(x)*(1-t) + float64(y)*t + 0.5) }
	return color.RGBA{m(a.R, b.R), m(a.G, b.G), m(a.B, b.B), 0xff}
}

// writeLandscape writes a w × h landscape PNG named name into dir.
func writeLandscape(t *testing.T, dir, name string, w, h, n int) string {
	t.Helper()
	path := filepath.Join(dir, name)
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := png.Encode(f, landscape(w, h, n)); err != nil {
		f.Close()
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// jsQuote quotes s as a JavaScript string literal.
func jsQuote(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`, "\n", `\n`).Replace(s) + "'"
}

// The accounts the browser tests use.
const (
	browserAdmin         = "admin"
	browserAdminPassword = "correct horse battery staple"
)

// browserAPIImage is the part of the image document the browser tests check.
type browserAPIImage struct {
	ID         string   `json:"id"`
	Title      string   `json:"title"`
	Tags       []string `json:"tags"`
	Owner      string   `json:"owner"`
	Visibility string   `json:"visibility"`
}

// browserAPI calls the API as a script would (no Origin header): signed in
// through its cookie jar, with a bearer token, or anonymously.
type browserAPI struct {
	m      *Main
	client *http.Client
	bearer string
}

func browserAnonymous(m *Main) *browserAPI {
	return &browserAPI{m: m, client: &http.Client{}}
}

func browserBearer(m *Main, token string) *browserAPI {
	return &browserAPI{m: m, client: &http.Client{}, bearer: token}
}

// browserAPISignIn signs in through POST /api/session and returns a client
// that carries the session cookie.
func browserAPISignIn(t *testing.T, m *Main, username, password string) *browserAPI {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	api := &browserAPI{m: m, client: &http.Client{Jar: jar}}
	if status := api.signIn(t, username, password); status != http.StatusOK {
		t.Fatalf("POST /api/session as %s = %d, want 200", username, status)
	}
	return api
}

// signIn tries a sign-in and returns the status.
func (api *browserAPI) signIn(t *testing.T, username, password string) int {
	t.Helper()
	var me struct{}
	return api.json(t, http.MethodPost, "/api/session", map[string]string{"username": username, "password": password}, &me)
}

// browserAPICreateAdmin makes the first account, the admin, anonymously
// through the API, as on a fresh install.
func browserAPICreateAdmin(t *testing.T, m *Main) {
	t.Helper()
	var u struct {
		Role string `json:"role"`
	}
	body := map[string]string{"username": browserAdmin, "password": browserAdminPassword}
	if status := browserAnonymous(m).json(t, http.MethodPost, "/api/users", body, &u); status != http.StatusCreated || u.Role != "admin" {
		t.Fatalf("POST /api/users on a fresh install = %d, role %q; want 201, admin", status, u.Role)
	}
}

// me returns who the API says the client is, and the status.
func (api *browserAPI) me(t *testing.T) (string, int) {
	t.Helper()
	var u struct {
		Username string `json:"username"`
	}
	status := api.json(t, http.MethodGet, "/api/me", nil, &u)
	return u.Username, status
}

func (api *browserAPI) get(t *testing.T, id string) (browserAPIImage, int) {
	t.Helper()
	var doc browserAPIImage
	status := api.json(t, http.MethodGet, "/api/images/"+id, nil, &doc)
	return doc, status
}

func (api *browserAPI) list(t *testing.T) []browserAPIImage {
	t.Helper()
	var page struct {
		Images []browserAPIImage `json:"images"`
	}
	if status := api.json(t, http.MethodGet, "/api/images?limit=200", nil, &page); status != http.StatusOK {
		t.Fatalf("GET /api/images = %d, want 200", status)
	}
	return page.Images
}

// upload uploads a generated landscape as name with that visibility and
// returns its id.
func (api *browserAPI) upload(t *testing.T, name string, n int, visibility string) string {
	t.Helper()
	return api.uploadFields(t, name, n, map[string]string{"visibility": visibility}).ID
}

// uploadFields uploads a generated landscape as name with the form fields
// given and returns the stored document.
func (api *browserAPI) uploadFields(t *testing.T, name string, n int, fields map[string]string) browserAPIImage {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, v := range fields {
		mw.WriteField(k, v)
	}
	fw, err := mw.CreateFormFile("file", name)
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(writeLandscape(t, t.TempDir(), "upload.png", 320, 240, n))
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(data)
	mw.Close()
	var res struct {
		Images []browserAPIImage `json:"images"`
	}
	status := api.do(t, http.MethodPost, "/api/images", &body, mw.FormDataContentType(), &res)
	if status != http.StatusCreated || len(res.Images) != 1 {
		t.Fatalf("POST /api/images = %d with %d images, want 201 with 1", status, len(res.Images))
	}
	return res.Images[0]
}

// json sends body (when not nil) as JSON and decodes a successful JSON
// answer into v. It returns the status.
func (api *browserAPI) json(t *testing.T, method, path string, body, v any) int {
	t.Helper()
	if body == nil {
		return api.do(t, method, path, nil, "", v)
	}
	data, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	return api.do(t, method, path, bytes.NewReader(data), "application/json", v)
}

// do sends a request and decodes a successful JSON answer into v. It
// returns the status.
func (api *browserAPI) do(t *testing.T, method, path string, body io.Reader, contentType string, v any) int {
	t.Helper()
	url := api.m.URL() + path
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if api.bearer != "" {
		req.Header.Set("Authorization", "Bearer "+api.bearer)
	}
	res, err := api.client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("%s %s: reading the answer: %v", method, url, err)
	}
	if res.StatusCode < 300 && res.StatusCode != http.StatusNoContent && v != nil {
		if err := json.Unmarshal(data, v); err != nil {
			t.Fatalf("%s %s: decoding %q: %v", method, url, data, err)
		}
	}
	return res.StatusCode
}

// browserSignIn signs in through the sign-in view and waits until the
// header shows the account. The page first loads signed out, and the
// browser logs the 401 of its GET /api/me: console accepts that.
func browserSignIn(t *testing.T, ctx context.Context, console *browserConsole, m *Main, username, password string) {
	t.Helper()
	console.expectStatus(http.StatusUnauthorized, "/api/me")
	browserDo(t, ctx, "opening the sign-in view",
		chromedp.Navigate(m.URL()+"/#/signin"),
		chromedp.WaitVisible(chromedp.CSS(`#signin-form`)),
	)
	browserFillSignIn(t, ctx, username, password)
	browserWait(t, ctx, "the signed-in header",
		`location.hash === '#/' && document.querySelector('[data-testid=account-name]')?.textContent === `+jsQuote(username),
		`location.hash + ' ' + document.querySelector('main').innerText`)
}

// browserFillSignIn fills in and sends the sign-in form on screen.
func browserFillSignIn(t *testing.T, ctx context.Context, username, password string) {
	t.Helper()
	browserDo(t, ctx, "signing in as "+username,
		chromedp.SendKeys(chromedp.CSS(`#signin-username`), username),
		chromedp.SendKeys(chromedp.CSS(`#signin-password`), password),
		chromedp.Click(chromedp.CSS(`#signin-submit`), chromedp.NodeVisible),
	)
}

// browserStartSignedIn makes the admin through the API on the fresh server,
// signs in as the admin through the UI, and returns an API client signed
// in as the admin too.
func browserStartSignedIn(t *testing.T, ctx context.Context, console *browserConsole, m *Main) *browserAPI {
	t.Helper()
	browserAPICreateAdmin(t, m)
	browserSignIn(t, ctx, console, m, browserAdmin, browserAdminPassword)
	return browserAPISignIn(t, m, browserAdmin, browserAdminPassword)
}

// browserOpenMenu opens the account menu and follows its item id.
func browserOpenMenu(t *testing.T, ctx context.Context, id string) {
	t.Helper()
	browserDo(t, ctx, "choosing "+id+" in the account menu",
		chromedp.Click(chromedp.CSS(`#account-button`), chromedp.NodeVisible),
		chromedp.WaitVisible(chromedp.CSS(`#account-menu`)),
		chromedp.Click(chromedp.CSS(`#`+id), chromedp.NodeVisible),
	)
}

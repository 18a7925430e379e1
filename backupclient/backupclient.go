// Package backupclient downloads a backup archive from a running imagerepo
// server (GET /api/backup, an admin's API token) into a file, with a
// progress line, for `imagerepo backup`. It uses only net/http and the rest
// of the standard library; the archive's format belongs to the store,
// which writes and restores it.
//
// The file is written under a temporary name beside it, fsynced and renamed
// into place only when the whole archive arrived, so FILE is either a
// complete archive or untouched.
//
// # Caveats
//
// The download is not resumed: a broken connection means starting over.
// "Whole" here means the tar stream ended with its manifest; the sizes and
// hashes the manifest lists are checked by restore.
package backupclient

import (
	"archive/tar"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// manifestName is the last entry of a complete archive.
const manifestName = "manifest.json"

// Options is what Download is told.
type Options struct {
	Server     string // base URL, e.g. http://localhost:8080
	Token      string // an admin's API token
	File       string // where the archive goes
	Progress   io.Writer
	Terminal   bool // Progress is a terminal: redraw one line
	HTTPClient *http.Client
}

// Download fetches the archive into opts.File and returns its size.
func Download(ctx context.Context, opts Options) (int64, error) {
	client := opts.HTTPClient
	if client == nil {
		client = &http.Client{}
	}
	if opts.Progress == nil {
		opts.Progress = io.Discard
	}
	base := strings.TrimRight(opts.Server, "/")
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/api/backup", nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+opts.Token)
	resp, err := client.Do(req)
	if err != nil {
		return 0, fmt.Errorf("cannot reach the server at %s: %w", base, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, refusal(resp)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/x-tar" {
		return 0, fmt.Errorf("%s answered with %q, not a backup archive: is it an imagerepo server?", base, ct)
	}

	dir := filepath.Dir(opts.File)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(opts.File)+".tmp-*")
	if err != nil {
		return 0, err
	}
	defer func() {
		if tmp != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	p := newProgress(opts.Progress, opts.Terminal, resp.ContentLength)
	// The stream is read through a tar reader as it is written, so that
	// an archive cut short (the server cuts the connection when it fails
	// midway) is told apart from a whole one.
	body := io.TeeReader(resp.Body, io.MultiWriter(tmp, p))
	last, err := lastEntry(body)
	p.finish()
	if ctx.Err() != nil {
		return 0, ctx.Err()
	}
	if err != nil {
		return 0, fmt.Errorf("the backup failed after %s: %w", formatBytes(p.n), err)
	}
	if last != manifestName {
		return 0, fmt.Errorf("the archive ended without its manifest after %s: the server failed during the backup (see its log)", formatBytes(p.n))
	}
	if err := tmp.Sync(); err != nil {
		return 0, err
	}
	if err := tmp.Close(); err != nil {
		return 0, err
	}
	if err := os.Rename(tmp.Name(), opts.File); err != nil {
		return 0, err
	}
	tmp = nil
	if d, err := os.Open(dir); err == nil {
		d.Sync() // the rename's durability; not possible everywhere (Windows)
		d.Close()
	}
	return p.n, nil
}

// lastEntry reads a tar stream to its end and returns the name of its last
// entry. Anything after the tar's end marker is read too, so the whole
// body is written.
func lastEntry(r io.Reader) (string, error) {
	tr := tar.NewReader(r)
	last := ""
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		} else if err != nil {
			return "", err
		}
		last = hdr.Name
		if _, err := io.Copy(io.Discard, tr); err != nil {
			return "", err
		}
	}
	if _, err := io.Copy(io.Discard, r); err != nil {
		return "", err
	}
	return last, nil
}

// refusal turns an answer other than 200 into an error a person can act on.
func refusal(resp *http.Response) error {
	var body struct {
		Error struct{ Code, Message string } `json:"error"`
	}
	json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&body)
	switch resp.StatusCode {
	case http.StatusUnauthorized:
		return errors.New("the token was refused (401): check --token or IMAGEREPO_TOKEN")
	case http.StatusForbidden:
		return errors.New("the token is not an admin's (403): only an admin may take a backup")
	case http.StatusNotFound:
		return errors.New("the server has no backup route (404): is it an older imagerepo?")
	}
	if resp.StatusCode >= 500 {
		return fmt.Errorf("the server could not take the backup (%d): see its log, and run imagerepo verify on its data dir", resp.StatusCode)
	}
	if body.Error.Message != "" {
		return fmt.Errorf("the server refused the backup: %s (%d)", body.Error.Message, resp.StatusCode)
	}
	return fmt.Errorf("the server refused the backup (%d)", resp.StatusCode)
}

// How often the progress shows: a terminal line is redrawn often; plain
// lines (a log, a pipe) come every few seconds.
const (
	redrawEvery = 200 * time.Millisecond
	plainEvery  = 5 * time.Second
)

// progress counts the bytes written through it and shows them with the
// rate, and against the total when the server said it: a bar redrawn on a
// terminal, plain lines otherwise.
type progress struct {
	w        io.Writer
	terminal bool
	total    int64 // -1 when unknown
	begun    time.Time
	last     time.Time
	n        int64
}

func newProgress(w io.Writer, terminal bool, total int64) *progress {
	now := time.Now()
	return &progress{w: w, terminal: terminal, total: total, begun: now, last: now}
}

func (p *progress) Write(b []byte) (int, error) {
	p.n += int64(len(b))
	every := plainEvery
	if p.terminal {
		every = redrawEvery
	}
	if now := time.Now(); now.Sub(p.last) >= every {
		p.last = now
		p.show()
	}
	return len(b), nil
}

// show writes e.g. "[######..........] 12.3 MB of 40.0 MB  4.5 MB/s  6s left".
func (p *progress) show() {
	elapsed := time.Since(p.begun)
	rate := float64(p.n) / max(elapsed.Seconds(), 0.001)
	var b strings.Builder
	b.WriteString("backup: ")
	if p.total > 0 {
		if p.terminal {
			const width = 24
			n := min(int(float64(p.n)/float64(p.total)*width), width)
			b.WriteString("[" + strings.Repeat("#", n) + strings.Repeat(".", width-n) + "] ")
		}
		fmt.Fprintf(&b, "%s of %s", formatBytes(p.n), formatBytes(p.total))
	} else {
		b.WriteString(formatBytes(p.n))
	}
	fmt.Fprintf(&b, "  %s/s", formatBytes(int64(rate)))
	if left := p.total - p.n; p.total > 0 && left > 0 && rate > 0 {
		fmt.Fprintf(&b, "  %s left", time.Duration(float64(left)/rate*float64(time.Second)).Round(time.Second))
	} else {
		fmt.Fprintf(&b, "  %s", elapsed.Round(time.Second))
	}
	if p.terminal {
		fmt.Fprintf(p.w, "\r%s\x1b[K", b.String())
	} else {
		fmt.Fprintln(p.w, b.String())
	}
}

// finish shows the final count and ends the line.
func (p *progress) finish() {
	p.show()
	if p.terminal {
		fmt.Fprintln(p.w)
	}
}

// formatBytes writes a size in megabytes (decimal, as file managers do),
// or in bytes below one.
func formatBytes(n int64) string {
	if n < 1e6 {
		return fmt.Sprintf("%d bytes", n)
	}
	return fmt.Sprintf("%.1f MB", float64(n)/1e6)
}

package api

import (
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"os"
	"strings"

	"github.com/labstack/echo/v4"

	"imagerepo/gallery"
)

// handleFile sends an image's original bytes. The document is read first
// (through the cache) and no store transaction is open while bytes travel;
// http.ServeContent answers Range and If-None-Match from the ETag.
func (s *Server) handleFile(c echo.Context) error {
	img, err := s.findShared(c) // read only
	if err != nil {
		return err
	}
	return s.serveOriginal(c, img, "no-cache")
}

// serveOriginal sends img's stored bytes to a viewer who may see its
// location, and a copy without location metadata to anyone else, with an
// ETag of its own. That copy is the one stored beside the original at
// upload (gallery.ThumbNoLocation); an image stored before those were made
// has it made in a temporary file per request (the stored original stays
// untouched). The file goes out with sendfile (see jsonErrors.ReadFrom).
func (s *Server) serveOriginal(c echo.Context, img *gallery.Image, cacheControl string) error {
	ctx := c.Request().Context()
	sha, etag, strip := img.SHA256, `"`+img.SHA256+`"`, false
	if gallery.CanSeeLocation(viewer(c), img) {
		// The bytes may hold where the photo was taken: no shared cache
		// may keep them for others.
		cacheControl = privateCache(cacheControl)
	} else {
		etag = `"` + img.SHA256 + `-noloc"`
		if v := img.Thumb(gallery.ThumbNoLocation); v != nil {
			sha = v.SHA256
		} else {
			strip = true
		}
	}
	blob, err := s.images.OpenBlob(ctx, sha)
	if err != nil {
		return err
	}
	defer blob.Close()
	s.extendDeadlines(c, 0, s.cfg.TransferTimeout)

	var body io.ReadSeeker = blob
	if strip {
		body = nil // not modified: the copy is not made
		if !notModified(c.Request(), etag) {
			f, err := s.stripped(blob)
			if err != nil {
				return err
			}
			defer func() {
				f.Close()
				os.Remove(f.Name())
			}()
			body = f
		}
	}

	h := c.Response().Header()
	h.Set("Content-Type", img.ContentType)
	h.Set("ETag", etag)
	h.Set("Cache-Control", cacheControl)
	h["Content-Security-Policy"] = hdrSandbox
	disposition := "inline"
	if c.QueryParam("download") != "" {
		disposition = "attachment"
	}
	h.Set("Content-Disposition", contentDisposition(disposition, img.Filename))
	if body == nil {
		return c.NoContent(http.StatusNotModified)
	}
	http.ServeContent(&jsonErrors{ResponseWriter: c.Response()}, c.Request(), "", img.CreatedAt, body)
	return nil
}

// privateCache turns a Cache-Control value into one that only the
// viewer's own cache may act on.
func privateCache(cc string) string {
	if rest, ok := strings.CutPrefix(cc, "public, "); ok {
		return "private, " + rest
	}
	if strings.HasPrefix(cc, "private") {
		return cc
	}
	return "private, " + cc
}

// stripped copies r without location metadata into a temporary file,
// rewound for reading. The caller closes and removes it.
func (s *Server) stripped(r io.ReadSeeker) (*os.File, error) {
	f, err := os.CreateTemp(s.cfg.UploadDir, "noloc-*")
	if err != nil {
		return nil, err
	}
	err = s.decoder.StripLocation(r, f)
	if err == nil {
		_, err = f.Seek(0, io.SeekStart)
	}
	if err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, err
	}
	return f, nil
}

// notModified reports whether r's If-None-Match names etag (or is "*"), so
// that the copy behind etag need not be made.
func notModified(r *http.Request, etag string) bool {
	inm := r.Header.Get("If-None-Match")
	if inm == "" || r.Method != http.MethodGet && r.Method != http.MethodHead {
		return false
	}
	for _, t := range strings.Split(inm, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == "*" || t == etag {
			return true
		}
	}
	return false
}

// jsonErrors turns the plain-text errors of http.ServeContent (a Range
// that cannot be satisfied, a failed read) into the JSON error shape, with
// the status ServeContent chose.
type jsonErrors struct {
	http.ResponseWriter
	failed bool
}

func (w *jsonErrors) WriteHeader(status int) {
	if status < 400 {
		w.ResponseWriter.WriteHeader(status)
		return
	}
	w.failed = true
	code, msg := gallery.EINTERNAL, "could not read the image file"
	switch status {
	case http.StatusRequestedRangeNotSatisfiable:
		code, msg = gallery.EINVALID, "the requested range is not satisfiable"
	case http.StatusPreconditionFailed:
		code, msg = gallery.ECONFLICT, "the image does not meet the request's If-Match or If-Unmodified-Since"
	}
	h := w.Header()
	h.Del("Content-Length")
	h.Set("Content-Type", "application/json")
	w.ResponseWriter.WriteHeader(status)
	_ = json.NewEncoder(w.ResponseWriter).Encode(errorBody{Error: errorDetail{Code: code, Message: msg}})
}

func (w *jsonErrors) Write(b []byte) (int, error) {
	if w.failed {
		return len(b), nil // ServeContent's plain-text message is replaced above
	}
	return w.ResponseWriter.Write(b)
}

// contentDisposition builds an RFC 6266 header: an ASCII fallback name and
// the exact name in RFC 5987 encoding.
func contentDisposition(kind, filename string) string {
	ascii := strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e || r == '"' || r == '\\' || r == '%' || r == ';' {
			return '_'
		}
		return r
	}, filename)
	if v := mime.FormatMediaType(kind, map[string]string{"filename": filename}); v != "" && ascii == filename {
		return v
	}
	return fmt.Sprintf(`%s; filename="%s"; filename*=UTF-8''%s`, kind, ascii, rfc5987(filename))
}

func rfc5987(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if 'a' <= ch && ch <= 'z' || 'A' <= ch && ch <= 'Z' || '0' <= ch && ch <= '9' || strings.IndexByte("!#$&+-.^_`|~", ch) >= 0 {
			b.WriteByte(ch)
		} else {
			fmt.Fprintf(&b, "%%%02X", ch)
		}
	}
	return b.String()
}

// humanBytes writes a byte count the way people read it (50 MiB).
func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	v := float64(n) / float64(div)
	if v == float64(int64(v)) {
		return fmt.Sprintf("%d %ciB", int64(v), "KMGTPE"[exp])
	}
	return fmt.Sprintf("%.1f %ciB", v, "KMGTPE"[exp])
}

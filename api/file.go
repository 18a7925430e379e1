package api

import (
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"imagerepo/gallery"
)

// handleFile sends an image's original bytes. The document is read first
// (through the cache) and no store transaction is open while bytes travel;
// http.ServeContent answers Range and If-None-Match from the ETag.
func (s *Server) handleFile(c echo.Context) error {
	img, err := s.findImage(c)
	if err != nil {
		return err
	}
	blob, err := s.images.OpenBlob(c.Request().Context(), img.SHA256)
	if err != nil {
		return err
	}
	defer blob.Close()
	s.extendDeadlines(c, 0, s.cfg.TransferTimeout)

	h := c.Response().Header()
	h.Set("Content-Type", img.ContentType)
	h.Set("ETag", `"`+img.SHA256+`"`)
	h.Set("Cache-Control", "no-cache")
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	disposition := "inline"
	if c.QueryParam("download") != "" {
		disposition = "attachment"
	}
	h.Set("Content-Disposition", contentDisposition(disposition, img.Filename))
	http.ServeContent(&jsonErrors{ResponseWriter: c.Response()}, c.Request(), "", img.CreatedAt, blob)
	return nil
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
	if status == http.StatusRequestedRangeNotSatisfiable {
		code, msg = gallery.EINVALID, "the requested range is not satisfiable"
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

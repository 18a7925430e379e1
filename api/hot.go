package api

import (
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"imagerepo/gallery"
)

// ThumbCache keeps hot thumbnails in memory by sha256, within a byte
// budget; cache.Blobs fills it. The bytes behind a sha never change, so it
// is never invalidated: who may see a thumbnail is decided per request,
// before the cache is asked.
type ThumbCache interface {
	Get(sha string) ([]byte, bool)
	Fits(n int64) bool // whether bytes of that size would be kept
	Add(sha string, b []byte)
}

// Header values shared by every response that sets them: net/http only
// reads them, so one slice each serves all requests without allocating.
var (
	hdrJSON     = []string{echo.MIMEApplicationJSON}
	hdrHit      = []string{"hit"}
	hdrMiss     = []string{"miss"}
	hdrBytes    = []string{"bytes"}
	hdrSandbox  = []string{"default-src 'none'; sandbox"}
	hdrNosniff  = []string{"nosniff"}
	hdrSameOrig = []string{"same-origin"}
	hdrDeny     = []string{"DENY"}
)

// encodePublic is the document as anyone who may see it is shown it:
// without its location. It is the same bytes c.JSON would send.
func encodePublic(img *gallery.Image) ([]byte, error) {
	b, err := json.Marshal(render(img, nil))
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// findShared is findImage for routes that only read the document (the
// file and thumbnail routes): through the hot-id cache's encoded look-up
// where there is one, which hands out the cached document without a copy.
func (s *Server) findShared(c echo.Context) (*gallery.Image, error) {
	ef, ok := s.images.(gallery.EncodedFinder)
	if !ok {
		return s.findImage(c)
	}
	enc, err := s.findEncoded(c, ef)
	if err != nil {
		return nil, err
	}
	return enc.Image, nil
}

// findEncoded is findImage through the encoded look-up: X-Cache says
// whether the cache served it, and an image the viewer may not see is 404.
func (s *Server) findEncoded(c echo.Context, ef gallery.EncodedFinder) (*gallery.Encoded, error) {
	enc, err := ef.FindImageEncoded(c.Request().Context(), c.Param("id"), encodePublic)
	if err == nil && !gallery.CanSee(viewer(c), enc.Image) {
		enc, err = nil, errImageNotFound()
	}
	setXCache(c, err == nil && enc.Hit)
	return enc, err
}

// getEncoded serves GET /api/images/{id} from the encoding the hot-id cache
// keeps beside the document: on a hit nothing is encoded. The owner and
// admins of an image with a location are shown it, encoded per request.
func (s *Server) getEncoded(c echo.Context, ef gallery.EncodedFinder) error {
	enc, err := s.findEncoded(c, ef)
	if err != nil {
		return err
	}
	body := enc.Body
	if enc.Image.Location != nil && gallery.CanSeeLocation(viewer(c), enc.Image) {
		b, err := json.Marshal(render(enc.Image.Clone(), viewer(c))) // the cache's own: not to be changed
		if err != nil {
			return err
		}
		body = append(b, '\n')
	}
	c.Response().Header()["Content-Type"] = hdrJSON
	return writeBody(c, body)
}

// writeBody sends 200 with body and its Content-Length (Echo's c.Blob sends
// none, so a body past the first write buffer would go chunked); a HEAD
// request gets the headers alone. net/http writes a body past its buffer
// in two parts, which leave as two packets (it sets TCP_NODELAY) and wake
// the client twice; the connection is corked meanwhile so that headers and
// body leave together, as nginx does with tcp_nopush (20% more thumbnails a
// second here).
func writeBody(c echo.Context, body []byte) error {
	w := c.Response()
	w.Header()["Content-Length"] = []string{strconv.Itoa(len(body))}
	w.WriteHeader(http.StatusOK)
	if c.Request().Method == http.MethodHead {
		return nil
	}
	if len(body) <= corkAbove {
		_, err := w.Write(body)
		return err
	}
	conn, _ := c.Request().Context().Value(connKey{}).(net.Conn)
	if conn == nil {
		_, err := w.Write(body)
		return err
	}
	setCork(conn, true)
	_, err := w.Write(body)
	_ = http.NewResponseController(w).Flush() // the body's tail may wait in net/http's buffer
	setCork(conn, false)
	return err
}

// corkAbove is the body size past which net/http writes a response in two
// parts, its buffer (headers and the body's start) and the rest.
const corkAbove = 2 << 10

// connKey holds the request's connection in its context.
type connKey struct{}

// cachedThumb returns the thumbnail's bytes from the hot-thumbnail cache,
// reading them into it on a miss; ok is false when there is no cache or the
// thumbnail is too large for it.
func (s *Server) cachedThumb(c echo.Context, th *gallery.Thumb) (b []byte, ok bool, err error) {
	if s.thumbs == nil || !s.thumbs.Fits(th.Bytes) {
		return nil, false, nil
	}
	if b, ok := s.thumbs.Get(th.SHA256); ok {
		return b, true, nil
	}
	blob, err := s.images.OpenBlob(c.Request().Context(), th.SHA256)
	if err != nil {
		return nil, false, err
	}
	defer blob.Close()
	b = make([]byte, th.Bytes)
	if _, err := io.ReadFull(blob, b); err != nil {
		return nil, false, err
	}
	s.thumbs.Add(th.SHA256, b)
	return b, true, nil
}

// conditional reports whether r asks for part of a body or makes it depend
// on a validator: such requests go through http.ServeContent.
func conditional(r *http.Request) bool {
	h := r.Header
	return len(h["Range"]) > 0 || len(h["If-None-Match"]) > 0 || len(h["If-Modified-Since"]) > 0 ||
		len(h["If-Match"]) > 0 || len(h["If-Unmodified-Since"]) > 0 || len(h["If-Range"]) > 0
}

// serveMemory sends b, the bytes behind the headers the caller set (type,
// ETag, caching), as http.ServeContent would: Range, If-None-Match and the
// rest through it, a plain GET or HEAD written directly.
func serveMemory(c echo.Context, img *gallery.Image, b []byte) error {
	r := c.Request()
	if conditional(r) {
		http.ServeContent(&jsonErrors{ResponseWriter: c.Response()}, r, "", img.CreatedAt, bytes.NewReader(b))
		return nil
	}
	h := c.Response().Header()
	if !img.CreatedAt.IsZero() {
		h["Last-Modified"] = []string{img.CreatedAt.UTC().Format(http.TimeFormat)}
	}
	h["Accept-Ranges"] = hdrBytes
	return writeBody(c, b)
}

// ReadFrom hands the copy of http.ServeContent to the connection's own
// ReadFrom, past Echo's Response (which has none), so that a file goes out
// with sendfile. Echo's status and size bookkeeping is kept.
func (w *jsonErrors) ReadFrom(r io.Reader) (int64, error) {
	if w.failed {
		return io.Copy(io.Discard, r)
	}
	if resp, ok := w.ResponseWriter.(*echo.Response); ok {
		if rf, ok := resp.Writer.(io.ReaderFrom); ok {
			if !resp.Committed {
				resp.WriteHeader(http.StatusOK)
			}
			n, err := rf.ReadFrom(r)
			resp.Size += n
			return n, err
		}
	}
	return io.Copy(writerOnly{w.ResponseWriter}, r)
}

// writerOnly hides every method but Write, so that io.Copy does not come
// back to ReadFrom.
type writerOnly struct{ io.Writer }

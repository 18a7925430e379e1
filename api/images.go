package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"imagerepo/gallery"
)

// imageJSON is an image document as the API shows it.
type imageJSON struct {
	*gallery.Image
	URLs      imageURLs `json:"urls"`
	Duplicate bool      `json:"duplicate,omitempty"`
	// SimilarTo lists, in an upload's response, the owner's other images
	// that this new one looks like.
	SimilarTo []string `json:"similar_to,omitempty"`
}

type imageURLs struct {
	File       string `json:"file"`
	ThumbSmall string `json:"thumb_small"`
	ThumbLarge string `json:"thumb_large"`
}

// render shows img to viewer: without its location unless viewer may see
// it (gallery.CanSeeLocation).
func render(img *gallery.Image, viewer *gallery.User) imageJSON {
	base := "/api/images/" + url.PathEscape(img.ID)
	if img.Tags == nil {
		img.Tags = []string{}
	}
	if img.Location != nil && !gallery.CanSeeLocation(viewer, img) {
		cp := *img
		cp.Location = nil
		img = &cp
	}
	return imageJSON{Image: img, URLs: imageURLs{
		File:       base + "/file",
		ThumbSmall: base + "/thumb/" + gallery.ThumbSmall,
		ThumbLarge: base + "/thumb/" + gallery.ThumbLarge,
	}}
}

func renderAll(imgs []*gallery.Image, viewer *gallery.User) []imageJSON {
	out := make([]imageJSON, len(imgs))
	for i, img := range imgs {
		out[i] = render(img, viewer)
	}
	return out
}

type listResponse struct {
	Images []imageJSON `json:"images"`
	Next   string      `json:"next"`
}

func (s *Server) handleListImages(c echo.Context) error {
	v := viewer(c)
	f, q, err := listQuery(c.QueryParams(), v)
	if err != nil {
		return err
	}
	if q != nil {
		return s.searchImages(c, q)
	}
	imgs, next, err := s.images.FindImages(c.Request().Context(), f)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, listResponse{Images: renderAll(imgs, v), Next: next})
}

// listQuery reads the query parameters of GET /api/images as seen by v:
// the filter of a listing, or, when they ask the search index (q or a
// search filter), the search query instead. The cursor is checked where it
// is read (the store or the index).
func listQuery(params url.Values, v *gallery.User) (gallery.ImageFilter, *gallery.SearchQuery, error) {
	f := gallery.ImageFilter{
		Tag:    strings.TrimSpace(params.Get("tag")),
		SHA256: strings.ToLower(strings.TrimSpace(params.Get("sha256"))),
		Cursor: params.Get("cursor"),
		Viewer: v,
	}
	limit, err := pageLimit(params.Get("limit"))
	if err != nil {
		return f, nil, err
	}
	f.Limit = limit
	if owner := strings.ToLower(strings.TrimSpace(params.Get("owner"))); owner != "" {
		f.Owner = &owner
	}
	if f.SHA256 != "" {
		// "Do I have these bytes already?" is asked of one's own images.
		if v == nil {
			return f, nil, gallery.Errorf(gallery.EUNAUTHORIZED, "sign in to look up images by sha256")
		}
		f.Owner = &v.Username
	}
	if params.Has("q") || params.Get("type") != "" || params.Get("from") != "" || params.Get("to") != "" ||
		params.Get("camera") != "" || params.Get("taken_from") != "" || params.Get("taken_to") != "" {
		q, err := searchQuery(params, f)
		return f, q, err
	}
	return f, nil, nil
}

func pageLimit(v string) (int, error) {
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > gallery.MaxPageLimit {
		return 0, gallery.Errorf(gallery.EINVALID, "limit must be a whole number from 1 to %d", gallery.MaxPageLimit)
	}
	return n, nil
}

// findImage looks the id up through the hot-id cache, says in X-Cache
// whether the cache served it, and decides, on a hit as on a miss, whether
// the viewer may see it: an image they may not see is 404, as if absent.
func (s *Server) findImage(c echo.Context) (*gallery.Image, error) {
	ctx, st := gallery.WithCacheStatus(c.Request().Context())
	img, err := s.images.FindImageByID(ctx, c.Param("id"))
	if err == nil && !gallery.CanSee(viewer(c), img) {
		img, err = nil, errImageNotFound()
	}
	if st.Looked {
		setXCache(c, st.Hit && err == nil)
	}
	return img, err
}

// errImageNotFound is the answer for an absent image and for one the
// viewer may not see alike.
func errImageNotFound() error { return gallery.Errorf(gallery.ENOTFOUND, "image not found") }

// setXCache says whether the hot-id cache served the document. An image
// the viewer may not see is a miss, as an absent one is: the header must
// not tell the two apart.
func setXCache(c echo.Context, hit bool) {
	if hit {
		c.Response().Header()["X-Cache"] = hdrHit
	} else {
		c.Response().Header()["X-Cache"] = hdrMiss
	}
}

// authorizeChange checks that the viewer may change the image with that id:
// 404 when they cannot see it, 401 or 403 when they can see but not change it.
func (s *Server) authorizeChange(c echo.Context, id string) error {
	img, err := s.images.FindImageByID(c.Request().Context(), id)
	if err != nil {
		return err
	}
	v := viewer(c)
	if !gallery.CanSee(v, img) {
		return errImageNotFound()
	}
	if !gallery.CanChange(v, img) {
		return denied(v)
	}
	return nil
}

func (s *Server) handleGetImage(c echo.Context) error {
	if ef, ok := s.images.(gallery.EncodedFinder); ok {
		return s.getEncoded(c, ef)
	}
	img, err := s.findImage(c)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, render(img, viewer(c)))
}

func (s *Server) handlePatchImage(c echo.Context) error {
	if err := s.authorizeChange(c, c.Param("id")); err != nil {
		return err
	}
	var upd gallery.ImageUpdate
	if err := s.decodeJSON(c, &upd); err != nil {
		return err
	}
	img, err := s.images.UpdateImage(c.Request().Context(), c.Param("id"), upd)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, render(img, viewer(c)))
}

func (s *Server) handleDeleteImage(c echo.Context) error {
	if err := s.authorizeChange(c, c.Param("id")); err != nil {
		return err
	}
	if err := s.images.DeleteImage(c.Request().Context(), c.Param("id")); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// maxBulkIDs bounds one bulk delete.
const maxBulkIDs = 1000

type bulkDeleteRequest struct {
	IDs []string `json:"ids"`
}

type bulkFailure struct {
	ID    string      `json:"id"`
	Error errorDetail `json:"error"`
}

type bulkDeleteResponse struct {
	Deleted []string      `json:"deleted"`
	Failed  []bulkFailure `json:"failed"`
}

func (s *Server) handleBulkDelete(c echo.Context) error {
	if _, err := requireUser(c); err != nil {
		return err
	}
	var req bulkDeleteRequest
	if err := s.decodeJSON(c, &req); err != nil {
		return err
	}
	if len(req.IDs) == 0 {
		return gallery.Errorf(gallery.EINVALID, "ids must list at least one id")
	} else if len(req.IDs) > maxBulkIDs {
		return gallery.Errorf(gallery.EINVALID, "at most %d ids per request", maxBulkIDs)
	}
	resp := bulkDeleteResponse{Deleted: []string{}, Failed: []bulkFailure{}}
	seen := make(map[string]bool, len(req.IDs))
	for _, id := range req.IDs {
		if seen[id] {
			continue
		}
		seen[id] = true
		err := s.authorizeChange(c, id)
		if err == nil {
			err = s.images.DeleteImage(c.Request().Context(), id)
		}
		if err != nil {
			if gallery.ErrorCode(err) == gallery.EINTERNAL {
				return err
			}
			resp.Failed = append(resp.Failed, bulkFailure{ID: id, Error: detailOf(err)})
			continue
		}
		resp.Deleted = append(resp.Deleted, id)
	}
	return c.JSON(http.StatusOK, resp)
}

// decodeJSON reads one JSON object into v: bounded, strict about unknown
// fields and types, and with every fault a 400 (or 413 when too large).
func (s *Server) decodeJSON(c echo.Context, v any) error {
	r := c.Request()
	err := decodeJSONBody(r.Header.Get("Content-Type"), http.MaxBytesReader(c.Response().Writer, r.Body, s.cfg.MaxJSONBytes), v)
	// A body that stalled until the read deadline has used up the write
	// deadline too; its 400 gets time of its own.
	s.extendDeadlines(c, 0, s.cfg.RequestTimeout)
	return err
}

// decodeJSONBody is decodeJSON without the network: body is already
// bounded. The body is read whole first, because encoding/json quietly
// turns bytes that are not UTF-8 into U+FFFD, and text is stored exactly
// as sent or refused.
func decodeJSONBody(contentType string, body io.Reader, v any) error {
	if contentType != "" && !strings.HasPrefix(strings.ToLower(contentType), "application/json") {
		return gallery.Errorf(gallery.EUNSUPPORTED, "request body must be JSON: send Content-Type: application/json")
	}
	b, err := io.ReadAll(body)
	if err != nil {
		return jsonError(err)
	}
	if !utf8.Valid(b) {
		return gallery.Errorf(gallery.EINVALID, "request body must be UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return gallery.Errorf(gallery.EINVALID, "request body must hold a single JSON object")
	}
	return nil
}

func jsonError(err error) error {
	var mbe *http.MaxBytesError
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &mbe):
		return gallery.Errorf(gallery.ETOOLARGE, "request body is larger than %d bytes", mbe.Limit)
	case errors.Is(err, os.ErrDeadlineExceeded):
		return gallery.Errorf(gallery.EINVALID, "the request body did not arrive within the server's time limit")
	case errors.Is(err, io.EOF):
		return gallery.Errorf(gallery.EINVALID, "request body is empty; send a JSON object")
	case errors.As(err, &syn), errors.Is(err, io.ErrUnexpectedEOF):
		return gallery.Errorf(gallery.EINVALID, "request body is not valid JSON")
	case errors.As(err, &typ):
		if typ.Field != "" {
			return gallery.Errorf(gallery.EINVALID, "field %q has the wrong type", typ.Field)
		}
		return gallery.Errorf(gallery.EINVALID, "request body must be a JSON object")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return gallery.Errorf(gallery.EINVALID, "unknown field %s", strings.TrimPrefix(err.Error(), "json: unknown field "))
	}
	return gallery.Errorf(gallery.EINVALID, "request body is not valid JSON")
}

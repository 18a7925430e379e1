package api

import (
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"imagerepo/gallery"
)

// maxQueryBytes bounds what is sent to the index.
const maxQueryBytes = 512

type searchResponse struct {
	Images []imageJSON `json:"images"`
	Next   string      `json:"next"`
	Total  int         `json:"total"`
}

// searchQuery reads the search parameters of GET /api/images on top of the
// listing's filter f.
func searchQuery(params url.Values, f gallery.ImageFilter) (*gallery.SearchQuery, error) {
	q := &gallery.SearchQuery{
		Text:   strings.TrimSpace(params.Get("q")),
		Tag:    f.Tag,
		Type:   strings.ToLower(strings.TrimSpace(params.Get("type"))),
		Camera: strings.TrimSpace(params.Get("camera")),
		Owner:  f.Owner,
		Viewer: f.Viewer,
		Cursor: f.Cursor,
		Limit:  f.Limit,
	}
	if !utf8.ValidString(q.Text) || !utf8.ValidString(q.Camera) {
		return nil, gallery.Errorf(gallery.EINVALID, "q and camera must be UTF-8 text")
	}
	if len(q.Text) > maxQueryBytes {
		return nil, gallery.Errorf(gallery.EINVALID, "query is longer than %d bytes", maxQueryBytes)
	}
	if f.SHA256 != "" {
		return nil, gallery.Errorf(gallery.EINVALID, "sha256 cannot be combined with q")
	}
	var err error
	if q.From, err = timeParam(params.Get("from"), "from"); err != nil {
		return nil, err
	}
	if q.To, err = timeParam(params.Get("to"), "to"); err != nil {
		return nil, err
	}
	if len(q.Camera) > maxQueryBytes {
		return nil, gallery.Errorf(gallery.EINVALID, "camera is longer than %d bytes", maxQueryBytes)
	}
	if q.TakenFrom, err = timeParam(params.Get("taken_from"), "taken_from"); err != nil {
		return nil, err
	}
	if q.TakenTo, err = timeParam(params.Get("taken_to"), "taken_to"); err != nil {
		return nil, err
	}
	return q, nil
}

// searchImages answers GET /api/images?q=: ranked ids from the search
// index, then each document through the hot-id cache, checked again
// against the viewer.
func (s *Server) searchImages(c echo.Context, q *gallery.SearchQuery) error {
	if s.search == nil {
		return gallery.Errorf(gallery.EINVALID, "search is not available")
	}
	ctx := c.Request().Context()
	res, err := s.search.SearchImages(ctx, *q)
	if err != nil {
		return err
	}
	out := searchResponse{Images: make([]imageJSON, 0, len(res.IDs)), Next: res.Next, Total: res.Total}
	for _, id := range res.IDs {
		img, err := s.images.FindImageByID(ctx, id)
		if gallery.ErrorCode(err) == gallery.ENOTFOUND {
			continue // deleted since the index answered
		} else if err != nil {
			return err
		}
		if gallery.CanSee(q.Viewer, img) {
			out.Images = append(out.Images, render(img, q.Viewer))
		}
	}
	return c.JSON(http.StatusOK, out)
}

// timeParam reads an RFC 3339 time or a YYYY-MM-DD date (UTC midnight).
func timeParam(v, name string) (*time.Time, error) {
	if v == "" {
		return nil, nil
	}
	for _, layout := range []string{time.RFC3339Nano, time.DateOnly} {
		if t, err := time.Parse(layout, v); err == nil {
			return &t, nil
		}
	}
	return nil, gallery.Errorf(gallery.EINVALID, "%s must be a date (2006-01-02) or an RFC 3339 time", name)
}

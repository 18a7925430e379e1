package api

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"imagerepo/gallery"
)

// similarJSON is a document found by FindSimilar, with its distance.
type similarJSON struct {
	imageJSON
	Distance int `json:"distance"`
}

type similarResponse struct {
	Images []similarJSON `json:"images"`
}

// handleSimilar lists the images that look most like one the viewer may
// see, nearest first. An image the viewer may not see is 404, as for /file.
func (s *Server) handleSimilar(c echo.Context) error {
	if s.similar == nil {
		return gallery.Errorf(gallery.ENOTFOUND, "similar images are not available")
	}
	limit := 0
	if v := c.QueryParam("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > gallery.MaxSimilarLimit {
			return gallery.Errorf(gallery.EINVALID, "limit must be a whole number from 1 to %d", gallery.MaxSimilarLimit)
		}
		limit = n
	}
	v := viewer(c)
	found, err := s.similar.FindSimilar(c.Request().Context(), c.Param("id"), gallery.SimilarFilter{Viewer: v, Limit: limit})
	if err != nil {
		return err
	}
	out := similarResponse{Images: make([]similarJSON, len(found))}
	for i, f := range found {
		out.Images[i] = similarJSON{imageJSON: render(f.Image, v), Distance: f.Distance}
	}
	return c.JSON(http.StatusOK, out)
}

// nearDuplicates lists the ids of the owner's other images that look like
// img, to flag them in the upload response. A failed lookup only loses the
// hint: the upload itself went in.
func (s *Server) nearDuplicates(c echo.Context, img *gallery.Image, owner *gallery.User) []string {
	if s.similar == nil || img.Hash == 0 {
		return nil
	}
	found, err := s.similar.FindSimilar(c.Request().Context(), img.ID, gallery.SimilarFilter{
		Viewer: owner, Owner: &owner.Username, Within: gallery.NearDuplicateDistance, Limit: gallery.MaxSimilarLimit,
	})
	if err != nil {
		s.logger.Warn("upload: look for similar images", "id", img.ID, "err", err)
		return nil
	}
	var ids []string
	for _, f := range found {
		ids = append(ids, f.Image.ID)
	}
	return ids
}

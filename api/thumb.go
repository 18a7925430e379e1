package api

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"imagerepo/gallery"
)

// thumbMaxAge is how long a client may keep a thumbnail: its URL's bytes
// never change (an image's thumbnails are made once, at upload).
const thumbMaxAge = "max-age=31536000, immutable"

// handleThumb sends one of an image's thumbnails, seen by whoever may see
// the image (404 for anyone else, as /file). An image stored before
// thumbnails were made is answered with its original. Hot thumbnails come
// from the memory-bounded thumbnail cache, once the viewer has been let
// through.
func (s *Server) handleThumb(c echo.Context) error {
	size := c.Param("size")
	if size != gallery.ThumbSmall && size != gallery.ThumbLarge {
		return gallery.Errorf(gallery.ENOTFOUND, "no such thumbnail size: use %q or %q", gallery.ThumbSmall, gallery.ThumbLarge)
	}
	img, err := s.findShared(c) // read only
	if err != nil {
		return err
	}
	// Shared caches may keep what anyone may see, and only that.
	cacheControl := "public, " + thumbMaxAge
	if img.Visibility != gallery.Public {
		cacheControl = "private, " + thumbMaxAge
	}
	th := img.Thumb(size)
	if th == nil {
		return s.serveOriginal(c, img, cacheControl)
	}
	if b, ok, err := s.cachedThumb(c, th); err != nil {
		return err
	} else if ok {
		thumbHeaders(c, th, cacheControl)
		return serveMemory(c, img, b)
	}
	blob, err := s.images.OpenBlob(c.Request().Context(), th.SHA256)
	if err != nil {
		return err
	}
	defer blob.Close()
	s.extendDeadlines(c, 0, s.cfg.TransferTimeout)
	thumbHeaders(c, th, cacheControl)
	http.ServeContent(&jsonErrors{ResponseWriter: c.Response()}, c.Request(), "", img.CreatedAt, blob)
	return nil
}

// thumbHeaders sets the headers of a thumbnail response.
func thumbHeaders(c echo.Context, th *gallery.Thumb, cacheControl string) {
	h := c.Response().Header()
	h.Set("Content-Type", th.ContentType)
	h.Set("ETag", `"`+th.SHA256+`"`)
	h.Set("Cache-Control", cacheControl)
	h["Content-Security-Policy"] = hdrSandbox
}

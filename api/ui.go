package api

import (
	"io/fs"

	"github.com/labstack/echo/v4"
)

// uiPolicy is the Content-Security-Policy of the web UI: its own scripts,
// styles and images only, nothing inline, never framed.
const uiPolicy = "default-src 'self'; img-src 'self' blob: data:; style-src 'self'; script-src 'self'; " +
	"connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"

// routeUI serves the embedded frontend at /.
func (s *Server) routeUI(e *echo.Echo, ui fs.FS) {
	if ui == nil {
		return
	}
	static := echo.StaticDirectoryHandler(ui, true)
	e.GET("/*", func(c echo.Context) error {
		h := c.Response().Header()
		h.Set("Content-Security-Policy", uiPolicy)
		// index.html and the modules change with each release; revalidate.
		h.Set("Cache-Control", "no-cache")
		return static(c)
	})
}

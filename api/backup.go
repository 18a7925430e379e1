package api

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"imagerepo/gallery"
)

// Backuper writes a consistent snapshot of the whole repository as a
// backup archive; main.go fills it with the store.
type Backuper interface {
	WriteBackup(ctx context.Context, w io.Writer) error
}

// handleBackup streams a backup archive to an admin. Its status and
// headers go out before the snapshot is taken, so a failure after them
// cannot become an error answer: the connection is cut instead, and the
// archive the client holds lacks its manifest, which restore refuses.
func (s *Server) handleBackup(c echo.Context) error {
	if _, err := requireAdmin(c); err != nil {
		return err
	}
	if s.backup == nil {
		return gallery.Errorf(gallery.ENOTFOUND, "backups are not available on this server")
	}
	s.extendDeadlines(c, 0, s.cfg.TransferTimeout)
	h := c.Response().Header()
	h.Set("Content-Type", "application/x-tar")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Disposition", contentDisposition("attachment",
		"imagerepo-backup-"+time.Now().UTC().Format("20060102-150405")+".tar"))
	c.Response().WriteHeader(http.StatusOK)
	if err := s.backup.WriteBackup(c.Request().Context(), c.Response()); err != nil {
		s.logger.Error("backup failed", slog.Any("err", err))
		panic(http.ErrAbortHandler)
	}
	return nil
}

package api

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"imagerepo/gallery"
)

// Backuper takes consistent snapshots of the whole repository; main.go
// fills it with the store.
type Backuper interface {
	StartBackup(ctx context.Context) (BackupArchive, error)
}

// BackupArchive is one snapshot on its way out as a backup archive.
type BackupArchive interface {
	// Size is the exact length of what WriteTo writes, or -1 when unknown.
	Size() int64
	WriteTo(w io.Writer) (int64, error)
	// Close ends the snapshot; the store holds blob removals until then.
	Close() error
}

// handleBackup streams a backup archive to an admin. The snapshot is taken
// before the answer starts, so a failure to take it is an error answer; a
// failure after it (a corrupt blob) cuts the connection short of the
// Content-Length, and the archive the client holds lacks its manifest,
// which restore refuses.
func (s *Server) handleBackup(c echo.Context) error {
	if _, err := requireAdmin(c); err != nil {
		return err
	}
	if s.backup == nil {
		return gallery.Errorf(gallery.ENOTFOUND, "backups are not available on this server")
	}
	b, err := s.backup.StartBackup(c.Request().Context())
	if err != nil {
		return err
	}
	defer b.Close()
	s.extendDeadlines(c, 0, s.cfg.TransferTimeout)
	h := c.Response().Header()
	h.Set("Content-Type", "application/x-tar")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Disposition", contentDisposition("attachment",
		"imagerepo-backup-"+time.Now().UTC().Format("20060102-150405")+".tar"))
	if n := b.Size(); n >= 0 {
		h.Set("Content-Length", strconv.FormatInt(n, 10))
	}
	c.Response().WriteHeader(http.StatusOK)
	if _, err := b.WriteTo(c.Response()); err != nil {
		s.logger.Error("backup failed", slog.Any("err", err))
		panic(http.ErrAbortHandler)
	}
	return nil
}

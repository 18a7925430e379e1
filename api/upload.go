package api

import (
	"context"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"os"
	"runtime"
	"strings"
	"sync"
	"syscall"

	"github.com/labstack/echo/v4"

	"imagerepo/gallery"
)

// maxFieldBytes bounds one text field of an upload form, and maxFormFields
// the number of parts that are not files.
const (
	maxFieldBytes = 64 << 10
	maxFormFields = 64
)

// spooled is one file part of an upload, written to a temp file so that it
// can be read twice (checked, then stored) and so that the form's text
// fields may come after it.
type spooled struct {
	filename string
	file     *os.File
	err      error // set when the part already failed (too large)
}

type uploadForm struct {
	title, description, tags, visibility string
	files                                []*spooled
}

func (f *uploadForm) cleanup() {
	for _, sp := range f.files {
		if sp.file != nil {
			sp.file.Close()
			os.Remove(sp.file.Name())
		}
	}
}

type uploadFailure struct {
	Filename string      `json:"filename"`
	Error    errorDetail `json:"error"`
}

type uploadResponse struct {
	Images []imageJSON     `json:"images"`
	Failed []uploadFailure `json:"failed"`
}

func (s *Server) handleUpload(c echo.Context) (err error) {
	perFile := false // refusals are reported per file from there on
	defer func() {
		if err != nil && !perFile {
			s.uploadRefused(gallery.ErrorCode(toAppError(err)))
		}
	}()
	owner, err := requireUser(c)
	if err != nil {
		return err
	}
	s.extendDeadlines(c, s.cfg.TransferTimeout, s.cfg.TransferTimeout)
	form, err := s.readUploadForm(c)
	// The answer gets its own time once the body is in or given up on: a
	// write deadline that passed while the body travelled would lose it.
	s.extendDeadlines(c, 0, s.cfg.RequestTimeout)
	if form != nil {
		defer form.cleanup()
	}
	if err != nil {
		return err
	}

	tmpl, err := s.uploadTemplate(form, owner.Username)
	if err != nil {
		return err
	}

	ctx := c.Request().Context()
	resp := uploadResponse{Images: []imageJSON{}, Failed: []uploadFailure{}}
	var firstErr error
	// The files are independent: check and store them in parallel, as many
	// at once as there are CPUs (the decoder bounds its own memory), and
	// answer in the order they came.
	type outcome struct {
		img *gallery.Image
		dup bool
		err error
	}
	outcomes := make([]outcome, len(form.files))
	slots := make(chan struct{}, runtime.NumCPU())
	var wg sync.WaitGroup
	for i, sp := range form.files {
		wg.Add(1)
		go func() {
			defer wg.Done()
			slots <- struct{}{}
			defer func() { <-slots }()
			o := &outcomes[i]
			o.img, o.dup, o.err = s.storeUpload(c, tmpl, form.title, sp)
		}()
	}
	wg.Wait()
	perFile = true
	for i, sp := range form.files {
		img, dup, err := outcomes[i].img, outcomes[i].dup, outcomes[i].err
		if dup {
			s.uploadRefused("duplicate")
		} else if err != nil {
			s.uploadRefused(gallery.ErrorCode(err))
		}
		if err == nil {
			j := render(img, owner)
			j.Duplicate = dup
			if !dup {
				j.SimilarTo = s.nearDuplicates(c, img, owner)
			}
			resp.Images = append(resp.Images, j)
			continue
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if gallery.ErrorCode(err) == gallery.EINTERNAL {
			s.logger.Error("upload failed", "filename", sp.filename, "err", err)
		}
		if firstErr == nil {
			firstErr = err
		}
		resp.Failed = append(resp.Failed, uploadFailure{Filename: sp.filename, Error: detailOf(err)})
	}
	if len(resp.Images) == 0 {
		return firstErr
	}
	return c.JSON(http.StatusCreated, resp)
}

// uploadRefused reports one refused upload to the hooks.
func (s *Server) uploadRefused(reason string) {
	if s.hooks.UploadRefused != nil {
		s.hooks.UploadRefused(reason)
	}
}

// uploadTemplate checks the form's shared fields once, before any file is
// processed, and returns the template each file's document is made from.
func (s *Server) uploadTemplate(form *uploadForm, owner string) (gallery.Image, error) {
	tmpl := gallery.Image{
		Title:       "x", // placeholder: each file's title is checked by checkUpload
		Description: form.description,
		Tags:        gallery.SplitTags(form.tags),
		Visibility:  gallery.Visibility(strings.TrimSpace(form.visibility)),
		Owner:       owner,
	}
	if tmpl.Visibility == "" {
		tmpl.Visibility = s.cfg.DefaultVisibility
	}
	return tmpl, tmpl.Validate()
}

// storeUpload checks one spooled file and stores it.
func (s *Server) storeUpload(c echo.Context, tmpl gallery.Image, title string, sp *spooled) (*gallery.Image, bool, error) {
	ctx := c.Request().Context()
	img, p, err := s.checkUpload(ctx, tmpl, title, sp)
	if err != nil {
		return nil, false, err
	}
	if _, err := sp.file.Seek(0, io.SeekStart); err != nil {
		return nil, false, err
	}
	thumbs := []gallery.ThumbData{p.Small, p.Large}
	if len(p.NoLocation.Data) > 0 {
		thumbs = append(thumbs, p.NoLocation)
	}
	return s.images.CreateImage(ctx, img, sp.file, thumbs...)
}

// checkUpload validates one spooled file without storing anything: its
// title and file name, then its bytes, which the decoder turns into what
// is stored with them.
func (s *Server) checkUpload(ctx context.Context, tmpl gallery.Image, title string, sp *spooled) (*gallery.Image, *gallery.Processed, error) {
	if sp.err != nil {
		return nil, nil, sp.err
	}
	img := tmpl
	img.Tags = append([]string(nil), tmpl.Tags...)
	img.Filename = sp.filename
	img.Title = strings.TrimSpace(title)
	if img.Title == "" {
		img.Title = gallery.TitleFromFilename(sp.filename)
	}
	if err := img.Validate(); err != nil {
		return nil, nil, err
	}
	if _, err := sp.file.Seek(0, io.SeekStart); err != nil {
		return nil, nil, err
	}
	p, err := s.decoder.ProcessUpload(ctx, sp.file)
	if err != nil {
		return nil, nil, err
	}
	img.ContentType, img.Width, img.Height = p.Info.ContentType, p.Info.Width, p.Info.Height
	img.Camera, img.TakenAt, img.Location, img.Hash = p.Camera, p.TakenAt, p.Location, p.Hash
	return &img, p, nil
}

// readUploadForm streams the multipart body: file parts go to temp files
// (each bounded by MaxFileBytes), text fields to memory (bounded too).
func (s *Server) readUploadForm(c echo.Context) (*uploadForm, error) {
	r := c.Request()
	return s.parseUploadForm(c.Response().Writer, r.Header.Get("Content-Type"), r.Body)
}

// parseUploadForm reads an upload form from its Content-Type and body; w
// (which may be nil) is told to close the connection when the body is over
// its limit. On error the form returned, when not nil, is to be cleaned up.
func (s *Server) parseUploadForm(w http.ResponseWriter, contentType string, r io.Reader) (*uploadForm, error) {
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil || mt != "multipart/form-data" || params["boundary"] == "" {
		return nil, gallery.Errorf(gallery.EUNSUPPORTED, "upload must be multipart/form-data with one or more \"file\" parts")
	}
	limit := int64(s.cfg.MaxFiles)*s.cfg.MaxFileBytes + int64(s.cfg.MaxFiles+maxFormFields)*maxFieldBytes
	body := http.MaxBytesReader(w, io.NopCloser(r), limit)
	mr := multipart.NewReader(body, params["boundary"])

	form := &uploadForm{}
	fields := 0
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			// The form is complete; a body cut short after it (a
			// Content-Length that promised more) is refused all the same.
			if _, err := io.Copy(io.Discard, io.LimitReader(body, maxFieldBytes)); err != nil {
				return form, multipartError(err)
			}
			break
		} else if err != nil {
			return form, multipartError(err)
		}
		if part.FormName() != "file" {
			// Each field is small, but thousands of them would keep the
			// server busy for nothing: a form has a handful.
			if fields++; fields > maxFormFields {
				return form, gallery.Errorf(gallery.ETOOLARGE, "at most %d form fields besides the files per upload", maxFormFields)
			}
		}
		switch part.FormName() {
		case "file":
			if len(form.files) >= s.cfg.MaxFiles {
				return form, gallery.Errorf(gallery.ETOOLARGE, "at most %d files per upload", s.cfg.MaxFiles)
			}
			sp, err := s.spool(part)
			if sp != nil {
				form.files = append(form.files, sp)
			}
			if err != nil {
				return form, err
			}
		case "title", "description", "tags", "visibility":
			b, err := io.ReadAll(io.LimitReader(part, maxFieldBytes+1))
			if err != nil {
				return form, multipartError(err)
			} else if len(b) > maxFieldBytes {
				return form, gallery.Errorf(gallery.EINVALID, "form field %q is too long", part.FormName())
			}
			form.setField(part.FormName(), string(b))
		default:
			if _, err := io.Copy(io.Discard, io.LimitReader(part, maxFieldBytes)); err != nil {
				return form, multipartError(err)
			}
		}
		part.Close()
	}
	if len(form.files) == 0 {
		return form, gallery.Errorf(gallery.EINVALID, "no file: send one or more multipart parts named \"file\"")
	}
	return form, nil
}

func (f *uploadForm) setField(name, v string) {
	switch name {
	case "title":
		f.title = v
	case "description":
		f.description = v
	case "tags":
		f.tags = v
	case "visibility":
		f.visibility = v
	}
}

// spool copies one file part to a temp file. A part over the size limit
// fails alone: the rest of it is read and dropped so the other files of the
// request still go in.
func (s *Server) spool(part *multipart.Part) (*spooled, error) {
	sp := &spooled{filename: gallery.SanitizeFilename(part.FileName())}
	f, err := os.CreateTemp(s.cfg.UploadDir, "upload-*")
	if err != nil {
		return nil, err
	}
	sp.file = f
	n, err := io.Copy(f, io.LimitReader(part, s.cfg.MaxFileBytes+1))
	if err != nil {
		return sp, multipartError(err)
	}
	if n > s.cfg.MaxFileBytes {
		sp.err = gallery.Errorf(gallery.ETOOLARGE, "%s is larger than the %s limit per file", sp.filename, humanBytes(s.cfg.MaxFileBytes))
		if _, err := io.Copy(io.Discard, part); err != nil {
			return sp, multipartError(err)
		}
		f.Close()
		os.Remove(f.Name())
		sp.file = nil
	}
	return sp, nil
}

func multipartError(err error) error {
	var mbe *http.MaxBytesError
	var pe *os.PathError
	switch {
	case errors.As(err, &mbe):
		return gallery.Errorf(gallery.ETOOLARGE, "upload is larger than %s", humanBytes(mbe.Limit))
	case errors.Is(err, os.ErrDeadlineExceeded):
		return gallery.Errorf(gallery.EINVALID, "the upload did not arrive within the server's time limit")
	case errors.Is(err, syscall.ENOSPC):
		return gallery.Errorf(gallery.EINSUFFICIENTSTORAGE, "the server's disk is full")
	case errors.As(err, &pe):
		return err // writing the temp file failed: the server's fault
	}
	return gallery.Errorf(gallery.EINVALID, "malformed multipart body")
}

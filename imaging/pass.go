package imaging

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"

	"imagerepo/gallery"
)

// passBufferSize buffers each read pass, because the decoders make many
// small reads and r may be a file.
const passBufferSize = 32 << 10

var (
	errUnknownType = errors.New("imaging: unknown content type")
	errNoScale     = errors.New("imaging: only JPEG decodes at a reduced scale")
)

// readPass reads r from its start through fn. It tells the faults of r from
// the faults of the image: an error of r itself, or ctx's when ctx is done
// mid-read, is returned as it is, whatever fn made of it; a *gallery.Error
// from fn is returned as it is; any other failure of fn, a panic included,
// means the image could not be read (EUNPROCESSABLE).
func readPass(ctx context.Context, r io.ReadSeeker, fn func(*bufio.Reader) error) error {
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		return err
	}
	src := &source{ctx: ctx, r: r}
	err := safely(func() error { return fn(bufio.NewReaderSize(src, passBufferSize)) })
	var e *gallery.Error
	switch {
	case src.err != nil:
		return src.err
	case err == nil, errors.As(err, &e):
		return err
	}
	return unreadable(err)
}

// unreadable is the EUNPROCESSABLE error for an image a decoder refused. The
// decoder's reason stays in the error text for the log; clients see only the
// *gallery.Error's message.
func unreadable(cause error) error {
	return fmt.Errorf("%w (%v)", gallery.Errorf(gallery.EUNPROCESSABLE, "the image could not be read"), cause)
}

// safely runs fn and turns a panic into an error, so that a decoder bug
// triggered by a hostile file fails one upload instead of the process.
func safely(fn func() error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("imaging: decoder panic: %v", p)
		}
	}()
	return fn()
}

// source is the reader under one pass. It keeps the first error of r other
// than io.EOF, so that a failing disk is not blamed on the image, and stops
// the pass once ctx is done, so that a cancelled request stops decoding.
type source struct {
	ctx context.Context
	r   io.Reader
	err error
}

func (s *source) Read(p []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	if err := s.ctx.Err(); err != nil {
		s.err = err
		return 0, err
	}
	n, err := s.r.Read(p)
	if err != nil && err != io.EOF {
		s.err = err
	}
	return n, err
}

package search

import (
	"context"
	"io"

	"imagerepo/gallery"
)

// ImageService wraps another gallery.ImageService (the store's) and keeps
// the index up to date with every image write that goes through it.
type ImageService struct {
	next gallery.ImageService
	idx  *Index
}

var _ gallery.ImageService = (*ImageService)(nil)

// NewImageService returns next with each create (not a duplicate), update
// and delete also written to idx before the call returns, so that the very
// next search sees it.
//
// The image write is committed when next returns; a failure to update the
// index after that is logged and does not fail the call (it would make the
// client retry a write that happened). The index then keeps a write counter
// behind the store's and is rebuilt at the next start.
func NewImageService(next gallery.ImageService, idx *Index) *ImageService {
	return &ImageService{next: next, idx: idx}
}

// FindImageByID passes through to the wrapped service.
func (s *ImageService) FindImageByID(ctx context.Context, id string) (*gallery.Image, error) {
	return s.next.FindImageByID(ctx, id)
}

// FindImages passes through to the wrapped service.
func (s *ImageService) FindImages(ctx context.Context, filter gallery.ImageFilter) ([]*gallery.Image, string, error) {
	return s.next.FindImages(ctx, filter)
}

// OpenBlob passes through to the wrapped service.
func (s *ImageService) OpenBlob(ctx context.Context, sha256 string) (io.ReadSeekCloser, error) {
	return s.next.OpenBlob(ctx, sha256)
}

// CreateImage stores the image through the wrapped service, then indexes it.
func (s *ImageService) CreateImage(ctx context.Context, img *gallery.Image, body io.Reader, thumbs ...gallery.ThumbData) (*gallery.Image, bool, error) {
	created, dup, err := s.next.CreateImage(ctx, img, body, thumbs...)
	if err == nil && !dup {
		s.written(ctx, created.ID)
	}
	return created, dup, err
}

// UpdateImage updates the image through the wrapped service, then the index.
func (s *ImageService) UpdateImage(ctx context.Context, id string, upd gallery.ImageUpdate) (*gallery.Image, error) {
	img, err := s.next.UpdateImage(ctx, id, upd)
	if err == nil {
		s.written(ctx, img.ID)
	}
	return img, err
}

// DeleteImage deletes the image through the wrapped service, then takes it
// out of the index.
func (s *ImageService) DeleteImage(ctx context.Context, id string) error {
	err := s.next.DeleteImage(ctx, id)
	if err == nil {
		s.written(ctx, id)
	}
	return err
}

// written updates the index after one image write; apply logs failures.
func (s *ImageService) written(ctx context.Context, id string) {
	_ = s.idx.apply(ctx, s.next, []string{id})
}

var _ gallery.MediaSetter = (*ImageService)(nil)

// SetMedia sets the image's media through the wrapped service, then
// re-indexes it (its camera and time taken are indexed). EINVALID when the
// wrapped service cannot.
func (s *ImageService) SetMedia(ctx context.Context, id string, p *gallery.Processed) (*gallery.Image, error) {
	ms, ok := s.next.(gallery.MediaSetter)
	if !ok {
		return nil, gallery.Errorf(gallery.EINVALID, "image media cannot be set")
	}
	img, err := ms.SetMedia(ctx, id, p)
	if err == nil {
		s.written(ctx, img.ID)
	}
	return img, err
}

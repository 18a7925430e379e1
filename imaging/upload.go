package imaging

import (
	"bytes"
	"context"
	"io"

	"imagerepo/gallery"
)

// ProcessUpload is Process in the domain's terms: the result as the rest of
// the product speaks it (gallery.Processed), for the HTTP layer, which
// cannot import this package, with the copy of the original without its
// location (StripLocation) that is stored beside it.
func (d *Decoder) ProcessUpload(ctx context.Context, r io.ReadSeeker) (*gallery.Processed, error) {
	res, err := d.Process(ctx, r)
	if err != nil {
		return nil, err
	}
	p := &gallery.Processed{
		Info:  res.Info,
		Small: thumbData(gallery.ThumbSmall, res.Small),
		Large: thumbData(gallery.ThumbLarge, res.Large),
		Hash:  res.Hash,
	}
	// The copy without location, for those who may not see it. Where it
	// cannot be made it is left out, and made per request.
	var noloc bytes.Buffer
	if _, err := r.Seek(0, io.SeekStart); err == nil && StripLocation(r, &noloc) == nil {
		p.NoLocation = gallery.ThumbData{Size: gallery.ThumbNoLocation, ContentType: res.Info.ContentType,
			Width: res.Info.Width, Height: res.Info.Height, Data: noloc.Bytes()}
	}
	if x := res.EXIF; x != nil {
		cam := gallery.Camera{Make: x.Make, Model: x.Model, Lens: x.Lens, ExposureTime: x.ExposureTime,
			FNumber: x.FNumber, FocalLength: x.FocalLength, ISO: x.ISO}
		if cam != (gallery.Camera{}) {
			p.Camera = &cam
		}
		p.TakenAt = x.TakenAt
		if x.Latitude != nil && x.Longitude != nil {
			p.Location = &gallery.Location{Latitude: *x.Latitude, Longitude: *x.Longitude}
		}
	}
	return p, nil
}

func thumbData(size string, t Thumbnail) gallery.ThumbData {
	return gallery.ThumbData{Size: size, ContentType: t.ContentType, Width: t.Width, Height: t.Height, Data: t.Bytes}
}

// StripLocation is the package's StripLocation, as a method, so that a
// Decoder alone fills what the HTTP layer needs of this package.
func (d *Decoder) StripLocation(r io.ReadSeeker, w io.Writer) error {
	return StripLocation(r, w)
}

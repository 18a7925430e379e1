package gallery

import (
	"context"
	"time"
)

// Thumbnail sizes, as they appear in URLs and in Thumb.Size.
const (
	ThumbSmall = "small" // fits a 320×320 box
	ThumbLarge = "large" // fits a 1280×1280 box
	// ThumbNoLocation is no thumbnail but the original without its location
	// metadata, made at upload and stored like a thumbnail, so that it is
	// sent to those who may not see the location without being made per
	// request. It is never served under /thumb/.
	ThumbNoLocation = "noloc"
)

// Camera is what an image's EXIF says about the camera that took it. A field
// the EXIF does not have is zero.
type Camera struct {
	Make         string  `json:"make,omitempty"`
	Model        string  `json:"model,omitempty"`
	Lens         string  `json:"lens,omitempty"`
	ExposureTime string  `json:"exposure_time,omitempty"` // seconds: "1/250"
	FNumber      float64 `json:"f_number,omitempty"`
	FocalLength  float64 `json:"focal_length,omitempty"` // millimetres, as on the lens
	ISO          int     `json:"iso,omitempty"`
}

// Location is where an image was taken, in degrees, north and east
// positive. Only its owner and admins are shown it.
type Location struct {
	Latitude  float64 `json:"latitude"`
	Longitude float64 `json:"longitude"`
}

// Thumb is a stored thumbnail of an image: content-addressed bytes like the
// original's.
type Thumb struct {
	Size        string `json:"size"` // ThumbSmall, ThumbLarge or ThumbNoLocation
	SHA256      string `json:"sha256"`
	ContentType string `json:"content_type"`
	Width       int    `json:"width"`
	Height      int    `json:"height"`
	Bytes       int64  `json:"bytes"`
}

// Thumb returns the image's thumbnail of that size, or nil (an image stored
// before thumbnails were made has none).
func (img *Image) Thumb(size string) *Thumb {
	for i := range img.Thumbs {
		if img.Thumbs[i].Size == size {
			return &img.Thumbs[i]
		}
	}
	return nil
}

// ThumbData is an encoded thumbnail handed to CreateImage to store beside
// the original.
type ThumbData struct {
	Size          string // ThumbSmall, ThumbLarge or ThumbNoLocation
	ContentType   string
	Width, Height int
	Data          []byte
}

// Processed is what the image pipeline makes of an upload: what the image
// is, both thumbnails, the copy without location, its camera data and its
// perceptual hash.
type Processed struct {
	Info         ImageInfo
	Small, Large ThumbData
	// NoLocation is the original without its location metadata
	// (ThumbNoLocation), stored beside it; empty when it could not be made,
	// and then made per request.
	NoLocation ThumbData
	Camera     *Camera    // nil without camera EXIF
	TakenAt    *time.Time // nil when unknown
	Location   *Location  // nil without GPS
	Hash       uint64     // 64-bit perceptual hash (dHash)
}

// cloneMedia deep-copies the EXIF and thumbnail fields of c, a shallow copy.
func (img *Image) cloneMedia() {
	c := img
	if c.Camera != nil {
		cam := *c.Camera
		c.Camera = &cam
	}
	if c.TakenAt != nil {
		t := *c.TakenAt
		c.TakenAt = &t
	}
	if c.Location != nil {
		l := *c.Location
		c.Location = &l
	}
	if c.Thumbs != nil {
		c.Thumbs = append([]Thumb(nil), c.Thumbs...)
	}
}

// MediaSetter is implemented by image services that can give an image
// stored before the image pipeline its thumbnails, EXIF fields and hash
// (the start-up migration). The store implements it; the search and cache
// decorators pass it through, re-indexing and invalidating the image.
type MediaSetter interface {
	// SetMedia stores p's thumbnails beside the image's original and sets
	// its displayed size, camera, time taken, location and hash. ENOTFOUND
	// when there is no such image.
	SetMedia(ctx context.Context, id string, p *Processed) (*Image, error)
}

package imaging

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/bep/imagemeta"
)

// Exif is the camera data of an image, as far as its EXIF says. A field the
// EXIF does not have, or has in a form that makes no sense, is left zero.
type Exif struct {
	Make, Model, Lens string
	// TakenAt is when the picture was taken, to the second
	// (DateTimeOriginal, else DateTimeDigitized, else DateTime), in the
	// offset the EXIF gives (OffsetTimeOriginal); the camera's clock read as
	// UTC when it gives none, as most cameras do not.
	TakenAt      *time.Time
	ExposureTime string  // seconds: "1/250", "2.5"
	FNumber      float64 // 2.8
	ISO          int
	FocalLength  float64 // millimetres, as on the lens (not 35 mm equivalent)
	// Latitude and Longitude are in degrees, north and east positive.
	Latitude, Longitude *float64
	// Orientation is the EXIF tag, 1 to 8, 0 when absent. Only a JPEG's is
	// applied to its pixels and size.
	Orientation int
}

// Limits on what the EXIF reader walks. The block itself is already bounded
// (a JPEG segment is under 64 KiB, a container's EXIF under
// maxContainerExif); these keep a block full of tags cheap.
const (
	maxExifTags    = 2000 // tags visited, IFD0 and the IFDs it points to
	maxExifTagSize = 4096 // bytes of one value read; longer ones are skipped
	maxExifString  = 128  // bytes kept of a text field
)

// parseExif reads the camera fields from the TIFF structure of an EXIF
// block with bep/imagemeta (the reader Hugo uses, fuzzed and tested against
// exiftool): IFD0 and the Exif and GPS IFDs it points to, each pointer
// followed once, at most maxExifTags tags, a panic inside it turned into an
// error. A block broken part way keeps what was read before the break; a
// value that makes no sense is left out. It returns nil when nothing useful
// is there.
func parseExif(b []byte) *Exif {
	if len(b) < 8 {
		return nil
	}
	var (
		x                                   Exif
		modified, original, created, offset string
		latRef, lonRef                      string
		lat, lon                            *float64
		warned                              bool // the current tag's value did not convert
	)
	_, _ = imagemeta.Decode(imagemeta.Options{
		R:            bytes.NewReader(b),
		ImageFormat:  imagemeta.TIFF,
		Sources:      imagemeta.EXIF,
		LimitNumTags: maxExifTags,
		LimitTagSize: maxExifTagSize,
		Warnf:        func(string, ...any) { warned = true },
		ShouldHandleTag: func(ti imagemeta.TagInfo) bool {
			warned = false
			// IFD0 and the IFDs under it; not IFD1, the embedded
			// thumbnail's, nor the Interoperability IFD, whose tags 1 and 2
			// share their numbers with GPS ones.
			return strings.HasPrefix(ti.Namespace, "IFD0") && !strings.Contains(ti.Namespace, "Interoperability")
		},
		HandleTag: func(ti imagemeta.TagInfo) error {
			if warned {
				return nil
			}
			if v := ti.Value; strings.HasSuffix(ti.Namespace, "GPSInfoIFD") {
				switch ti.Tag {
				case "GPSLatitudeRef":
					latRef = exifText(v)
				case "GPSLongitudeRef":
					lonRef = exifText(v)
				case "GPSLatitude":
					lat = exifDegrees(v)
				case "GPSLongitude":
					lon = exifDegrees(v)
				}
				return nil
			}
			switch v := ti.Value; ti.Tag {
			case "Make":
				x.Make = exifText(v)
			case "Model":
				x.Model = exifText(v)
			case "LensModel":
				x.Lens = exifText(v)
			case "Orientation":
				if n, ok := exifInt(v); ok && n >= 1 && n <= 8 {
					x.Orientation = int(n)
				}
			case "ModifyDate": // DateTime
				modified = exifText(v)
			case "DateTimeOriginal":
				original = exifText(v)
			case "CreateDate": // DateTimeDigitized
				created = exifText(v)
			case "OffsetTimeOriginal":
				offset = exifText(v)
			case "ExposureTime":
				if r, ok := v.(imagemeta.Rat[uint32]); ok {
					x.ExposureTime = exposure(r.Num(), r.Den())
				}
			case "FNumber":
				x.FNumber = exifFloat(v)
			case "FocalLength":
				x.FocalLength = exifFloat(v)
			case "ISO":
				if n, ok := exifInt(v); ok && n > 0 && n <= math.MaxInt32 {
					x.ISO = int(n)
				}
			}
			return nil
		},
	})
	x.Latitude, x.Longitude = position(lat, latRef, lon, lonRef)
	switch {
	case original != "":
		x.TakenAt = exifTime(original, offset)
	case created != "":
		x.TakenAt = exifTime(created, "")
	case modified != "":
		x.TakenAt = exifTime(modified, "")
	}
	if x == (Exif{}) {
		return nil
	}
	return &x
}

// exifText is a text field fit to show, "" when v is not text.
func exifText(v any) string {
	var s string
	switch v := v.(type) {
	case string:
		s = v
	case []byte: // type UNDEFINED, as some writers use for text
		s = string(v)
	default:
		return ""
	}
	if i := strings.IndexByte(s, 0); i >= 0 {
		s = s[:i]
	}
	return cleanText(s[:min(len(s), maxExifString)])
}

// exifInt is v as an integer: a SHORT or LONG, or the first of several.
func exifInt(v any) (int64, bool) {
	switch v := v.(type) {
	case uint8:
		return int64(v), true
	case uint16:
		return int64(v), true
	case uint32:
		return int64(v), true
	case int16:
		return int64(v), true
	case int32:
		return int64(v), true
	case []any:
		if len(v) > 0 {
			return exifInt(v[0])
		}
	}
	return 0, false
}

// exifFloat is a RATIONAL to two decimals, 0 when v is none.
func exifFloat(v any) float64 {
	r, ok := v.(imagemeta.Rat[uint32])
	if !ok || r.Den() == 0 {
		return 0
	}
	return math.Round(r.Float64()*100) / 100
}

// exifDegrees is a coordinate the reader made decimal, nil when it is not a
// finite number.
func exifDegrees(v any) *float64 {
	d, ok := v.(float64)
	if !ok || math.IsNaN(d) || math.IsInf(d, 0) || d < 0 {
		return nil
	}
	return &d
}

// position signs latitude and longitude by their references (N or S, E or
// W); nil, nil unless both are there, referenced and in range.
func position(lat *float64, latRef string, lon *float64, lonRef string) (*float64, *float64) {
	la, ok1 := signed(lat, latRef, "N", "S", 90)
	lo, ok2 := signed(lon, lonRef, "E", "W", 180)
	if !ok1 || !ok2 {
		return nil, nil
	}
	return &la, &lo
}

func signed(d *float64, ref, pos, neg string, limit float64) (float64, bool) {
	if d == nil || *d > limit || (ref != pos && ref != neg) {
		return 0, false
	}
	if ref == neg {
		return -*d, true
	}
	return *d, true
}

// cleanText makes a field of the file fit to show: valid UTF-8 (a rune cut
// by the length bound dropped, and no replacement character for bytes that
// were not text), no control characters, no padding.
func cleanText(s string) string {
	s = strings.ToValidUTF8(s, "")
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == utf8.RuneError {
			return -1
		}
		return r
	}, s)
	return strings.TrimSpace(s)
}

// exposure formats an exposure time as photographers write it: a fraction
// of a second below one, seconds above.
func exposure(num, den uint32) string {
	if num == 0 || den == 0 {
		return ""
	}
	v := float64(num) / float64(den)
	if v >= 1 {
		return strconv.FormatFloat(math.Round(v*10)/10, 'f', -1, 64)
	}
	return "1/" + strconv.FormatFloat(math.Round(float64(den)/float64(num)*10)/10, 'f', -1, 64)
}

// exifTime parses an EXIF date ("2006:01:02 15:04:05") with its offset
// ("+02:00") when given; nil when it is not a real date (cameras write zeros
// and blanks when their clock is unset).
func exifTime(s, offset string) *time.Time {
	t, err := time.Parse("2006:01:02 15:04:05", s)
	if err != nil || t.Year() < 1800 {
		return nil
	}
	if off, err := time.Parse("-07:00", offset); err == nil {
		_, secs := off.Zone()
		t = time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(),
			time.FixedZone("", secs))
	}
	return &t
}

// ReadExif reads the EXIF of an image from its headers, without decoding
// it: a JPEG's APP1, a PNG's eXIf, a WebP's EXIF chunk, a HEIC's or AVIF's
// Exif item. It returns nil, nil when there is none or the image is of
// another type, and only the errors of r itself. Process returns the same
// within its Result; this is for images already stored.
func ReadExif(r io.ReadSeeker) (*Exif, error) {
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	var head [sniffLen]byte
	n, err := io.ReadFull(r, head[:])
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		return nil, err
	}
	var tiff []byte
	switch ct := sniff(head[:n]); ct {
	case "", GIF:
		return nil, nil
	case JPEG:
		tiff, err = readJPEGExif(r)
	default:
		tiff, err = readContainerExif(context.Background(), ct, r)
	}
	if err != nil {
		return nil, err
	}
	return parseExif(tiff), nil
}

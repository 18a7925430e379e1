package imaging

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// Exif is the camera data of an image, as far as its EXIF says. A field the
// EXIF does not have, or has in a form that makes no sense, is left zero.
type Exif struct {
	Make, Model, Lens string
	// TakenAt is when the picture was taken (DateTimeOriginal, else
	// DateTimeDigitized, else DateTime), in the offset the EXIF gives
	// (OffsetTimeOriginal); the camera's clock read as UTC when it gives
	// none, as most cameras do not.
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

// TIFF tags read (TIFF 6.0; EXIF 2.32, CIPA DC-008).
const (
	tagMake              = 0x010F
	tagModel             = 0x0110
	tagDateTime          = 0x0132
	tagExifIFD           = 0x8769
	tagGPSIFD            = 0x8825
	tagExposureTime      = 0x829A
	tagFNumber           = 0x829D
	tagISO               = 0x8827
	tagDateTimeOriginal  = 0x9003
	tagDateTimeDigitized = 0x9004
	tagOffsetTimeOrig    = 0x9011
	tagSubSecTimeOrig    = 0x9291
	tagFocalLength       = 0x920A
	tagLensModel         = 0xA434
	tagGPSLatitudeRef    = 1
	tagGPSLatitude       = 2
	tagGPSLongitudeRef   = 3
	tagGPSLongitude      = 4
)

// maxIFDEntries bounds the entries read from one IFD. Cameras write a few
// dozen; a count of 65535 in a 64 KiB segment is a lie the bound makes cheap.
const maxIFDEntries = 1024

// maxExifString bounds the bytes kept of a text field.
const maxExifString = 128

// tiffData is a TIFF structure, every offset into it checked.
type tiffData struct {
	b  []byte
	bo binary.ByteOrder
}

type tiffEntry struct {
	tag, typ uint16
	count    uint32
	field    []byte // the 4-byte value or offset field
}

// newTIFF checks the header of b and returns it with the offset of IFD0.
func newTIFF(b []byte) (tiffData, uint32, bool) {
	if len(b) < 8 {
		return tiffData{}, 0, false
	}
	var t tiffData
	switch string(b[:2]) {
	case "II":
		t.bo = binary.LittleEndian
	case "MM":
		t.bo = binary.BigEndian
	default:
		return tiffData{}, 0, false
	}
	if t.bo.Uint16(b[2:]) != tiffMagic {
		return tiffData{}, 0, false
	}
	t.b = b
	return t, t.bo.Uint32(b[4:]), true
}

// ifd returns the entries of the IFD at off, as many as the data holds and
// at most maxIFDEntries; nil for an offset outside the data.
func (t tiffData) ifd(off uint32) []tiffEntry {
	o := uint64(off) // no sum of two uint32 wraps in uint64
	if o < 8 || o+2 > uint64(len(t.b)) {
		return nil
	}
	n := int(t.bo.Uint16(t.b[o:]))
	n = min(n, (len(t.b)-int(o)-2)/ifdEntrySize, maxIFDEntries)
	entries := make([]tiffEntry, n)
	for i := range entries {
		e := t.b[int(o)+2+i*ifdEntrySize:]
		entries[i] = tiffEntry{
			tag:   t.bo.Uint16(e[0:]),
			typ:   t.bo.Uint16(e[2:]),
			count: t.bo.Uint32(e[4:]),
			field: e[8:12],
		}
	}
	return entries
}

// typeSizes are the bytes of one value of each TIFF type, 0 when unknown.
var typeSizes = [...]uint64{1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8}

// value returns the bytes of e's values, inline or at their offset; false
// when the type is unknown or they lie outside the data.
func (t tiffData) value(e tiffEntry) ([]byte, bool) {
	if int(e.typ) >= len(typeSizes) || typeSizes[e.typ] == 0 || e.count == 0 {
		return nil, false
	}
	size := typeSizes[e.typ] * uint64(e.count) // < 2^36: no overflow
	if size <= 4 {
		return e.field[:size], true
	}
	off := uint64(t.bo.Uint32(e.field))
	if off+size > uint64(len(t.b)) {
		return nil, false
	}
	return t.b[off : off+size], true
}

func (t tiffData) uint(e tiffEntry) (uint32, bool) {
	v, ok := t.value(e)
	switch {
	case !ok:
		return 0, false
	case e.typ == typeShort:
		return uint32(t.bo.Uint16(v)), true
	case e.typ == typeLong:
		return t.bo.Uint32(v), true
	}
	return 0, false
}

// rationals returns e's unsigned rationals (type 5) as numerator and
// denominator pairs.
func (t tiffData) rationals(e tiffEntry) [][2]uint32 {
	v, ok := t.value(e)
	if !ok || e.typ != typeRational {
		return nil
	}
	out := make([][2]uint32, len(v)/8)
	for i := range out {
		out[i] = [2]uint32{t.bo.Uint32(v[8*i:]), t.bo.Uint32(v[8*i+4:])}
	}
	return out
}

func (t tiffData) float(e tiffEntry) float64 {
	r := t.rationals(e)
	if len(r) == 0 || r[0][1] == 0 {
		return 0
	}
	return math.Round(float64(r[0][0])/float64(r[0][1])*100) / 100
}

func (t tiffData) text(e tiffEntry) string {
	v, ok := t.value(e)
	if !ok || (e.typ != typeASCII && e.typ != typeUndefined) {
		return ""
	}
	if i := strings.IndexByte(string(v), 0); i >= 0 {
		v = v[:i]
	}
	return cleanText(string(v[:min(len(v), maxExifString)]))
}

// TIFF types beyond SHORT and LONG.
const (
	typeASCII     = 2
	typeRational  = 5
	typeUndefined = 7
)

// cleanText makes a field of the file fit to show: valid UTF-8 (a rune cut
// by the length bound dropped), no control characters, no padding.
func cleanText(s string) string {
	s = strings.ToValidUTF8(s, "")
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, s)
	return strings.TrimSpace(s)
}

// parseExif reads the camera fields from the TIFF structure of an EXIF
// block. It visits IFD0 and the Exif and GPS IFDs it points to, each once
// and without following next-IFD links, so no loop in the offsets can make
// it read more than three bounded IFDs. It returns nil when nothing useful
// is there.
func parseExif(b []byte) *Exif {
	t, off0, ok := newTIFF(b)
	if !ok {
		return nil
	}
	var x Exif
	var exifOff, gpsOff uint32
	var dateTime, original, digitized, offset, subsec string
	for _, e := range t.ifd(off0) {
		switch e.tag {
		case tagMake:
			x.Make = t.text(e)
		case tagModel:
			x.Model = t.text(e)
		case tagOrientation:
			if v, ok := t.uint(e); ok && v >= 1 && v <= 8 {
				x.Orientation = int(v)
			}
		case tagDateTime:
			dateTime = t.text(e)
		case tagExifIFD:
			exifOff, _ = t.uint(e)
		case tagGPSIFD:
			gpsOff, _ = t.uint(e)
		}
	}
	if exifOff != 0 && exifOff != off0 {
		for _, e := range t.ifd(exifOff) {
			switch e.tag {
			case tagExposureTime:
				if r := t.rationals(e); len(r) > 0 {
					x.ExposureTime = exposure(r[0][0], r[0][1])
				}
			case tagFNumber:
				x.FNumber = t.float(e)
			case tagISO:
				if v, ok := t.uint(e); ok && v > 0 && v <= math.MaxInt32 {
					x.ISO = int(v)
				}
			case tagFocalLength:
				x.FocalLength = t.float(e)
			case tagDateTimeOriginal:
				original = t.text(e)
			case tagDateTimeDigitized:
				digitized = t.text(e)
			case tagOffsetTimeOrig:
				offset = t.text(e)
			case tagSubSecTimeOrig:
				subsec = t.text(e)
			case tagLensModel:
				x.Lens = t.text(e)
			}
		}
	}
	if gpsOff != 0 && gpsOff != off0 && gpsOff != exifOff {
		x.Latitude, x.Longitude = t.gps(gpsOff)
	}
	switch {
	case original != "":
		x.TakenAt = exifTime(original, subsec, offset)
	case digitized != "":
		x.TakenAt = exifTime(digitized, "", "")
	case dateTime != "":
		x.TakenAt = exifTime(dateTime, "", "")
	}
	if x == (Exif{}) {
		return nil
	}
	return &x
}

// gps reads the position from the GPS IFD at off; nil, nil when it is not
// all there or out of range.
func (t tiffData) gps(off uint32) (lat, lon *float64) {
	var latRef, lonRef string
	var latV, lonV [][2]uint32
	for _, e := range t.ifd(off) {
		switch e.tag {
		case tagGPSLatitudeRef:
			latRef = t.text(e)
		case tagGPSLatitude:
			latV = t.rationals(e)
		case tagGPSLongitudeRef:
			lonRef = t.text(e)
		case tagGPSLongitude:
			lonV = t.rationals(e)
		}
	}
	la, ok1 := degrees(latV, latRef, "N", "S", 90)
	lo, ok2 := degrees(lonV, lonRef, "E", "W", 180)
	if !ok1 || !ok2 {
		return nil, nil
	}
	return &la, &lo
}

// degrees turns degrees, minutes and seconds with a reference (N or S, E or
// W) into signed degrees no greater than limit.
func degrees(v [][2]uint32, ref, pos, neg string, limit float64) (float64, bool) {
	if len(v) != 3 || (ref != pos && ref != neg) {
		return 0, false
	}
	var d float64
	for i, unit := range []float64{1, 60, 3600} {
		if v[i][1] == 0 {
			return 0, false
		}
		d += float64(v[i][0]) / float64(v[i][1]) / unit
	}
	if d > limit {
		return 0, false
	}
	if ref == neg {
		d = -d
	}
	return d, true
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

// exifTime parses an EXIF date ("2006:01:02 15:04:05"), with its
// sub-seconds digits and offset ("+02:00") when given; nil when it is not a
// real date (cameras write zeros and blanks when their clock is unset).
func exifTime(s, subsec, offset string) *time.Time {
	t, err := time.Parse("2006:01:02 15:04:05", s)
	if err != nil || t.Year() < 1800 {
		return nil
	}
	if subsec != "" && len(subsec) <= 9 && strings.Trim(subsec, "0123456789") == "" {
		ns, _ := strconv.Atoi((subsec + "000000000")[:9])
		t = t.Add(time.Duration(ns))
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

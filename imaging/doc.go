// Package imaging decodes uploaded images under limits and says what they
// are: the type, from the bytes alone, and the size as displayed, with any
// EXIF orientation applied. It is pure: it does no file or network I/O of its
// own and only reads the reader it is given.
//
// Every decode is bounded before it starts. The pixel count comes from the
// header, a GIF's frames are counted by walking its blocks without decoding
// them, and the full decode that proves an image is readable whole runs at
// most Limits.MaxConcurrent at a time, under recover, so a hostile file is
// refused with an error instead of exhausting memory or crashing the process.
//
// Faults in the image are *gallery.Error values (EUNSUPPORTED, EUNPROCESSABLE)
// whose text also carries the decoder's own reason for the log; faults of the
// reader and a done context are returned as they are.
//
// # Caveats
//
//   - Only still WebP decodes: golang.org/x/image/webp has no animation
//     support, so an animated WebP is refused as unprocessable.
//   - Go's JPEG decoder has no arithmetic coding and no 12-bit samples, and
//     Go's GIF decoder requires the trailer byte that some encoders leave out;
//     such files are unprocessable here though browsers may show them.
//   - Orientation is read from JPEG EXIF only; PNG eXIf and WebP EXIF chunks
//     are ignored.
//   - A full decode holds the whole image in memory: 4 bytes a pixel for an
//     RGBA PNG, 8 for a 16-bit one, up to 15 for a progressive JPEG (Go keeps
//     every coefficient), and up to 4×MaxPixels bytes for a GIF's frames. At
//     the default MaxPixels one decode may take over a gigabyte; size
//     MaxPixels and MaxConcurrent for the box.
package imaging

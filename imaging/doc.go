// Package imaging turns uploaded bytes into what the repository keeps of an
// image, under limits: the type, from the bytes alone; the size as
// displayed, with any EXIF orientation applied; two upright thumbnails
// without metadata; the camera data from the EXIF; and a perceptual hash for
// finding similar images. It also copies an original without its location
// (StripLocation). It is pure: it does no file or network I/O of its own and
// only reads the reader it is given.
//
// Process does all of it from one decode; Inspect is the same check without
// thumbnails. Every decode is bounded before it starts: the pixel count
// comes from the header, a GIF's frames are counted by walking its blocks
// without decoding them, and the full decode runs in one of
// Limits.MaxConcurrent slots and within Limits.MaxPixelsInFlight pixels of
// all decodes together, under recover, so that a hostile file is refused
// with an error instead of exhausting memory or crashing the process.
//
// Thumbnails are made from the decoded planes: boxes of whole factors
// averaged down to less than twice the target, then a Catmull-Rom filter in
// fixed point to the exact size; a JPEG stays in YCbCr planes throughout
// and the small thumbnail is made from the large one. A JPEG is decoded at
// 1/2, 1/4 or 1/8 of its size where that still leaves at least the large
// thumbnail's pixels (internal/jpegscaled, image/jpeg with libjpeg's scaled
// inverse DCT): a 12 MP photo at 2000×1500. They are JPEG
// (quality 85) when the image is opaque and PNG when it has transparency.
//
// Faults in the image are *gallery.Error values (EUNSUPPORTED, EUNPROCESSABLE)
// whose text also carries the decoder's own reason for the log; faults of the
// reader and a done context are returned as they are.
//
// # Caveats
//
//   - HEIC and AVIF are decoded by libheif and libavif compiled to
//     WebAssembly (github.com/gen2brain/heic and avif, run by wazero): the
//     first decode of each compiles the module (about a second); a decode,
//     once started, cannot be stopped by its context; the modules may write
//     warnings to the process's stderr. Both packages register themselves
//     with image.RegisterFormat when imported. Without the build tag
//     nodynamic they also try a system libheif or libavif through purego
//     and make a CGO_ENABLED=0 binary dynamically linked: release builds
//     should pass -tags nodynamic.
//   - A HEIC's header is read from its first 32 KiB: one whose meta box lies
//     further is refused. HEIC orientation (irot, imir) is applied by
//     libheif; libavif leaves an AVIF's irot and imir unapplied, so such an
//     AVIF's thumbnails are not turned. A 10- or 12-bit AVIF is held at 8
//     bytes a pixel, twice, while it is converted.
//   - EXIF orientation is applied to JPEG only, as before: browsers differ
//     on PNG and WebP, and HEIC's own transformations come first. The
//     Orientation field still reports the tag of every type.
//   - Only still WebP decodes: golang.org/x/image/webp has no animation
//     support, so an animated WebP is refused as unprocessable.
//   - Go's JPEG decoder has no arithmetic coding and no 12-bit samples, and
//     Go's GIF decoder requires the trailer byte that some encoders leave out;
//     such files are unprocessable here though browsers may show them.
//   - Colour profiles are not applied: the thumbnails of a wide-gamut (Display
//     P3, Adobe RGB) photo are its numbers read as sRGB, a little dull.
//   - EXIF is found in its container here (a JPEG's APP1, a PNG's eXIf, a
//     WebP's EXIF chunk, a HEIC's or AVIF's Exif item, each bounded) and read
//     by github.com/bep/imagemeta, Hugo's reader: IFD0 and the Exif and GPS
//     IFDs, each pointer followed once, at most 2000 tags, values over 4 KiB
//     skipped, text cut at 128 bytes. Tags an IFD holds after a pointer seen
//     before are lost (the reader then walks that IFD out of step; only a
//     crafted file does this). TakenAt is to the second (imagemeta turns
//     SubSecTimeOriginal into a number, losing its leading zeros), the
//     camera's wall clock read as UTC when the EXIF gives no offset. A HEIC's
//     or AVIF's Exif item is found only when stored as one extent after the
//     meta box. The thumbnails' orientation is read by a small bounded reader
//     of one tag (Orientation), the fast path before decoding.
//   - StripLocation keeps a HEIC's or AVIF's XMP item (rarely written by
//     cameras, but it may hold a position) and cannot remove location kept
//     in a maker note.
//   - A full decode holds the whole image in memory: 1.5 bytes a pixel for a
//     baseline 4:2:0 JPEG (a quarter of that at 1/2 scale), 4 for an RGBA
//     PNG, 8 for a 16-bit one, up to 9 for a progressive JPEG (every
//     coefficient is kept, in 16 bits, at any scale), and up to 4×MaxPixels bytes for a
//     GIF's frames. MaxPixelsInFlight bounds the pixels of the whole images,
//     not these bytes: size it, and MaxConcurrent, for the box.
package imaging

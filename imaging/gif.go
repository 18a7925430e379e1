package imaging

import (
	"bufio"
	"errors"
	"io"

	"imagerepo/gallery"
)

// gifLimits are the Decoder's limits as they apply to one GIF.
type gifLimits struct {
	maxFrames   int
	maxPixels   int64 // for the extent of any one frame
	totalPixels int64 // for all frames together, as gif.DecodeAll holds them
}

// GIF block introducers and flags (GIF89a, sections 18 to 27).
const (
	gifExtension       = 0x21
	gifImageDescriptor = 0x2C
	gifTrailer         = 0x3B
	gifColorTableFlag  = 0x80
	gifColorTableSize  = 0x07
)

var errGIFStructure = errors.New("imaging: malformed GIF block structure")

// walkGIF checks a GIF against lim before anything decodes its frames. It
// walks the block structure, skipping extensions, color tables and image
// data, so it holds no more than one block header in memory however many
// frames the file claims, and it stops at the first frame over a limit.
func walkGIF(br *bufio.Reader, lim gifLimits) error {
	var hdr [13]byte // signature, version, logical screen descriptor
	if _, err := io.ReadFull(br, hdr[:]); err != nil {
		return err
	}
	if err := skipColorTable(br, hdr[10]); err != nil {
		return err
	}
	var frames int
	var total int64
	for {
		c, err := br.ReadByte()
		if err != nil {
			return err
		}
		switch c {
		case gifExtension:
			if _, err := br.ReadByte(); err != nil { // the label
				return err
			}
			if err := skipSubBlocks(br); err != nil {
				return err
			}
		case gifImageDescriptor:
			var desc [9]byte // left, top, width, height, flags
			if _, err := io.ReadFull(br, desc[:]); err != nil {
				return err
			}
			frames++
			if frames > lim.maxFrames {
				return gallery.Errorf(gallery.EUNPROCESSABLE,
					"the GIF has more than %d frames", lim.maxFrames)
			}
			left, top := le16(desc[0:]), le16(desc[2:])
			w, h := le16(desc[4:]), le16(desc[6:])
			// A frame may claim to extend past the logical screen; what it
			// would need is the screen grown to hold it.
			if ew, eh := int64(left+w), int64(top+h); ew > 0 && eh > 0 && ew > lim.maxPixels/eh {
				return tooManyPixels(left+w, top+h, lim.maxPixels)
			}
			// Each term is below 2^32 and the sum stops at the first excess,
			// so it cannot overflow.
			total += int64(w) * int64(h)
			if total > lim.totalPixels {
				return gallery.Errorf(gallery.EUNPROCESSABLE,
					"the GIF is too large: its frames hold more than %d pixels in all", lim.totalPixels)
			}
			if err := skipColorTable(br, desc[8]); err != nil {
				return err
			}
			if _, err := br.ReadByte(); err != nil { // LZW minimum code size
				return err
			}
			if err := skipSubBlocks(br); err != nil {
				return err
			}
		case gifTrailer:
			return nil
		default:
			return errGIFStructure
		}
	}
}

func skipColorTable(br *bufio.Reader, flags byte) error {
	if flags&gifColorTableFlag == 0 {
		return nil
	}
	_, err := br.Discard(3 << (1 + flags&gifColorTableSize))
	return err
}

// skipSubBlocks skips a chain of data sub-blocks: a size byte, that many
// bytes, and so on until a size of zero.
func skipSubBlocks(br *bufio.Reader) error {
	for {
		n, err := br.ReadByte()
		if err != nil {
			return err
		}
		if n == 0 {
			return nil
		}
		if _, err := br.Discard(int(n)); err != nil {
			return err
		}
	}
}

func le16(b []byte) int { return int(b[0]) | int(b[1])<<8 }

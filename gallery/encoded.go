package gallery

import "context"

// Encoded is a document together with the encoding of it that anyone who
// may see it may be shown (without its location): what the hot-id cache
// keeps beside the document, so that a hit is served without encoding.
type Encoded struct {
	Image *Image // shared with the cache on a hit: read only
	Body  []byte // encode(Image) as it was when cached; shared, read only
	Hit   bool   // served from the cache
}

// EncodedFinder is implemented by image services that keep an encoding of
// each cached document beside it (the hot-id cache). The api package asks
// for it when the service it was given has it.
type EncodedFinder interface {
	// FindImageEncoded is FindImageByID that also returns encode(img),
	// made once per cached document. encode must be the same pure function
	// on every call to one service. ENOTFOUND when there is no such image.
	FindImageEncoded(ctx context.Context, id string, encode func(*Image) ([]byte, error)) (*Encoded, error)
}

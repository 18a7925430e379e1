package gallery

import (
	"context"
	"time"
)

// SearchQuery asks the title index for ranked images.
type SearchQuery struct {
	Text string // what the user typed; always taken as plain text, never as query syntax

	Tag  string     // only images with this tag
	Type string     // only this content type, e.g. image/png
	From *time.Time // created at or after
	To   *time.Time // created before

	Camera    string     // only images taken with this camera (make and model, or words of them)
	TakenFrom *time.Time // taken at or after (EXIF time)
	TakenTo   *time.Time // taken before

	Owner  *string // only this owner's images
	Viewer *User   // only images this viewer may see; nil is anonymous

	Cursor string // from the previous page's next; "" for the first page
	Limit  int    // 1..MaxPageLimit; 0 means DefaultPageLimit
}

// SearchResult is one page of ranked image ids, best first.
type SearchResult struct {
	IDs   []string
	Next  string // "" on the last page
	Total int    // matches this viewer may see, over all pages
}

// SearchService finds images by their text. The search package implements
// it over its index; documents are then loaded through the ImageService.
type SearchService interface {
	// SearchImages returns ranked ids. EINVALID for a malformed cursor or
	// limit, or a query too long to search.
	SearchImages(ctx context.Context, q SearchQuery) (*SearchResult, error)
}

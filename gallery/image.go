package gallery

import (
	"context"
	"io"
	"path"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Visibility says who may see an image.
type Visibility string

const (
	Public  Visibility = "public"
	Private Visibility = "private"
)

// Valid reports whether v is a known visibility.
func (v Visibility) Valid() bool { return v == Public || v == Private }

// Limits on the text a user attaches to an image.
const (
	MaxTitleLen       = 200
	MaxDescriptionLen = 10000
	MaxTags           = 50
	MaxTagLen         = 64
	MaxFilenameLen    = 255
)

// Image is one stored image document. Width and Height are as displayed,
// with any EXIF orientation applied.
type Image struct {
	ID          string     `json:"id"`
	Title       string     `json:"title"`
	Description string     `json:"description"`
	Tags        []string   `json:"tags"`
	Owner       string     `json:"owner"`
	Visibility  Visibility `json:"visibility"`
	Filename    string     `json:"filename"`
	ContentType string     `json:"content_type"`
	Bytes       int64      `json:"bytes"`
	Width       int        `json:"width"`
	Height      int        `json:"height"`
	SHA256      string     `json:"sha256"`
	CreatedAt   time.Time  `json:"created_at"`
	UpdatedAt   time.Time  `json:"updated_at"`

	Camera   *Camera    `json:"camera,omitempty"`
	TakenAt  *time.Time `json:"taken_at,omitempty"`
	Location *Location  `json:"location,omitempty"` // shown to the owner and admins only
	Hash     uint64     `json:"-"`                  // perceptual hash; 0 when not computed
	Thumbs   []Thumb    `json:"-"`                  // none for images stored before thumbnails
}

// Clone returns a deep copy, so that a holder of the copy can never change
// the original (the hot-id cache hands out clones).
func (img *Image) Clone() *Image {
	if img == nil {
		return nil
	}
	c := *img
	c.Tags = append([]string(nil), img.Tags...)
	if c.Tags == nil {
		c.Tags = []string{}
	}
	c.cloneMedia()
	return &c
}

// Validate checks the user-supplied fields of a new image and normalises
// them (tags trimmed and de-duplicated, title defaulted by the caller).
func (img *Image) Validate() error {
	var err error
	if img.Title, err = validTitle(img.Title); err != nil {
		return err
	}
	if img.Description, err = validText("description", img.Description, MaxDescriptionLen, true); err != nil {
		return err
	}
	if img.Tags, err = NormalizeTags(img.Tags); err != nil {
		return err
	}
	if img.Visibility == "" {
		img.Visibility = Public
	}
	if !img.Visibility.Valid() {
		return Errorf(EINVALID, "visibility must be %q or %q", Public, Private)
	}
	return nil
}

// ImageInfo is what the image decoder learns from an upload's bytes.
type ImageInfo struct {
	ContentType string // image/jpeg, image/png, image/gif, image/webp, image/heic or image/avif
	Width       int    // as displayed, EXIF orientation applied
	Height      int
}

// ImageFilter selects a page of images, newest first.
type ImageFilter struct {
	Tag    string  // only images with this tag
	SHA256 string  // only images whose bytes have this hex sha256
	Owner  *string // only this owner's images
	Viewer *User   // only images this viewer may see (CanSee); nil is anonymous
	All    bool    // ignore Viewer: every image (rebuilds, migrations, admin tools)

	Cursor string // from the previous page's next cursor; "" for the first page
	Limit  int    // 1..MaxPageLimit; 0 means DefaultPageLimit
}

// Page sizes for FindImages.
const (
	DefaultPageLimit = 50
	MaxPageLimit     = 200
)

// ImageUpdate holds the fields a PATCH may change; nil leaves a field as is.
type ImageUpdate struct {
	Title       *string     `json:"title"`
	Description *string     `json:"description"`
	Tags        *[]string   `json:"tags"`
	Visibility  *Visibility `json:"visibility"`
}

// Apply validates upd and applies it to img.
func (upd ImageUpdate) Apply(img *Image) error {
	if upd.Title != nil {
		t, err := validTitle(*upd.Title)
		if err != nil {
			return err
		}
		img.Title = t
	}
	if upd.Description != nil {
		d, err := validText("description", *upd.Description, MaxDescriptionLen, true)
		if err != nil {
			return err
		}
		img.Description = d
	}
	if upd.Tags != nil {
		tags, err := NormalizeTags(*upd.Tags)
		if err != nil {
			return err
		}
		img.Tags = tags
	}
	if upd.Visibility != nil {
		if !upd.Visibility.Valid() {
			return Errorf(EINVALID, "visibility must be %q or %q", Public, Private)
		}
		img.Visibility = *upd.Visibility
	}
	return nil
}

// ImageService stores and finds image documents and their bytes. The store
// implements it; the search indexer and the hot-id cache wrap it.
type ImageService interface {
	// FindImageByID returns the image with that id.
	// ENOTFOUND when there is none, including for a malformed id.
	FindImageByID(ctx context.Context, id string) (*Image, error)

	// FindImages returns one page of images, newest first, and the cursor of
	// the next page ("" on the last page).
	// EINVALID for a malformed cursor, a limit out of range or a bad sha256.
	FindImages(ctx context.Context, filter ImageFilter) ([]*Image, string, error)

	// CreateImage stores the bytes read from body and then the document img,
	// whose Title, Description, Tags, Owner, Visibility, Filename,
	// ContentType, Width and Height the caller has filled and validated. The
	// service sets ID, SHA256, Bytes, CreatedAt and UpdatedAt. When the owner
	// already has an image with the same bytes, nothing is written and that
	// image is returned with duplicate true. thumbs are stored beside the
	// original, content-addressed too, and listed in the document's Thumbs;
	// the caller may also fill Camera, TakenAt, Location and Hash.
	// EINSUFFICIENTSTORAGE when the disk is full.
	CreateImage(ctx context.Context, img *Image, body io.Reader, thumbs ...ThumbData) (created *Image, duplicate bool, err error)

	// UpdateImage applies upd to the image and returns the updated document.
	// ENOTFOUND when there is no such image; EINVALID for a bad field.
	UpdateImage(ctx context.Context, id string, upd ImageUpdate) (*Image, error)

	// DeleteImage removes the document, and its bytes when no other document
	// refers to them. ENOTFOUND when there is no such image.
	DeleteImage(ctx context.Context, id string) error

	// OpenBlob opens the stored bytes with that hex sha256 for reading. The
	// caller closes it. ENOTFOUND when no such bytes are stored.
	OpenBlob(ctx context.Context, sha256 string) (io.ReadSeekCloser, error)
}

// NormalizeTags trims each tag, drops empty ones and repeats (case-insensitively,
// keeping the first spelling) and enforces the tag limits. It never returns nil.
func NormalizeTags(tags []string) ([]string, error) {
	out := make([]string, 0, len(tags))
	seen := make(map[string]bool, len(tags))
	for _, t := range tags {
		t = strings.TrimSpace(t)
		if t == "" {
			continue
		}
		if !utf8.ValidString(t) || strings.ContainsFunc(t, unicode.IsControl) {
			return nil, Errorf(EINVALID, "tags must be text without control characters")
		}
		if utf8.RuneCountInString(t) > MaxTagLen {
			return nil, Errorf(EINVALID, "a tag may be at most %d characters", MaxTagLen)
		}
		k := strings.ToLower(t)
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, t)
	}
	if len(out) > MaxTags {
		return nil, Errorf(EINVALID, "an image may have at most %d tags", MaxTags)
	}
	return out, nil
}

// SplitTags splits the comma separated tags of an upload form.
func SplitTags(s string) []string {
	if strings.TrimSpace(s) == "" {
		return []string{}
	}
	return strings.Split(s, ",")
}

// SanitizeFilename reduces a client-supplied file name to its base name
// without control, direction-override or path characters, at most MaxFilenameLen bytes. The
// result is only ever stored as text; nothing is written at a path built
// from it.
func SanitizeFilename(name string) string {
	name = strings.ToValidUTF8(name, "")
	name = strings.ReplaceAll(name, "\\", "/")
	name = path.Base(name)
	name = strings.Map(func(r rune) rune {
		switch {
		// Direction overrides would let "\u202egnp.exe" show as "exe.png".
		case unicode.IsControl(r), unicode.Is(unicode.Bidi_Control, r), r == '/', r == '"', r == '<', r == '>', r == ':', r == '|', r == '?', r == '*':
			return -1
		case unicode.IsSpace(r):
			return ' '
		}
		return r
	}, name)
	name = strings.TrimSpace(strings.Trim(name, "."))
	for len(name) > MaxFilenameLen {
		_, size := utf8.DecodeLastRuneInString(name)
		name = name[:len(name)-size]
	}
	if name == "" {
		return "image"
	}
	return name
}

// TitleFromFilename is the default title: the file name without extension.
func TitleFromFilename(filename string) string {
	t := strings.TrimSpace(strings.TrimSuffix(filename, path.Ext(filename)))
	for utf8.RuneCountInString(t) > MaxTitleLen {
		_, size := utf8.DecodeLastRuneInString(t)
		t = t[:len(t)-size]
	}
	if t == "" {
		return filename
	}
	return t
}

func validTitle(s string) (string, error) {
	t, err := validText("title", s, MaxTitleLen, false)
	if err == nil && t == "" {
		return "", Errorf(EINVALID, "title must not be empty")
	}
	return t, err
}

func validText(field, s string, max int, allowNewlines bool) (string, error) {
	if !utf8.ValidString(s) {
		return "", Errorf(EINVALID, "%s must be valid UTF-8", field)
	}
	if strings.ContainsFunc(s, func(r rune) bool {
		return unicode.IsControl(r) && !(allowNewlines && (r == '\n' || r == '\t' || r == '\r'))
	}) {
		return "", Errorf(EINVALID, "%s must not contain control characters", field)
	}
	s = strings.TrimSpace(s)
	if utf8.RuneCountInString(s) > max {
		return "", Errorf(EINVALID, "%s may be at most %d characters", field, max)
	}
	return s, nil
}

// ValidSHA256 reports whether s is a lower-case hex sha256.
func ValidSHA256(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

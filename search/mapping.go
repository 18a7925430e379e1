package search

import (
	"strings"
	"time"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/custom"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/keyword"
	"github.com/blevesearch/bleve/v2/analysis/char/asciifolding"
	"github.com/blevesearch/bleve/v2/analysis/char/regexp"
	"github.com/blevesearch/bleve/v2/analysis/lang/en"
	"github.com/blevesearch/bleve/v2/analysis/token/edgengram"
	"github.com/blevesearch/bleve/v2/analysis/token/lowercase"
	"github.com/blevesearch/bleve/v2/analysis/token/porter"
	"github.com/blevesearch/bleve/v2/analysis/tokenizer/unicode"
	"github.com/blevesearch/bleve/v2/mapping"

	"imagerepo/gallery"
)

// mappingVersion is stored in the index; an index written with another
// version is rebuilt at Open. Bump it with every change to the mapping or the
// analyzers below.
const mappingVersion = "2"

// Analyzer names. Every text analyzer folds accents before it splits words
// (so that "Café" is indexed as "cafe") and lower-cases the words; the stem
// analyzer then reduces English words to their stem ("dogs" to "dog").
const (
	anExact    = "ir_exact"
	anStem     = "ir_stem"
	anPrefix   = "ir_prefix"
	anFilename = "ir_filename"
	cfFileSep  = "ir_filesep"
	cfWordSep  = "ir_wordsep"
	tfEdge     = "ir_edge"
)

// Prefixes of title words are indexed from 2 to maxPrefixLen runes; a longer
// last word falls back to a prefix query, which is cheap for long prefixes.
const (
	minPrefixLen = 2
	maxPrefixLen = 8
)

// Field names in the index. The title is indexed three times: as words, as
// stems and as word prefixes, so that an exact word can rank above its stem
// and both above a prefix or a misspelling.
const (
	fTitle       = "title"
	fTitleStem   = "title_stem"
	fTitlePrefix = "title_prefix"
	fDescription = "description"
	fTags        = "tags" // text, stemmed
	fTag         = "tag"  // keyword, lower-cased: the tag filter
	fFilename    = "filename"
	fOwner       = "owner"
	fVisibility  = "visibility"
	fType        = "type"
	fCreated     = "created"
	fCamera      = "camera"      // keyword, lower-cased: EXIF make and model
	fCameraText  = "camera_text" // the same as words
	fTaken       = "taken"       // the EXIF capture time
)

// noOwner is indexed for images without an owner, so that an owner filter
// for "" can match them (bleve indexes no empty terms).
const noOwner = "\x00"

// imageDoc is what the index stores of a gallery.Image. Its json names are
// the document's property paths in the mapping.
type imageDoc struct {
	Title       string    `json:"title"`
	Description string    `json:"description"`
	Tags        []string  `json:"tags"`
	Filename    string    `json:"filename"`
	Owner       string    `json:"owner"`
	Visibility  string    `json:"visibility"`
	Type        string    `json:"type"`
	Created     time.Time `json:"created"`
	Camera      string    `json:"camera,omitempty"`
	Taken       any       `json:"taken,omitempty"` // a time.Time, or nil when unknown
}

func newImageDoc(img *gallery.Image) *imageDoc {
	tags := make([]string, len(img.Tags))
	for i, t := range img.Tags {
		tags[i] = strings.ToLower(t) // as the store matches tags
	}
	owner := img.Owner
	if owner == "" {
		owner = noOwner
	}
	// Anything but public is shown as private is: to its owner and admins.
	vis := gallery.Private
	if img.Visibility == gallery.Public {
		vis = gallery.Public
	}
	d := &imageDoc{
		Title:       img.Title,
		Description: img.Description,
		Tags:        tags,
		Filename:    img.Filename,
		Owner:       owner,
		Visibility:  string(vis),
		Type:        strings.ToLower(img.ContentType),
		Created:     img.CreatedAt.UTC(),
		Camera:      cameraName(img.Camera),
	}
	if img.TakenAt != nil {
		d.Taken = img.TakenAt.UTC()
	}
	return d
}

// cameraName is the camera's make and model as one lower-cased string, the
// make left out where the model already starts with it ("Canon Canon EOS
// 5D" is "canon eos 5d").
func cameraName(c *gallery.Camera) string {
	if c == nil {
		return ""
	}
	mk := strings.Join(strings.Fields(strings.ToLower(c.Make)), " ")
	model := strings.Join(strings.Fields(strings.ToLower(c.Model)), " ")
	switch {
	case mk == "":
		return model
	case model == "":
		return mk
	case strings.HasPrefix(model, mk):
		return model
	}
	return mk + " " + model
}

// newMapping returns the index mapping: a static document whose fields are
// listed here and nowhere else, nothing stored (searches return ids only)
// and no _all field.
func newMapping() (*mapping.IndexMappingImpl, error) {
	im := mapping.NewIndexMapping()
	err := im.AddCustomCharFilter(cfFileSep, map[string]any{
		"type":    regexp.Name,
		"regexp":  `[_.\-]`,
		"replace": " ",
	})
	if err != nil {
		return nil, err
	}
	// Unicode word breaks keep "holiday_photo" one word; titles made from
	// file names are full of those.
	err = im.AddCustomCharFilter(cfWordSep, map[string]any{
		"type":    regexp.Name,
		"regexp":  `_`,
		"replace": " ",
	})
	if err != nil {
		return nil, err
	}
	err = im.AddCustomTokenFilter(tfEdge, map[string]any{
		"type": edgengram.Name,
		"min":  float64(minPrefixLen),
		"max":  float64(maxPrefixLen),
	})
	if err != nil {
		return nil, err
	}
	analyzers := []struct {
		name    string
		chars   []string
		filters []string
	}{
		{anExact, []string{cfWordSep, asciifolding.Name}, []string{lowercase.Name}},
		{anStem, []string{cfWordSep, asciifolding.Name}, []string{en.PossessiveName, lowercase.Name, porter.Name}},
		{anPrefix, []string{cfWordSep, asciifolding.Name}, []string{lowercase.Name, tfEdge}},
		{anFilename, []string{cfFileSep, asciifolding.Name}, []string{lowercase.Name}},
	}
	for _, a := range analyzers {
		err := im.AddCustomAnalyzer(a.name, map[string]any{
			"type":          custom.Name,
			"char_filters":  a.chars,
			"tokenizer":     unicode.Name,
			"token_filters": a.filters,
		})
		if err != nil {
			return nil, err
		}
	}

	text := func(name, analyzer string, vectors bool) *mapping.FieldMapping {
		fm := mapping.NewTextFieldMapping()
		fm.Name = name
		fm.Analyzer = analyzer
		fm.Store = false
		fm.IncludeInAll = false
		fm.IncludeTermVectors = vectors // phrases need positions
		fm.DocValues = false
		return fm
	}
	kw := func(name string) *mapping.FieldMapping {
		fm := mapping.NewKeywordFieldMapping()
		fm.Name = name
		fm.Analyzer = keyword.Name
		fm.Store = false
		fm.IncludeInAll = false
		fm.IncludeTermVectors = false
		fm.DocValues = false
		return fm
	}
	date := func(name string) *mapping.FieldMapping {
		fm := mapping.NewDateTimeFieldMapping()
		fm.Name = name
		fm.Store = false
		fm.IncludeInAll = false
		fm.DocValues = true // sorting newest first
		return fm
	}

	doc := mapping.NewDocumentStaticMapping()
	// No _all field: every query names its fields.
	doc.AddSubDocumentMapping("_all", mapping.NewDocumentDisabledMapping())
	doc.AddFieldMappingsAt("title",
		text(fTitle, anExact, true),
		text(fTitleStem, anStem, false),
		text(fTitlePrefix, anPrefix, false))
	doc.AddFieldMappingsAt("description", text(fDescription, anStem, false))
	doc.AddFieldMappingsAt("tags", text(fTags, anStem, false), kw(fTag))
	doc.AddFieldMappingsAt("filename", text(fFilename, anFilename, false))
	doc.AddFieldMappingsAt("owner", kw(fOwner))
	doc.AddFieldMappingsAt("visibility", kw(fVisibility))
	doc.AddFieldMappingsAt("type", kw(fType))
	doc.AddFieldMappingsAt("created", date(fCreated))
	doc.AddFieldMappingsAt("camera", kw(fCamera), text(fCameraText, anExact, false))
	doc.AddFieldMappingsAt("taken", date(fTaken))

	im.DefaultMapping = doc
	im.DefaultAnalyzer = anExact
	im.IndexDynamic = false
	im.StoreDynamic = false
	im.DocValuesDynamic = false
	if err := im.Validate(); err != nil {
		return nil, err
	}
	return im, nil
}

// analyzers holds the analyzers that queries reuse, so that a query's words
// are cut and folded exactly as the indexed ones were.
type analyzers struct {
	exact analysis.Analyzer
	stem  analysis.Analyzer
}

func newAnalyzers(im *mapping.IndexMappingImpl) analyzers {
	return analyzers{exact: im.AnalyzerNamed(anExact), stem: im.AnalyzerNamed(anStem)}
}

package store

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"go.etcd.io/bbolt"

	"imagerepo/gallery"
)

// imageDoc is the stored form of an image. It is the store's own type, so
// that a change to gallery.Image changes stored data only on purpose, with a
// migration.
type imageDoc struct {
	ID          string    `json:"id"`
	Title       string    `json:"title"`
	Description string    `json:"description"`
	Tags        []string  `json:"tags"`
	Owner       string    `json:"owner"`
	Visibility  string    `json:"visibility"`
	Filename    string    `json:"filename"`
	ContentType string    `json:"content_type"`
	Bytes       int64     `json:"bytes"`
	Width       int       `json:"width"`
	Height      int       `json:"height"`
	SHA256      string    `json:"sha256"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`

	// Since schema 3; documents from before lack them.
	Camera   *cameraDoc   `json:"camera,omitempty"`
	TakenAt  *time.Time   `json:"taken_at,omitempty"`
	Location *locationDoc `json:"location,omitempty"`
	Hash     uint64       `json:"hash,omitempty"`
	Thumbs   []thumbDoc   `json:"thumbs,omitempty"`
}

type cameraDoc struct {
	Make         string  `json:"make,omitempty"`
	Model        string  `json:"model,omitempty"`
	Lens         string  `json:"lens,omitempty"`
	ExposureTime string  `json:"exposure_time,omitempty"`
	FNumber      float64 `json:"f_number,omitempty"`
	FocalLength  float64 `json:"focal_length,omitempty"`
	ISO          int     `json:"iso,omitempty"`
}

type locationDoc struct {
	Latitude  float64 `json:"lat"`
	Longitude float64 `json:"lon"`
}

type thumbDoc struct {
	Size        string `json:"size"`
	SHA256      string `json:"sha256"`
	ContentType string `json:"content_type"`
	Width       int    `json:"width"`
	Height      int    `json:"height"`
	Bytes       int64  `json:"bytes"`
}

func marshalImage(img *gallery.Image) ([]byte, error) {
	d := imageDoc{
		ID: img.ID, Title: img.Title, Description: img.Description, Tags: img.Tags,
		Owner: img.Owner, Visibility: string(img.Visibility), Filename: img.Filename,
		ContentType: img.ContentType, Bytes: img.Bytes, Width: img.Width, Height: img.Height,
		SHA256: img.SHA256, CreatedAt: img.CreatedAt, UpdatedAt: img.UpdatedAt,
		TakenAt: img.TakenAt, Hash: img.Hash,
	}
	if c := img.Camera; c != nil {
		d.Camera = &cameraDoc{Make: c.Make, Model: c.Model, Lens: c.Lens, ExposureTime: c.ExposureTime,
			FNumber: c.FNumber, FocalLength: c.FocalLength, ISO: c.ISO}
	}
	if l := img.Location; l != nil {
		d.Location = &locationDoc{Latitude: l.Latitude, Longitude: l.Longitude}
	}
	for _, t := range img.Thumbs {
		d.Thumbs = append(d.Thumbs, thumbDoc{Size: t.Size, SHA256: t.SHA256, ContentType: t.ContentType,
			Width: t.Width, Height: t.Height, Bytes: t.Bytes})
	}
	return json.Marshal(d)
}

func unmarshalImage(data []byte) (*gallery.Image, error) {
	var d imageDoc
	if err := json.Unmarshal(data, &d); err != nil {
		return nil, err
	}
	if d.Tags == nil {
		d.Tags = []string{}
	}
	img := &gallery.Image{
		ID: d.ID, Title: d.Title, Description: d.Description, Tags: d.Tags,
		Owner: d.Owner, Visibility: gallery.Visibility(d.Visibility), Filename: d.Filename,
		ContentType: d.ContentType, Bytes: d.Bytes, Width: d.Width, Height: d.Height,
		SHA256: d.SHA256, CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt,
		TakenAt: d.TakenAt, Hash: d.Hash,
	}
	if c := d.Camera; c != nil {
		img.Camera = &gallery.Camera{Make: c.Make, Model: c.Model, Lens: c.Lens, ExposureTime: c.ExposureTime,
			FNumber: c.FNumber, FocalLength: c.FocalLength, ISO: c.ISO}
	}
	if l := d.Location; l != nil {
		img.Location = &gallery.Location{Latitude: l.Latitude, Longitude: l.Longitude}
	}
	for _, t := range d.Thumbs {
		img.Thumbs = append(img.Thumbs, gallery.Thumb{Size: t.Size, SHA256: t.SHA256, ContentType: t.ContentType,
			Width: t.Width, Height: t.Height, Bytes: t.Bytes})
	}
	return img, nil
}

// getImage loads one document; ENOTFOUND when there is none.
func getImage(tx *bbolt.Tx, id string) (*gallery.Image, error) {
	v := tx.Bucket(imagesBucket).Get([]byte(id))
	if v == nil {
		return nil, gallery.Errorf(gallery.ENOTFOUND, "image not found")
	}
	img, err := unmarshalImage(v)
	if err != nil {
		return nil, fmt.Errorf("store: decode image %s: %w", id, err)
	}
	return img, nil
}

// putImage writes the document and adds its index entries.
func putImage(tx *bbolt.Tx, img *gallery.Image) error {
	data, err := marshalImage(img)
	if err != nil {
		return err
	}
	if err := tx.Bucket(imagesBucket).Put([]byte(img.ID), data); err != nil {
		return err
	}
	if err := tx.Bucket(shaBucket).Put(shaKey(img.SHA256, img.Owner), []byte(img.ID)); err != nil {
		return err
	}
	for _, t := range img.Thumbs {
		if err := tx.Bucket(thumbRefBucket).Put(thumbRefKey(t.SHA256, img.ID), nil); err != nil {
			return err
		}
	}
	if len(img.Thumbs) == 0 {
		if err := bumpThumbless(tx); err != nil {
			return err
		}
	}
	return putTags(tx, img.ID, img.Tags)
}

// deleteImage removes the document and its index entries, and counts it
// out of the image stats.
func deleteImage(tx *bbolt.Tx, img *gallery.Image) error {
	if err := tx.Bucket(imagesBucket).Delete([]byte(img.ID)); err != nil {
		return err
	}
	if err := addImageStats(tx, -1, img.Bytes); err != nil {
		return err
	}
	if err := tx.Bucket(shaBucket).Delete(shaKey(img.SHA256, img.Owner)); err != nil {
		return err
	}
	for _, t := range img.Thumbs {
		if err := tx.Bucket(thumbRefBucket).Delete(thumbRefKey(t.SHA256, img.ID)); err != nil {
			return err
		}
	}
	return deleteTags(tx, img.ID, img.Tags)
}

func putTags(tx *bbolt.Tx, id string, tags []string) error {
	b := tx.Bucket(tagBucket)
	for _, t := range tags {
		if err := b.Put(tagKey(t, id), nil); err != nil {
			return err
		}
	}
	return nil
}

func deleteTags(tx *bbolt.Tx, id string, tags []string) error {
	b := tx.Bucket(tagBucket)
	for _, t := range tags {
		if err := b.Delete(tagKey(t, id)); err != nil {
			return err
		}
	}
	return nil
}

// shaKey is sha256 + "\x00" + owner. The sha has a fixed length, so any
// owner name fits behind it.
func shaKey(sha, owner string) []byte {
	return []byte(sha + "\x00" + owner)
}

// tagPrefix is lower(tag) + "\x00"; validated tags hold no control
// characters, so the prefix of one tag is never that of another.
func tagPrefix(tag string) []byte {
	return []byte(strings.ToLower(tag) + "\x00")
}

func tagKey(tag, id string) []byte {
	return append(tagPrefix(tag), id...)
}

// thumbRefKey is thumbnail sha256 + "\x00" + image id.
func thumbRefKey(sha, id string) []byte {
	return []byte(sha + "\x00" + id)
}

// shaReferenced reports whether any document refers to the bytes with that
// sha, as its original or as one of its thumbnails.
func shaReferenced(tx *bbolt.Tx, sha string) bool {
	return isOriginal(tx, sha) || hasPrefix(tx.Bucket(thumbRefBucket), []byte(sha+"\x00"))
}

// isOriginal reports whether the blob named sha is some image's original.
func isOriginal(tx *bbolt.Tx, sha string) bool {
	return hasPrefix(tx.Bucket(shaBucket), []byte(sha+"\x00"))
}

// hasPrefix reports whether b holds a key starting with prefix.
func hasPrefix(b *bbolt.Bucket, prefix []byte) bool {
	k, _ := b.Cursor().Seek(prefix)
	return k != nil && bytes.HasPrefix(k, prefix)
}

// scanDesc calls fn with the keys of b that start with prefix, largest
// first, beginning strictly below prefix+before (at the end of the prefix's
// range when before is ""), until fn returns false.
func scanDesc(b *bbolt.Bucket, prefix []byte, before string, fn func(k, v []byte) bool) {
	c := b.Cursor()
	var k, v []byte
	if before != "" {
		// Seek lands on the first key >= the bound; the one before it is
		// the first key strictly below.
		k, v = c.Seek(append(bytes.Clone(prefix), before...))
	} else if len(prefix) > 0 {
		// Keys in these buckets are text, so 0xff sorts past all of them.
		k, v = c.Seek(append(bytes.Clone(prefix), 0xff))
	}
	if k == nil {
		k, v = c.Last()
	} else {
		k, v = c.Prev()
	}
	for ; k != nil && bytes.HasPrefix(k, prefix); k, v = c.Prev() {
		if !fn(k, v) {
			return
		}
	}
}

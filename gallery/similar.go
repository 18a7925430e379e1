package gallery

import (
	"context"
	"math/bits"
)

// Similar is an image found by its perceptual hash and how far its hash is
// from the one asked about.
type Similar struct {
	Image    *Image
	Distance int // Hamming distance of the two 64-bit hashes: 0 (alike) to 64
}

// Limits of FindSimilar, and the distance within which an upload is
// flagged as looking like one of its owner's images.
const (
	DefaultSimilarLimit   = 12
	MaxSimilarLimit       = 50
	NearDuplicateDistance = 6
)

// SimilarFilter selects the images FindSimilar may return.
type SimilarFilter struct {
	Viewer *User   // only images this viewer may see (CanSee); nil is anonymous
	Owner  *string // only this owner's images
	Within int     // only images at most this distance away; 0 means any
	Limit  int     // 1..MaxSimilarLimit; 0 means DefaultSimilarLimit
}

// SimilarService finds images by perceptual hash. The store implements it
// beside ImageService: it reads what the store holds and writes nothing, so
// no decorator needs to see it.
type SimilarService interface {
	// FindSimilar returns the images whose hash is nearest to that of the
	// image with this id, nearest first and, at one distance, newest first;
	// never the image itself, and only images that have a hash. An image
	// without a hash has no similar images.
	// ENOTFOUND when there is no such image or f.Viewer may not see it;
	// EINVALID for a limit out of range.
	FindSimilar(ctx context.Context, id string, f SimilarFilter) ([]Similar, error)
}

// HammingDistance is the number of bits in which two hashes differ.
func HammingDistance(a, b uint64) int { return bits.OnesCount64(a ^ b) }

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"imagerepo/gallery"
)

// mediaProcessor makes thumbnails, EXIF fields and the hash of an image's
// bytes; imaging.Decoder is one.
type mediaProcessor interface {
	ProcessUpload(ctx context.Context, r io.ReadSeeker) (*gallery.Processed, error)
}

// mediaImages is what the media migration reads and writes.
type mediaImages interface {
	gallery.ImageService
	gallery.MediaSetter
}

// mediaProgressEvery is how often the media migration logs its progress.
var mediaProgressEvery = 5 * time.Second

// mediaState says whether any image may need the media migration, so that
// a start does not read every document to find none; store.DB is one.
type mediaState interface {
	MediaPending() (pending bool, mark uint64, err error)
	SetMediaDone(ctx context.Context, mark uint64) error
}

// migrateMedia gives every image stored before thumbnails existed (it has
// none) its thumbnails, EXIF fields and hash, one image at a time, logging
// "media migration: N of M images" every few seconds and at the end. It
// stops when ctx ends; an image that fails is logged and skipped (it stays
// served from its original, and is tried again at the next start). When
// state says no image can need it, it reads nothing; after a pass that
// left none behind it tells state so.
func migrateMedia(ctx context.Context, images mediaImages, state mediaState, proc mediaProcessor, log *slog.Logger) error {
	pending, mark, err := state.MediaPending()
	if err != nil || !pending {
		return err
	}
	failed, err := migrateAll(ctx, images, proc, log)
	if err != nil || failed > 0 || ctx.Err() != nil {
		return err
	}
	return state.SetMediaDone(ctx, mark)
}

// migrateAll is migrateMedia's pass over every image; it returns how many
// failed.
func migrateAll(ctx context.Context, images mediaImages, proc mediaProcessor, log *slog.Logger) (int, error) {
	var todo []string
	cursor := ""
	for {
		page, next, err := images.FindImages(ctx, gallery.ImageFilter{All: true, Cursor: cursor, Limit: gallery.MaxPageLimit})
		if err != nil {
			return 0, err
		}
		for _, img := range page {
			if len(img.Thumbs) == 0 {
				todo = append(todo, img.ID)
			}
		}
		if next == "" {
			break
		}
		cursor = next
	}
	if len(todo) == 0 {
		return 0, nil
	}
	log.Info("media migration: starting", "images", len(todo))
	start, last := time.Now(), time.Now()
	done, failed := 0, 0
	for _, id := range todo {
		if err := ctx.Err(); err != nil {
			log.Info("media migration: stopped", "done", done, "of", len(todo))
			return failed, nil
		}
		if err := migrateOne(ctx, images, proc, id); err != nil {
			if ctx.Err() != nil {
				continue // reported above on the next turn
			}
			failed++
			log.Warn("media migration: image skipped", "id", id, "err", err)
		}
		done++
		if time.Since(last) >= mediaProgressEvery {
			last = time.Now()
			log.Info(fmt.Sprintf("media migration: %d of %d images", done, len(todo)))
		}
	}
	log.Info(fmt.Sprintf("media migration: %d of %d images", done, len(todo)), "failed", failed, "took", time.Since(start).Round(time.Millisecond))
	return failed, nil
}

// migrateOne processes one image's original and stores the result.
func migrateOne(ctx context.Context, images mediaImages, proc mediaProcessor, id string) error {
	img, err := images.FindImageByID(ctx, id)
	if gallery.ErrorCode(err) == gallery.ENOTFOUND {
		return nil // deleted meanwhile
	} else if err != nil {
		return err
	}
	if len(img.Thumbs) > 0 {
		return nil // done meanwhile
	}
	err = setMediaFromOriginal(ctx, images, proc, img)
	if gallery.ErrorCode(err) == gallery.ENOTFOUND {
		return nil
	}
	return err
}

// setMediaFromOriginal runs img's original through the image pipeline and
// stores what it makes (thumbnails, EXIF fields, hash) with the image.
func setMediaFromOriginal(ctx context.Context, images mediaImages, proc mediaProcessor, img *gallery.Image) error {
	f, err := images.OpenBlob(ctx, img.SHA256)
	if err != nil {
		return err
	}
	p, err := proc.ProcessUpload(ctx, f)
	f.Close()
	if err != nil {
		return err
	}
	if p == nil {
		return errors.New("no result from the image pipeline")
	}
	_, err = images.SetMedia(ctx, img.ID, p)
	return err
}

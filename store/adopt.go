package store

import (
	"fmt"

	"go.etcd.io/bbolt"

	"imagerepo/gallery"
)

// Images stored before accounts existed have no owner; when accounts arrive
// they belong to the first admin. That happens once per data dir, in the
// write transaction that creates the first admin account (CreateFirstAdmin,
// or CreateUser with the admin role), and at Open for a data dir that has an
// admin but was never handed its ownerless images. The meta key adoptedKey
// records that it happened, so that Open costs one get afterwards; images
// stored without an owner after that keep none.

// adoptOwnerless gives every ownerless image to the oldest admin, unless
// that was done already or there is no admin, and returns how many
// documents it rewrote. Each counts as one write in the write sequence.
//
// An ownerless image whose bytes the admin already has as an image of their
// own cannot keep both under one owner (the sha index holds one image per
// owner and bytes, as the duplicate check wants): its document is removed
// and the admin's is kept. The bytes stay, referenced by the admin's image.
func (db *DB) adoptOwnerless(tx *bbolt.Tx) (int, error) {
	meta := tx.Bucket(metaBucket)
	if meta.Get(adoptedKey) != nil {
		return 0, nil
	}
	admin, err := firstAdmin(tx)
	if err != nil || admin == "" {
		return 0, err
	}

	// An ownerless image's sha index key is the sha and its NUL, nothing
	// after: the ids come from the index without decoding every document.
	shas := tx.Bucket(shaBucket)
	var ids []string
	c := shas.Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		if len(k) == 65 && k[64] == 0 {
			ids = append(ids, string(v))
		}
	}
	for _, id := range ids {
		img, err := getImage(tx, id)
		if err != nil {
			return 0, fmt.Errorf("store: sha index refers to image %s: %w", id, err)
		}
		if mine := shas.Get(shaKey(img.SHA256, admin)); mine != nil {
			db.log.Warn("store: an ownerless image duplicates one of the first admin's; keeping the admin's",
				"removed", img.ID, "kept", string(mine), "admin", admin)
			if err := deleteImage(tx, img); err != nil {
				return 0, err
			}
			continue
		}
		if err := shas.Delete(shaKey(img.SHA256, img.Owner)); err != nil {
			return 0, err
		}
		img.Owner = admin
		if err := putImage(tx, img); err != nil {
			return 0, err
		}
	}
	if err := bumpWriteSeq(tx, uint64(len(ids))); err != nil {
		return 0, err
	}
	if err := meta.Put(adoptedKey, []byte{1}); err != nil {
		return 0, err
	}
	return len(ids), nil
}

// firstAdmin returns the name of the oldest enabled admin, or of the oldest
// admin when all are disabled, or "" when there is none.
func firstAdmin(tx *bbolt.Tx) (string, error) {
	var best *userDoc
	err := tx.Bucket(usersBucket).ForEach(func(k, _ []byte) error {
		d, err := getUser(tx, string(k))
		if err != nil || d.Role != string(gallery.RoleAdmin) {
			return err
		}
		// Names come in order, so a tie keeps the first name.
		if best == nil || best.Disabled && !d.Disabled ||
			best.Disabled == d.Disabled && d.CreatedAt.Before(best.CreatedAt) {
			best = d
		}
		return nil
	})
	if best == nil {
		return "", err
	}
	return best.Username, err
}

// adoptAtStart hands the ownerless images to the first admin when a data
// dir has an admin but never had that done (data from before accounts,
// with accounts added by other means). When done already it costs one get.
func (db *DB) adoptAtStart() error {
	need := false
	err := db.viewTx(func(tx *bbolt.Tx) error {
		if tx.Bucket(metaBucket).Get(adoptedKey) != nil {
			return nil
		}
		admin, err := firstAdmin(tx)
		need = admin != ""
		return err
	})
	if err != nil || !need {
		return err
	}
	n := 0
	if err := db.updateTx(func(tx *bbolt.Tx) (err error) {
		n, err = db.adoptOwnerless(tx)
		return err
	}); err != nil {
		return fmt.Errorf("store: give ownerless images to the first admin: %w", err)
	}
	if n > 0 {
		db.hashes.reset() // the owners changed
		db.log.Info("store: gave the images stored before accounts to the first admin", "images", n)
	}
	return nil
}

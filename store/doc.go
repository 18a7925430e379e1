// Package store owns imagerepo's durable state: the bbolt document store
// (image documents and their indexes, accounts, sessions and API tokens, in
// one file, imagerepo.db) and the content-addressed blob folder that holds
// the image bytes, named by their hex sha256 under blobs/. It is the only
// package that imports bbolt and the only one that knows where bytes live on
// disk; every other package reaches it through gallery.ImageService,
// gallery.SimilarService, gallery.UserService, gallery.SessionService and
// gallery.TokenService.
//
// Passwords are stored as Argon2id hashes in the PHC string format, which
// carries its parameters, so that they can be raised later without
// invalidating stored hashes. Hashes are computed outside any transaction,
// and only Options.MaxHashes at once per DB. Session tokens and API token
// secrets are stored only as their sha256: a stolen file holds no
// credential that works.
//
// Writes keep one rule: bytes are durable before a document may point at
// them. A new blob is written to blobs/tmp, fsynced, renamed into place and
// its directory fsynced, and only then is the document committed. A delete
// commits first and removes the bytes afterwards, when no other document
// refers to them. Creates and deletes of the same bytes are serialised by a
// per-sha lock, so a document never points at missing bytes.
//
// Thumbnails are blobs too, written the same way in the same CreateImage
// and listed in their image's document. A document refers to its original
// through the sha index (sha + owner) and to its thumbnails through the
// thumbnail index (sha + image id); a blob is kept while either names it,
// and the delete, the sweep and Verify all ask both.
//
// FindSimilar (gallery.SimilarService) scans the images' perceptual hashes
// in memory, loaded from the documents on first use and refreshed from the
// committed document after each write: BenchmarkImageService_FindSimilar,
// 100,000 hashes with a mix of public and private images, takes 0.38 ms per
// lookup on the project's 2-core VM, the 12 nearest documents read included.
//
// The meta bucket keeps the number of image documents and the sum of their
// originals' sizes, changed in the transaction of every create and delete,
// so that DB.ImageStats (the metrics) reads two numbers instead of scanning;
// Verify checks them against the documents.
//
// The data directory is locked by bbolt's file lock, so one process at a time
// uses it. Open leaves a marker file that a clean Close removes; finding it at
// Open means the last run stopped uncleanly, and a background sweep removes
// the blobs that no document refers to.
//
// # Caveats
//
//   - The similarity index holds every hashed image's id, owner and hash in
//     memory (roughly 150 bytes each). A write that fails to refresh it drops
//     it, to be loaded again on the next lookup.
//   - An unclean stop between writing bytes and committing their document (or
//     between committing a delete and removing the bytes) leaves an
//     unreferenced blob. It is only swept at the next start after such a stop,
//     in the background; until the sweep ends the folder holds more bytes than
//     the documents account for. A sweep cut short by Close leaves the marker
//     in place so that the next start sweeps again.
//   - The sweep keeps any blob whose modification time is not before Open's
//     time. That time is the real clock, not Options.Now, because file times
//     come from the real clock.
//   - The per-sha locks live in this process. That is enough because the
//     bbolt file lock keeps every other process out of the data directory.
//   - Filtering FindImages by owner alone walks the documents newest first
//     and decodes each one; its cost grows with the images it has to skip.
//     The tag and sha256 filters read their own indexes.
//   - Tags match case-insensitively by strings.ToLower, not full Unicode case
//     folding.
//   - On Unix a blob opened by OpenBlob stays readable after a concurrent
//     DeleteImage removes its name.
//   - Images stored before schema 3 have no thumbnails, camera data or
//     perceptual hash; nothing fills them in yet (the HTTP layer serves
//     their originals in place of thumbnails).
//   - An ownerless image removed by the hand-over because it duplicates one
//     of the admin's leaves its thumbnail blobs behind unless the admin's
//     image shares them (Verify reports them). Uploads need an account, so
//     an ownerless image with thumbnails is not made through the API.
//   - Migrations to a newer SchemaVersion run inside Open, before it returns.
//     A long one should be made resumable and moved to the background.
//   - Verify compares blob sizes with the documents; Check with
//     CheckOptions.Hash also reads and hashes every referenced blob, which
//     takes as long as reading the whole blob folder. Both hold every sha
//     lock and (unless the DB was opened ReadOnly) a write transaction
//     while they run, which blocks writes.
//   - StartBackup takes a snapshot and Backup.WriteTo writes it as an
//     archive (the bbolt file and the blobs it refers to, then a manifest
//     of sizes and sha256s) while writes go on; Restore unpacks one into
//     an empty directory. While any backup is open, blob removals (by
//     deletes, failed writes and the sweep) are only noted, and done
//     after a fresh look when the last backup closes; a
//     process that stops meanwhile leaves those blobs to the next sweep or
//     to verify --repair. The bbolt file is copied to blobs/tmp first, so
//     the read transaction is short but the data dir needs room for the
//     copy.
//   - A ReadOnly DB locks the file shared and writes nothing to bbolt; it
//     refuses a schema other than SchemaVersion (a writable Open migrates).
//   - DB.WriteSeq is a counter in the meta bucket, raised in the transaction
//     of each image document write: +1 per CreateImage that stores a new
//     image (a duplicate writes nothing and counts nothing), +1 per
//     UpdateImage, +1 per DeleteImage, and +1 per ownerless image handed to
//     the first admin (whose document is rewritten, or removed when the
//     admin already had those bytes). Failed or rolled-back writes count
//     nothing; account, session and token writes count nothing. It starts
//     at 0, also in a data dir migrated from schema 1. A derived index that
//     counts the writes it has applied can compare at start and rebuild on
//     a difference; the owner changes of the hand-over do not pass through
//     the ImageService decorators, so they always show up as a difference.
//   - Ownerless images (stored before accounts existed) are handed to the
//     first admin once per data dir: in the write transaction that creates
//     the first admin account, or at Open when a data dir has an admin but
//     never had the hand-over. A meta key records it, so later Opens cost one
//     get, and an image stored without an owner after it keeps none. The
//     hand-over rewrites every ownerless document in one write transaction,
//     which blocks other writes meanwhile. The hot-id cache above the store
//     is not told: it may serve the old owner until the entry is evicted.
//   - Unless ImageFilter.All is set, FindImages reads and skips the images
//     the viewer may not see; a viewer who may see few of many images pays
//     for the scan past the others.
//   - FindToken writes a token's last use only when the stored one is a
//     minute old or older, so LastUsedAt lags by up to a minute.
//   - Disabling an account deletes its sessions; its API tokens stay stored
//     and are refused while it is disabled, so enabling it revives them.
//     ChangePassword ends the other sessions but keeps the API tokens.
//   - Authenticate checks an unknown name against a dummy hash with the
//     current parameters. A stored hash made with other parameters costs
//     its own time, so after a parameter change known and unknown names
//     differ in timing until the old hashes are replaced.
//   - Expired sessions are deleted when FindSession sees them and by
//     SessionService.DeleteExpired, which the caller runs periodically.
package store

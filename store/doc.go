// Package store owns imagerepo's durable state: the bbolt document store
// (image documents and their indexes, in one file, imagerepo.db) and the
// content-addressed blob folder that holds the image bytes, named by their
// hex sha256 under blobs/. It is the only package that imports bbolt and the
// only one that knows where bytes live on disk; every other package reaches
// it through gallery.ImageService.
//
// Writes keep one rule: bytes are durable before a document may point at
// them. A new blob is written to blobs/tmp, fsynced, renamed into place and
// its directory fsynced, and only then is the document committed. A delete
// commits first and removes the bytes afterwards, when no other document
// refers to them. Creates and deletes of the same bytes are serialised by a
// per-sha lock, so a document never points at missing bytes.
//
// The data directory is locked by bbolt's file lock, so one process at a time
// uses it. Open leaves a marker file that a clean Close removes; finding it at
// Open means the last run stopped uncleanly, and a background sweep removes
// the blobs that no document refers to.
//
// # Caveats
//
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
//   - Migrations to a newer SchemaVersion run inside Open, before it returns.
//     A long one should be made resumable and moved to the background.
//   - Verify compares blob sizes with the documents; it does not rehash the
//     bytes. It holds a write transaction while it runs, which blocks writes.
package store

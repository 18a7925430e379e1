package store

// Failpoints are named places on the write path where a test build can make
// the process die or an operation fail, to prove that what a crash or an I/O
// error leaves behind is consistent. They do nothing in a normal build: there
// failpoint is an empty function the compiler inlines away
// (failpoint_off.go). Built with -tags failpoints (failpoint_on.go), the
// environment variable IMAGEREPO_FAILPOINT arms them:
//
//	IMAGEREPO_FAILPOINT=NAME=ACTION[@N][,NAME=ACTION[@N]...]
//
// ACTION is crash (the process exits at once with status 137, as if killed),
// enospc (the file operation fails with "no space left on device") or eio
// (it fails with an I/O error). A failpoint fires once, on its Nth hit in
// the process (the first when @N is left out), so that the next operation
// goes through.
const (
	// fpBlobWrite is each write of an upload's bytes to its temp file.
	fpBlobWrite = "blob-write"
	// fpBlobSync is the fsync of a temp file before it is renamed into place.
	fpBlobSync = "blob-sync"
	// fpBlobRename is the rename of a temp file into the blob folder.
	fpBlobRename = "blob-rename"
	// fpBlobDirSync is the fsync of a blob's folder after a rename into it.
	fpBlobDirSync = "blob-dir-sync"
	// fpAfterRename is in CreateImage once every blob of the image is in
	// place and before its document is committed.
	fpAfterRename = "after-rename"
	// fpAfterCommit is in CreateImage once the document is committed and
	// before the call returns (so before the search index hears of it).
	fpAfterCommit = "after-commit"
	// fpDeleteAfterCommit is in DeleteImage once the document's removal is
	// committed and before its blobs are removed.
	fpDeleteAfterCommit = "delete-after-commit"
)

// failpointNames lists every failpoint, for the test build to refuse a
// misspelt one.
var failpointNames = []string{fpBlobWrite, fpBlobSync, fpBlobRename, fpBlobDirSync, fpAfterRename, fpAfterCommit, fpDeleteAfterCommit}

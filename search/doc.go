// Package search owns imagerepo's search index: a bleve index of the image
// documents in a directory of its own (the data dir's search/), how a search
// box query is ranked over it, and keeping it in step with the store. It is
// the only package that imports bleve.
//
// Index is the index and the gallery.SearchService. Each image is indexed
// by its title three ways (as words, as English stems, as word prefixes
// of 2 to 8 letters), its description and tags as stems, its file name as
// words, and as keywords what the filters need: owner, visibility, content
// type, tags, creation time. All text is folded to lower-case ASCII where
// it has an ASCII form, so "cafe" finds "Café" and "strasse" "Straße".
//
// A query's text is plain text, cut into words by the same analyzers;
// nothing in it is query syntax. Each word matches as a title word (boost
// 4), a title stem (2), a tag (1.5), a description stem or a file name word
// (0.5); the last word, while it is being typed, also as the start of a
// title word (2); a word that no title holds also misspelt by one edit (two
// from eight letters) or by a swap of two letters (1, divided by one plus
// the edits). The words are alternatives, scored by TF-IDF and multiplied
// by the share of them that matched, so all words outrank some; the whole
// text as a title phrase adds boost 4, so the phrase outranks its words
// scattered. Visibility is part of every query, exactly as gallery.CanSee
// decides it (public, or the viewer's own, or all for an admin), so Total
// never counts an image the viewer may not see. Without text the results
// are newest first.
//
// ImageService decorates the store's gallery.ImageService: every create,
// update and delete is written to the index before the call returns, re-
// reading the document from the store so that concurrent writes leave the
// newest state. Writes that arrive together share one bleve batch. The
// index keeps a count of the image writes it has seen beside its documents,
// in the same batch; Open compares it with the store's (Options.StoreSeq)
// and rebuilds the index in the background when they differ, when the index
// is missing or cannot be opened, or when its mapping is older. Rebuild does
// the same on demand, and UserService re-indexes the images the first admin
// adopts. CheckIndex compares an index on disk with the store without
// changing either, for imagerepo verify. Every bleve call runs under recover: a fault costs its request an
// internal error, not the process.
//
// # Caveats
//
//   - During a rebuild searches see only the images indexed so far, and
//     their totals are low. The log says when the rebuild starts and ends.
//   - The index is rebuilt, not repaired: at 100,000 images that takes about
//     ten seconds (see BENCHMARKS.md) after a crash, a damaged index or a
//     store written behind the index's back.
//   - A failed index write after the store committed is logged and not
//     returned (the client must not retry a write that happened). The index
//     misses that write until the next start, which rebuilds it.
//   - Image writes that do not go through ImageService must be reported with
//     Reindex (or, for the first admin's adoption, through UserService), or
//     the next start rebuilds the index.
//   - bleve's own background work (persisting, merging segments) runs in its
//     goroutines, outside this package's recover. It also logs a few lines
//     through the standard log package, e.g. when a damaged segment is
//     skipped.
//   - Text over MaxTextLen bytes is refused (EINVALID). Words past the
//     MaxWords-th distinct one are ignored. Text without letters or digits
//     matches nothing.
//   - Misspellings are looked for only in titles, only for words of three
//     letters or more that no title holds, and with the first letter right
//     (a swap of the first two letters is still found). A prefix is matched
//     only for the last word, of two letters or more, and only while the text
//     does not end in a space.
//   - Scripts without spaces between words (Chinese, Japanese) are matched
//     character by character. Accents are folded by ASCII folding, so they
//     are kept in scripts without an ASCII form.
//   - The cursor is an offset into the ranking: when the index changes
//     between two pages an image can show twice or not at all. Pages stop
//     10,000 results deep. Equal scores keep the index's internal order.
//   - Newest-first listing sorts only a window of recent images, widened
//     until it holds the page. When the matches are few and far older than
//     the newest image it ends up sorting them all (about 100 ms at 100,000).
//   - The camera and capture-time fields are reserved in the mapping but not
//     filled: gallery.Image has no such fields yet.
//   - The directory is used by one process at a time; the store's lock on
//     the data dir already ensures that, and opening gives up after a second.
package search

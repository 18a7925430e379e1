// The image list the grid has loaded so far (or the search results it
// shows). The grid renders from it when you come back (keeping your scroll
// position), and the image view uses it to find the previous and next
// image. Writes keep it honest: an edit replaces a document, a delete
// removes it, an upload marks it stale, and a sign-in or sign-out forgets
// it (who sees what has changed).

export const listing = {
  key: '', // which list this is: the grid's route, the search and the account it was loaded for
  route: '#/', // the grid to go back to
  images: [],
  next: '',
  total: -1, // how many a search found; -1 when the server does not say
  loaded: false, // at least the first page is in images
  scrollY: 0,
  lastViewed: '', // the image the grid gives focus back to
};

// reset forgets everything, so the grid loads afresh on its next visit.
export function resetListing() {
  listing.key = '';
  listing.images = [];
  listing.next = '';
  listing.total = -1;
  listing.loaded = false;
  listing.scrollY = 0;
  listing.lastViewed = '';
}

export function replaceInListing(doc) {
  const i = listing.images.findIndex((img) => img.id === doc.id);
  if (i >= 0) listing.images[i] = doc;
}

export function removeFromListing(id) {
  const n = listing.images.length;
  listing.images = listing.images.filter((img) => img.id !== id);
  if (listing.total > 0 && listing.images.length < n) listing.total--;
}

// neighbours returns the ids before and after id in the grid's order, or
// empty strings when unknown.
export function neighbours(id) {
  const i = listing.images.findIndex((img) => img.id === id);
  if (i < 0) return { prev: '', next: '' };
  return {
    prev: i > 0 ? listing.images[i - 1].id : '',
    next: i < listing.images.length - 1 ? listing.images[i + 1].id : '',
  };
}

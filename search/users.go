package search

import (
	"context"
	"slices"

	"github.com/blevesearch/bleve/v2"

	"imagerepo/gallery"
)

// UserService wraps another gallery.UserService (the store's) for the one
// account write that also rewrites images: creating the first admin hands
// every ownerless image to that admin, in the store's transaction. The
// wrapper then re-indexes the images the index holds as ownerless, one
// counted write each, as the store counts them.
type UserService struct {
	gallery.UserService
	idx *Index
}

// NewUserService returns next with the first admin's adoption of ownerless
// images also written to idx. Every other method is next's own.
func NewUserService(next gallery.UserService, idx *Index) *UserService {
	return &UserService{UserService: next, idx: idx}
}

// CreateUser creates the account; for an admin, see UserService.
func (s *UserService) CreateUser(ctx context.Context, username, password string, role gallery.Role) (*gallery.User, error) {
	u, err := s.UserService.CreateUser(ctx, username, password, role)
	if err == nil && role == gallery.RoleAdmin {
		s.idx.reindexOwnerless(ctx)
	}
	return u, err
}

// CreateFirstAdmin creates the first admin; see UserService.
func (s *UserService) CreateFirstAdmin(ctx context.Context, username, password string) (*gallery.User, error) {
	u, err := s.UserService.CreateFirstAdmin(ctx, username, password)
	if err == nil {
		s.idx.reindexOwnerless(ctx)
	}
	return u, err
}

// reindexOwnerless re-reads from the source every image the index holds
// without an owner. When the index was in step with the store these are
// exactly the images the store just gave an owner (and counted). When no
// adoption happened there are none, or the count comes out wrong and the
// next start rebuilds. Failures are logged by apply.
func (idx *Index) reindexOwnerless(ctx context.Context) {
	ids, err := idx.ownerless(ctx)
	if err != nil {
		idx.log.Error("search: find ownerless images; the next start rebuilds the index", "err", err)
		return
	}
	if len(ids) == 0 || idx.source == nil {
		return
	}
	for chunk := range slices.Chunk(ids, rebuildBatch) {
		if idx.apply(ctx, idx.source, chunk) != nil {
			return
		}
	}
}

// ownerless returns the ids of the indexed images without an owner.
func (idx *Index) ownerless(ctx context.Context) ([]string, error) {
	q := termQuery(fOwner, noOwner, 1)
	req := bleve.NewSearchRequestOptions(q, 0, 0, false)
	res, err := idx.search(ctx, req)
	if err != nil || res.Total == 0 {
		return nil, err
	}
	req = bleve.NewSearchRequestOptions(q, int(res.Total), 0, false)
	req.SortBy([]string{"_id"})
	req.Score = "none"
	if res, err = idx.search(ctx, req); err != nil {
		return nil, err
	}
	ids := make([]string, len(res.Hits))
	for i, h := range res.Hits {
		ids[i] = h.ID
	}
	return ids, nil
}

package api_test

import (
	"fmt"
	"image/color"
	"net/http"
	"strings"
	"testing"
)

// TestAuthz_Matrix is the access matrix: anonymous, owner, other user and
// admin × public and private images × every route that shows or changes an
// image. Before each request the owner fetches the image, so the hot-id
// cache holds it and the decision is made on a cache hit.
func TestAuthz_Matrix(t *testing.T) {
	ts := newTestServer(t, nil).withAccounts(t)
	who := map[string]string{"anonymous": "", "owner": "alice", "other": "bob", "admin": "admin"}
	seed := 0
	// fresh uploads an image of alice's with the given visibility.
	fresh := func(t *testing.T, vis string) string {
		seed++
		res := ts.upload(t, "alice", part{"file", fmt.Sprintf("m%d.png", seed), pngBytes(t, 3, 3, color.RGBA{uint8(seed), 9, 9, 255})},
			part{"visibility", "", []byte(vis)}, part{"title", "", []byte("matrix " + vis)})
		return res.Images[0].ID
	}
	type cell struct{ op, vis, actor string }
	want := map[cell]int{}
	for _, vis := range []string{"public", "private"} {
		for actor := range who {
			canSee := vis == "public" || actor == "owner" || actor == "admin"
			canChange := actor == "owner" || actor == "admin"
			see := map[bool]int{true: 200, false: 404}[canSee]
			change := see
			if canSee && !canChange {
				change = map[bool]int{true: 401, false: 403}[actor == "anonymous"]
			} else if canChange {
				change = 200
			}
			want[cell{"get", vis, actor}] = see
			want[cell{"file", vis, actor}] = see
			want[cell{"list", vis, actor}] = see   // 200: listed, 404: not listed
			want[cell{"search", vis, actor}] = see // 200: found, 404: not found
			want[cell{"similar", vis, actor}] = see
			want[cell{"similar-listed", vis, actor}] = see // 200: in a public image's similar list, 404: not
			want[cell{"patch", vis, actor}] = change
			del := change
			if del == 200 {
				del = 204
			}
			want[cell{"delete", vis, actor}] = del
			want[cell{"bulk", vis, actor}] = change
		}
	}
	for c, status := range want {
		t.Run(c.op+"/"+c.vis+"/"+c.actor, func(t *testing.T) {
			id := fresh(t, c.vis)
			var probe string // a public image of alice's that looks like id
			if c.op == "similar-listed" {
				seed++
				m := photo(64, 48, uint64(seed))
				probe = ts.upload(t, "alice", part{"file", "probe.png", encodePhoto(t, m, 0)},
					part{"visibility", "", []byte("public")}).Images[0].ID
				id = ts.upload(t, "alice", part{"file", "copy.jpg", encodePhoto(t, m, 90)},
					part{"visibility", "", []byte(c.vis)}).Images[0].ID
			}
			// Fill the cache as the owner, so the request below is a hit.
			if resp, _ := do(t, "GET", ts.URL+"/api/images/"+id, nil, ts.as("alice")); resp.StatusCode != 200 {
				t.Fatalf("owner get: %d", resp.StatusCode)
			}
			h := ts.as(who[c.actor])
			var resp *http.Response
			var body []byte
			switch c.op {
			case "get":
				resp, body = do(t, "GET", ts.URL+"/api/images/"+id, nil, h)
				// The decision is made on a hit; an image the viewer may
				// not see says miss, as an absent one does.
				if got, want := resp.Header.Get("X-Cache"), map[int]string{200: "hit", 404: "miss"}[status]; got != want {
					t.Errorf("X-Cache = %q, want %q", got, want)
				}
			case "file":
				resp, body = do(t, "GET", ts.URL+"/api/images/"+id+"/file", nil, h)
			case "list":
				resp, body = do(t, "GET", ts.URL+"/api/images?limit=200", nil, h)
				if resp.StatusCode == 200 && !strings.Contains(string(body), id) {
					resp.StatusCode = 404 // not listed
				}
			case "search":
				resp, body = do(t, "GET", ts.URL+"/api/images?limit=200&q=matrix+"+c.vis, nil, h)
				if resp.StatusCode == 200 && !strings.Contains(string(body), id) {
					resp.StatusCode = 404 // not found
				}
			case "similar":
				resp, body = do(t, "GET", ts.URL+"/api/images/"+id+"/similar", nil, h)
			case "similar-listed":
				resp, body = do(t, "GET", ts.URL+"/api/images/"+probe+"/similar?limit=50", nil, h)
				if resp.StatusCode == 200 && !strings.Contains(string(body), id) {
					resp.StatusCode = 404 // not listed
				}
			case "patch":
				h.Set("Content-Type", "application/json")
				resp, body = do(t, "PATCH", ts.URL+"/api/images/"+id, strings.NewReader(`{"title":"changed"}`), h)
			case "delete":
				resp, body = do(t, "DELETE", ts.URL+"/api/images/"+id, nil, h)
			case "bulk":
				h.Set("Content-Type", "application/json")
				resp, body = do(t, "POST", ts.URL+"/api/images/delete", strings.NewReader(`{"ids":["`+id+`"]}`), h)
				if c.actor == "anonymous" {
					break // the whole request is 401
				}
				switch {
				case strings.Contains(string(body), `"deleted":["`+id+`"]`):
					resp.StatusCode = 200
				case strings.Contains(string(body), `"code":"not_found"`):
					resp.StatusCode = 404
				case strings.Contains(string(body), `"code":"forbidden"`):
					resp.StatusCode = 403
				}
			}
			wantStatus := status
			if c.op == "bulk" && c.actor == "anonymous" {
				wantStatus = 401
			}
			if resp.StatusCode != wantStatus {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, wantStatus, body)
			}
			// A refused change changed nothing.
			if wantStatus >= 400 && (c.op == "patch" || c.op == "delete" || c.op == "bulk") {
				resp, body := do(t, "GET", ts.URL+"/api/images/"+id, nil, ts.as("alice"))
				if resp.StatusCode != 200 || strings.Contains(string(body), `"title":"changed"`) {
					t.Fatalf("refused %s changed the image: %d %s", c.op, resp.StatusCode, body)
				}
			}
		})
	}
}

// TestAuthz_VisibilityChangeIsImmediate: making an image private hides it
// from others on the very next request, though the cache held it public.
func TestAuthz_VisibilityChangeIsImmediate(t *testing.T) {
	ts := newTestServer(t, nil).withAccounts(t)
	id := ts.upload(t, "alice", part{"file", "v.png", pngBytes(t, 2, 2, color.White)}, part{"visibility", "", []byte("public")}).Images[0].ID
	if resp, _ := do(t, "GET", ts.URL+"/api/images/"+id, nil, ts.as("bob")); resp.StatusCode != 200 {
		t.Fatalf("bob, public: %d", resp.StatusCode)
	}
	h := ts.as("alice")
	h.Set("Content-Type", "application/json")
	if resp, b := do(t, "PATCH", ts.URL+"/api/images/"+id, strings.NewReader(`{"visibility":"private"}`), h); resp.StatusCode != 200 {
		t.Fatalf("patch: %d %s", resp.StatusCode, b)
	}
	for _, path := range []string{"", "/file"} {
		if resp, _ := do(t, "GET", ts.URL+"/api/images/"+id+path, nil, ts.as("bob")); resp.StatusCode != 404 {
			t.Fatalf("bob, now private %q: %d", path, resp.StatusCode)
		}
	}
}

package api_test

import (
	"image/color"
	"strings"
	"testing"
)

func TestRoutes_Search(t *testing.T) {
	ts := newTestServer(t, nil).withAccounts(t)
	up := func(who, title, vis, tags string, c color.Color) string {
		return ts.upload(t, who, part{"file", "x.png", pngBytes(t, 4, 4, c)}, part{"title", "", []byte(title)},
			part{"visibility", "", []byte(vis)}, part{"tags", "", []byte(tags)}).Images[0].ID
	}
	vars := map[string]string{
		"toy":     up("alice", "Toy Story", "public", "pixar", color.RGBA{1, 0, 0, 255}),
		"toy2":    up("alice", "Toy Story 2", "public", "", color.RGBA{2, 0, 0, 255}),
		"nemo":    up("alice", "Finding Nemo", "public", "pixar", color.RGBA{3, 0, 0, 255}),
		"secret":  up("bob", "Toy Soldiers", "private", "", color.RGBA{4, 0, 0, 255}),
		"cafe":    up("bob", "Café Society", "public", "", color.RGBA{5, 0, 0, 255}),
		"deleted": up("alice", "Toy Box", "public", "", color.RGBA{6, 0, 0, 255}),
	}
	if resp, b := do(t, "DELETE", ts.URL+"/api/images/"+vars["deleted"], nil, ts.as("alice")); resp.StatusCode != 204 {
		t.Fatalf("delete: %d %s", resp.StatusCode, b)
	}
	run(t, ts, vars, "alice", []scenario{
		{name: "words, best first", method: "GET", url: "/api/images?q=toy+story",
			wantStatus: 200, wantContent: []string{`"images":[{"id":"{toy}"`, `"id":"{toy2}"`, `"total":2`},
			wantNot: []string{`"id":"{secret}"`, `"id":"{deleted}"`}},
		{name: "typos forgiven", method: "GET", url: "/api/images?q=tyo+stroy",
			wantStatus: 200, wantContent: []string{`"id":"{toy}"`}},
		{name: "prefix as you type", method: "GET", url: "/api/images?q=nem",
			wantStatus: 200, wantContent: []string{`"id":"{nemo}"`}},
		{name: "accents do not matter", method: "GET", url: "/api/images?q=cafe",
			wantStatus: 200, wantContent: []string{`"id":"{cafe}"`}},
		{name: "another's private image is never found", method: "GET", url: "/api/images?q=soldiers",
			wantStatus: 200, wantContent: []string{`"images":[]`, `"total":0`}},
		{name: "its owner finds it", as: "bob", method: "GET", url: "/api/images?q=soldiers",
			wantStatus: 200, wantContent: []string{`"id":"{secret}"`, `"total":1`}},
		{name: "the admin finds it", as: "admin", method: "GET", url: "/api/images?q=soldiers",
			wantStatus: 200, wantContent: []string{`"id":"{secret}"`}},
		{name: "anonymous finds public ones", as: "-", method: "GET", url: "/api/images?q=toy",
			wantStatus: 200, wantContent: []string{`"id":"{toy}"`}, wantNot: []string{`"id":"{secret}"`}},
		{name: "with a tag filter", method: "GET", url: "/api/images?q=story&tag=pixar",
			wantStatus: 200, wantContent: []string{`"id":"{toy}"`}, wantNot: []string{`"id":"{toy2}"`}},
		{name: "with a type filter", method: "GET", url: "/api/images?q=toy&type=image/jpeg",
			wantStatus: 200, wantContent: []string{`"images":[]`}},
		{name: "paged", method: "GET", url: "/api/images?q=toy&limit=1",
			wantStatus: 200, wantContent: []string{`"images":[{"id":"{toy}"`}, wantNot: []string{`"next":""`}},
		{name: "query syntax is plain text", method: "GET", url: "/api/images?q=title:*", wantStatus: 200},
		{name: "regexp is plain text", method: "GET", url: "/api/images?q=/.*/", wantStatus: 200},
		{name: "fuzziness syntax is plain text", method: "GET", url: "/api/images?q=toy~10", wantStatus: 200},
		{name: "a 10 KB query is 400", method: "GET", url: "/api/images?q=" + strings.Repeat("a", 10<<10), wantStatus: 400},
		{name: "bad from is 400", method: "GET", url: "/api/images?q=toy&from=yesterday", wantStatus: 400},
		{name: "dates filter", method: "GET", url: "/api/images?q=toy&from=2000-01-01&to=2999-01-01",
			wantStatus: 200, wantContent: []string{`"id":"{toy}"`}},
		{name: "bad cursor is 400", method: "GET", url: "/api/images?q=toy&cursor=%21%21", wantStatus: 400},
		{name: "a rename changes results at once", method: "PATCH", url: "/api/images/{nemo}",
			body: jsonBody(`{"title":"Finding Dory"}`), wantStatus: 200},
		{name: "old title gone", method: "GET", url: "/api/images?q=nemo", wantStatus: 200, wantContent: []string{`"images":[]`}},
		{name: "new title found", method: "GET", url: "/api/images?q=dory", wantStatus: 200, wantContent: []string{`"id":"{nemo}"`}},
	})
}

package api_test

import (
	"image/color"
	"testing"
)

// TestRoutes_SearchCameraAndTaken: camera=, taken_from= and taken_to= work
// alone and with q.
func TestRoutes_SearchCameraAndTaken(t *testing.T) {
	ts := newTestServer(t, nil).withAccounts(t)
	withCam := withExif(t, jpegBytes(t, 64, 48, color.RGBA{30, 60, 90, 255}), gpsTIFF())
	vars := map[string]string{
		"cam": ts.upload(t, "alice", part{"file", "cam.jpg", withCam}, part{"title", "", []byte("Beach walk")},
			part{"visibility", "", []byte("public")}).Images[0].ID,
		"plain": ts.upload(t, "alice", part{"file", "plain.png", pngBytes(t, 4, 4, color.RGBA{9, 0, 0, 255})},
			part{"title", "", []byte("Beach plain")}, part{"visibility", "", []byte("public")}).Images[0].ID,
	}
	run(t, ts, vars, "alice", []scenario{
		{name: "camera alone", method: "GET", url: "/api/images?camera=test+camera+1",
			wantStatus: 200, wantContent: []string{`"id":"{cam}"`, `"total":1`}, wantNot: []string{`"id":"{plain}"`}},
		{name: "camera make and model", method: "GET", url: "/api/images?camera=Test+Test+Camera+1",
			wantStatus: 200, wantContent: []string{`"id":"{cam}"`, `"total":1`}},
		{name: "camera word", method: "GET", url: "/api/images?camera=test",
			wantStatus: 200, wantContent: []string{`"id":"{cam}"`, `"total":1`}},
		{name: "other camera", method: "GET", url: "/api/images?camera=nikon",
			wantStatus: 200, wantContent: []string{`"images":[]`, `"total":0`}},
		{name: "camera with q", method: "GET", url: "/api/images?q=beach&camera=test",
			wantStatus: 200, wantContent: []string{`"id":"{cam}"`, `"total":1`}, wantNot: []string{`"id":"{plain}"`}},
		{name: "taken_from alone", method: "GET", url: "/api/images?taken_from=2023-07-14",
			wantStatus: 200, wantContent: []string{`"id":"{cam}"`, `"total":1`}, wantNot: []string{`"id":"{plain}"`}},
		{name: "taken_to excludes", method: "GET", url: "/api/images?taken_to=2023-07-14",
			wantStatus: 200, wantContent: []string{`"images":[]`, `"total":0`}},
		{name: "taken range with q", method: "GET", url: "/api/images?q=beach&taken_from=2023-07-14T00:00:00Z&taken_to=2023-07-15",
			wantStatus: 200, wantContent: []string{`"id":"{cam}"`, `"total":1`}},
		{name: "bad taken_from is 400", method: "GET", url: "/api/images?taken_from=yesterday", wantStatus: 400},
	})
}

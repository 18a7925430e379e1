package api_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"testing"

	"imagerepo/api"
)

// TestOpenAPI_MatchesRoutes holds the document and the router to each other:
// every route is documented and every documented operation is routed.
func TestOpenAPI_MatchesRoutes(t *testing.T) {
	ts := newTestServer(t, nil)
	resp, body := do(t, "GET", ts.URL+"/api/openapi.json", nil, nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("openapi = %q", doc.OpenAPI)
	}
	documented := map[string]bool{}
	for path, ops := range doc.Paths {
		for method := range ops {
			if method == "parameters" {
				continue
			}
			documented[strings.ToUpper(method)+" "+path] = true
		}
	}
	srv := api.NewServer(api.DefaultConfig(), api.Services{}, nil, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	routed := map[string]bool{}
	for _, r := range srv.Routes() {
		routed[r] = true
		if !documented[r] {
			t.Errorf("route %s is not in openapi.json", r)
		}
	}
	var extra []string
	for op := range documented {
		if !routed[op] {
			extra = append(extra, op)
		}
	}
	sort.Strings(extra)
	if len(extra) > 0 {
		t.Errorf("openapi.json documents operations with no route: %v", extra)
	}
}

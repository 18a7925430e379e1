// Package ui holds the embedded web frontend.
//
// The frontend is plain HTML, CSS and JavaScript modules with no build step.
// It routes on the URL fragment (#/, #/mine, #/upload, #/image/{id}, #/setup,
// #/signin, #/tokens, #/password, #/admin, ...) and keeps a search in the
// query string (/?q=toy&tag=pixar#/), so the server
// only ever serves the static files below and the JSON API.
package ui

import (
	"embed"
	"io/fs"
)

//go:embed static
var static embed.FS

// FS returns the frontend files, with index.html at the root.
func FS() fs.FS {
	sub, err := fs.Sub(static, "static")
	if err != nil {
		// fs.Sub fails only for an invalid path, and "static" is valid.
		panic(err)
	}
	return sub
}

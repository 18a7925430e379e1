// Package gallery holds imagerepo's domain: the Image document, the one error
// type every layer speaks, and the service interfaces that the store, the
// search index and the hot-id cache implement as decorators of one another.
//
// It imports only the standard library, so that every other package can
// depend on it and none needs to import a sibling.
package gallery

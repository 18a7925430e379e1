//go:build !failpoints

package store

// failpoint does nothing outside a test build; see failpoint.go.
func failpoint(string) error { return nil }

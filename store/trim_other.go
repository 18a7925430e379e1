//go:build !linux

package store

// TrimMapped does nothing here; see the Linux version.
func (db *DB) TrimMapped() error { return nil }

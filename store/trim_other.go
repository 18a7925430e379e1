//go:build !linux

package store

import "go.etcd.io/bbolt"

// TrimMapped and trimMap do nothing here; see the Linux versions.
func (db *DB) TrimMapped() error { return nil }

func trimMap(*bbolt.Tx) error { return nil }

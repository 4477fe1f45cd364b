//go:build !unix && !windows

package harden

// NoCoreDumps has nothing to turn off on this system.
func NoCoreDumps() error { return nil }

//go:build unix && !linux

package harden

// NoCoreDumps sets the core size limit to 0.
func NoCoreDumps() error { return noCoreLimit() }

//go:build !unix

package main

import "os"

// No user signals here: the card stays as --removed left it.
var insertSignal, removeSignal os.Signal

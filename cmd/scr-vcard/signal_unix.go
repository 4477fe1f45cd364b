//go:build unix

package main

import (
	"os"
	"syscall"
)

// SIGUSR1 inserts the card, SIGUSR2 removes it.
var insertSignal, removeSignal os.Signal = syscall.SIGUSR1, syscall.SIGUSR2

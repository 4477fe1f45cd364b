// Command mangen writes scr's man page, docs/scr.1, from the help text in
// cmd/scr/internal/help. It runs from go generate ./cmd/scr:
//
//	go run ./internal/mangen -o ../../docs/scr.1
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/scrterm/scr/cmd/scr/internal/help"
)

func main() {
	out := flag.String("o", "", "write the man page to this file (default: standard output)")
	flag.Parse()
	page := []byte(help.Roff())
	if *out == "" {
		_, _ = os.Stdout.Write(page)
		return
	}
	if err := os.WriteFile(*out, page, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "mangen:", err)
		os.Exit(1)
	}
}

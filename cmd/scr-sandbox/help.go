package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
)

// parseFlags parses a subcommand's args. Asking for help (-h, --help) is not
// a mistake: what the command does and its flags go to stdout, and the
// status is 0. A mistake prints them to stderr, status 2. ok is false when
// the command should stop with that status.
func parseFlags(fs *flag.FlagSet, args []string, about string, stdout, stderr io.Writer) (status int, ok bool) {
	usage := func(w io.Writer) {
		fmt.Fprint(w, about)
		fs.SetOutput(w)
		fs.PrintDefaults()
	}
	fs.SetOutput(stderr) // the flag package's own one-line error
	fs.Usage = func() {} // printed below, where it belongs
	err := fs.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		usage(stdout)
		return 0, false
	case err != nil:
		usage(stderr)
		return 2, false
	}
	fs.Usage = func() { usage(stderr) }
	return 0, true
}

// wantsHelp reports whether args ask for help in place of a subcommand.
func wantsHelp(args []string) bool {
	return len(args) > 0 && (args[0] == "-h" || args[0] == "-help" || args[0] == "--help")
}

package main

//go:generate go run ./internal/mangen -o ../../docs/scr.1

import (
	"fmt"
	"io"

	"github.com/scrterm/scr/cmd/scr/internal/help"
)

// runHelp is `scr help [TOPIC]`: with no topic the usage and the list of
// topics, else the one topic. The text lives in cmd/scr/internal/help, which
// the man page docs/scr.1 is generated from.
func runHelp(args []string, stdout, stderr io.Writer) int {
	switch {
	case len(args) == 0:
		fmt.Fprint(stdout, usage+"\n"+help.List())
		return 0
	case len(args) > 1:
		fmt.Fprintf(stderr, "scr help: one topic at a time; scr help lists them\n")
		return 2
	}
	t, ok := help.Lookup(args[0])
	if !ok {
		fmt.Fprintf(stderr, "scr help: no topic %q; the topics are %s\n", args[0], topicNames())
		return 2
	}
	fmt.Fprint(stdout, help.Text(t))
	return 0
}

func topicNames() string {
	var s string
	for i, t := range help.Topics {
		if i > 0 {
			s += ", "
		}
		s += t.Name
	}
	return s
}

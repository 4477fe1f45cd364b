package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"text/tabwriter"

	"github.com/scrterm/scr/cmd/scr/internal/help"
	"github.com/scrterm/scr/internal/config"
	"github.com/scrterm/scr/internal/safetext"
)

// configSetting is one line of `scr config --json`.
type configSetting struct {
	Value  string `json:"value"`
	Source string `json:"source"`
}

// configJSON is `scr config --json`.
type configJSON struct {
	File      string                   `json:"file"`
	FileFound bool                     `json:"file_found"`
	Settings  map[string]configSetting `json:"settings"`
}

// runConfig is `scr config`: every setting's effective value and where it
// came from. It takes the settings' flags too, to show what a command line
// would do. Exit status 2 for a mistake in the flags, the environment or the
// configuration file.
//
// Every setting today is a URL, a file's path, a reader's name, a duration,
// a way to sign in or an application's public identifier (client-id,
// api-key, kid): nothing secret. signing-key is the application's private
// key, and only its file's path is shown: the file is never read here. A
// secret added later (a proxy password, say) must be shown as set or not
// set, never its value.
//
// A value comes from a file or the environment, so it is text from outside
// the program: one the gate would change (an escape sequence, a control or
// an invisible character in it) is printed quoted, every such character
// written as a Go escape, and said to be so (see shown); --json writes them
// as \u escapes (safetext.EscapeJSON). Either way the value shown is the
// value in effect, and nothing in it acts on the terminal.
func runConfig(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("scr config", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	for _, k := range config.Keys {
		if k.Name == config.Plain {
			fs.Bool(k.Name, false, "") // a yes or no: --plain
			continue
		}
		fs.String(k.Name, "", "")
	}
	asJSON := fs.Bool("json", false, "")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			t, _ := help.Lookup("config")
			fmt.Fprint(stdout, help.Text(t))
			return 0
		}
		fmt.Fprintf(stderr, "scr config: %s\n", errLine(err))
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "scr config: unexpected argument %s\n", strconv.QuoteToASCII(fs.Arg(0)))
		return 2
	}
	res, err := config.Load(setFlags(fs, "json"), getenv)
	if err != nil {
		fmt.Fprintf(stderr, "scr config: %s\n", errLine(err))
		return 2
	}

	if *asJSON {
		out := configJSON{File: res.File, FileFound: res.FileFound, Settings: map[string]configSetting{}}
		for _, k := range config.Keys {
			out.Settings[k.Name] = configSetting{Value: res.Get(k.Name), Source: res.Sources[k.Name].String()}
		}
		b, _ := json.MarshalIndent(out, "", "  ")
		_, _ = stdout.Write(safetext.EscapeJSON(append(b, '\n')))
		return 0
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	for _, k := range config.Keys {
		v := shown(res.Get(k.Name))
		if v == "" {
			v = "(not set)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", k.Name, v, shown(res.Sources[k.Name].String()))
	}
	_ = tw.Flush()
	how := "read"
	if !res.FileFound {
		how = "not there"
	}
	if getenv(config.EnvConfig) != "" {
		how = "named by " + config.EnvConfig + ", " + how
	}
	fmt.Fprintf(stdout, "\nconfiguration file %s (%s)\n", shown(res.File), how)
	return 0
}

// shown is a value from outside as scr config prints it: as it is when the
// gate leaves it so; else quoted with every character that does not print
// (or acts on the terminal) as a Go escape, and a note that it holds them,
// so that what is shown is still the value in effect.
func shown(v string) string {
	if safetext.Line(v) == v {
		return v
	}
	return strconv.QuoteToASCII(v) + " (as written, quoted: it holds characters a terminal would not show as they are)"
}

// runConfigCommand is runConfig with the process's environment.
func runConfigCommand(args []string, stdout, stderr io.Writer) int {
	return runConfig(args, os.Getenv, stdout, stderr)
}

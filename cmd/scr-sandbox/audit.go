package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/scrterm/scr/internal/sandbox/audit"
)

// auditAbout is what `scr-sandbox audit` does.
const auditAbout = `Usage: scr-sandbox audit verify --db PATH [--audit-key FILE] [--head FILE]
       scr-sandbox audit head --db PATH [--audit-key FILE] > FILE

verify checks the audit trail the sandbox kept with --db PATH, reading it
without writing a byte: each row's MAC under the key, the chain of rows, and
the head's MAC. It finds, by anyone without the key, a row edited, deleted,
reordered or inserted, rows cut off the end, every row deleted, and the chain
re-hashed. Without --head it cannot find rows cut off the end by putting back
an older copy of the whole file, or the file replaced by a new trail; with
--head FILE, written earlier by "audit head" and kept where the database's
writers cannot reach, it finds those too, and any rewrite up to that head even
by someone holding the key. Exit status 1 if the trail is broken, has no rows,
or is not an audit trail (an empty file, another kind of file, an older
unkeyed trail, another key).

head checks the trail as verify does, then prints its head: the last row's
number, MAC and time, as one line of JSON. Keep it off the machine.

The key is PATH.key, beside the database, unless --audit-key names it.

`

func auditCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if wantsHelp(args) {
		fmt.Fprint(stdout, auditAbout)
		return 0
	}
	if len(args) == 0 || (args[0] != "verify" && args[0] != "head") {
		fmt.Fprint(stderr, auditAbout)
		return 2
	}
	sub := args[0]
	name := "scr-sandbox audit " + sub
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	db := fs.String("db", "", "audit database `PATH`")
	key := fs.String("audit-key", "", "the chain's key `FILE` (default: PATH.key)")
	var headFile *string
	if sub == "verify" {
		headFile = fs.String("head", "", "a head `FILE` from `scr-sandbox audit head` that the trail must still hold")
	}
	if code, ok := parseFlags(fs, args[1:], auditAbout, stdout, stderr); !ok {
		return code
	}
	if *db == "" || fs.NArg() > 0 {
		fs.Usage()
		return 2
	}
	fail := func(err error) int {
		fmt.Fprintf(stderr, "%s: %v\n", name, err)
		return 1
	}

	var want *audit.Head
	if headFile != nil && *headFile != "" {
		b, err := os.ReadFile(*headFile)
		if err != nil {
			return fail(err)
		}
		h, err := audit.ParseHead(b)
		if err != nil {
			return fail(fmt.Errorf("%s: %w", *headFile, err))
		}
		want = &h
	}
	store, err := audit.Open(*db, audit.ReadOnly(), audit.WithKeyFile(*key))
	if err != nil {
		return fail(err)
	}
	defer store.Close()
	head, err := store.VerifyHead(ctx, want)
	var broken *audit.ChainError
	switch {
	case errors.As(err, &broken) && sub == "verify":
		fmt.Fprintf(stdout, "audit trail BROKEN at row %d: %s\n", broken.Seq, broken.Reason)
		return 1
	case errors.As(err, &broken):
		return fail(fmt.Errorf("audit trail BROKEN at row %d: %s; no head printed", broken.Seq, broken.Reason))
	case err != nil:
		return fail(err)
	case head.Seq == 0 && sub == "verify":
		fmt.Fprintln(stdout, "audit trail EMPTY: no rows, so nothing verified (a new trail, or the file replaced by one)")
		return 1
	case head.Seq == 0:
		return fail(errors.New("the audit trail has no rows yet: no head to print"))
	}

	if sub == "head" {
		b, err := head.Export()
		if err != nil {
			return fail(err)
		}
		fmt.Fprintf(stdout, "%s\n", b)
		return 0
	}
	fmt.Fprintf(stdout, "audit trail intact: %d rows, keyed hash chain verified (last row %s)\n",
		head.Seq, head.Time.Format(time.RFC3339))
	if want == nil {
		fmt.Fprintln(stdout, "not checked without --head: rows cut off the end by putting back an older copy of the file, "+
			"or the file replaced by a new trail; give --head FILE from `scr-sandbox audit head` to check them")
	} else {
		fmt.Fprintf(stdout, "it holds the exported head, row %d (%s): nothing up to it was cut, rolled back or rewritten\n",
			want.Seq, want.Time.Format(time.RFC3339))
	}
	return 0
}

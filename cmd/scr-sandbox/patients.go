package main

import (
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/scrterm/scr/assets"
	"github.com/scrterm/scr/internal/sandbox/records"
)

// listPatients is `scr-sandbox patients`: the synthetic patients, for people
// trying the demo.
func listPatients(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("scr-sandbox patients", flag.ContinueOnError)
	const about = "Usage: scr-sandbox patients\n\n" +
		"Lists the sandbox's synthetic patients: NHS number, name, date of birth and\n" +
		"what their Summary Care Record shows, for trying scr against the sandbox.\n"
	if code, ok := parseFlags(fs, args, about, stdout, stderr); !ok {
		return code
	}
	patients, err := records.List(assets.Patients)
	if err != nil {
		fmt.Fprintln(stderr, "scr-sandbox patients:", err)
		return 1
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NHS No.\tName\tBorn\tSummary Care Record")
	for _, p := range patients {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", spacedNHS(p.NHSNumber), listName(p), born(p.BirthDate), notes(p))
	}
	tw.Flush()
	fmt.Fprintln(stdout, "\nAll synthetic. Sign in with a sandbox card (see assets/sandbox/README.md).")
	return 0
}

// listName is a patient's name as scr shows it everywhere, after the NHS
// patient banner: "SMITH, Jane (Mrs)".
func listName(p records.Patient) string {
	name := strings.ToUpper(p.Family)
	if p.Given != "" {
		name += ", " + p.Given
	}
	if p.Title != "" {
		name += " (" + p.Title + ")"
	}
	return strings.TrimPrefix(name, ", ")
}

// spacedNHS writes an NHS number as 3-3-4 digits, as the NHS does.
func spacedNHS(n string) string {
	if len(n) != 10 {
		return n
	}
	return n[:3] + " " + n[3:6] + " " + n[6:]
}

func born(date string) string {
	t, err := time.Parse(time.DateOnly, date)
	if err != nil {
		return date
	}
	return t.Format("02-Jan-2006")
}

func notes(p records.Patient) string {
	var n []string
	switch p.Consent {
	case "":
		n = append(n, "no SCR")
	case "No":
		n = append(n, "opted out")
	default:
		n = append(n, "permission to view required")
	}
	if p.Sensitive {
		n = append(n, "sensitive record")
	}
	if p.Deceased {
		n = append(n, "deceased")
	}
	switch p.OutdatedSCR {
	case "once":
		n = append(n, "SCR id out of date on first look")
	case "always":
		n = append(n, "SCR id always out of date")
	}
	return strings.Join(n, "; ")
}

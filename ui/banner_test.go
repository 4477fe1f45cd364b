package ui

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/scrterm/scr/client"
	"github.com/scrterm/scr/internal/recordview"
)

// bannerTestAll is every sandbox patient with a PDS record.
func bannerTestAll(t *testing.T) []string {
	t.Helper()
	entries, err := os.ReadDir(summaryTestPatients)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		if _, err := os.Stat(filepath.Join(summaryTestPatients, e.Name(), "patient.json")); err == nil {
			out = append(out, e.Name())
		}
	}
	if len(out) < 10 {
		t.Fatalf("only %d sandbox patients found", len(out))
	}
	return out
}

func bannerLinesFit(t *testing.T, out string, w int) {
	t.Helper()
	if strings.HasSuffix(out, "\n") {
		t.Errorf("banner ends in a newline")
	}
	for i, l := range strings.Split(out, "\n") {
		if got := ansi.StringWidth(l); got > w {
			t.Errorf("line %d is %d wide, more than %d: %q", i, got, w, ansi.Strip(l))
		}
	}
}

func TestBannerPublishedExample(t *testing.T) {
	p := summaryTestPatient(t, "9000000009", "")
	for _, w := range []int{60, 80, 120} {
		out := ansi.Strip(renderBanner(summaryTestCommon(w, 24), p))
		if !strings.HasPrefix(strings.TrimSpace(out), "SMITH, Jane (Mrs)") {
			t.Errorf("width %d: banner does not start with the name:\n%s", w, out)
		}
		for _, want := range []string{
			// died the day she was born: the age stops at death
			"Born 22-Oct-2010 (0d)",
			"Gender Female",
			"NHS No. 900 000 0009",
			// deceasedDateTime 2010-10-22T00:00:00+00:00 in the published example
			"DECEASED 22-Oct-2010",
			// the name's period ended 2025-12-31
			"no name is in force today",
		} {
			if !strings.Contains(out, want) {
				t.Errorf("width %d: banner lacks %q:\n%s", w, want, out)
			}
		}
		if strings.Contains(out, "Born:") || strings.Contains(out, "Gender:") || strings.Contains(out, "NHS No.:") {
			t.Errorf("labels have colons:\n%s", out)
		}
		if strings.Contains(out, "SENSITIVE") {
			t.Errorf("not a sensitive patient:\n%s", out)
		}
	}
}

func TestBannerSensitive(t *testing.T) {
	p := summaryTestPatient(t, "9000000025", "")
	out := ansi.Strip(renderBanner(summaryTestCommon(120, 24), p))
	if !strings.Contains(out, "SENSITIVE: Restricted record — address and GP withheld") {
		t.Errorf("no SENSITIVE badge:\n%s", out)
	}
	if strings.Contains(out, "Address") {
		t.Errorf("a sensitive patient's banner has an address line:\n%s", out)
	}
	// Even if an address reached the model, the banner must not show it.
	p.Address = client.Address{Lines: []string{"1 Secret Row", "Leeds"}, PostalCode: "LS1 4AP"}
	p.GP = client.GP{ODSCode: "Y99999", Name: "Secret Surgery"}
	for _, w := range []int{60, 80, 120} {
		out := ansi.Strip(renderBanner(summaryTestCommon(w, 24), p))
		for _, leak := range []string{"LS1 4AP", "Secret Row", "Y99999", "Secret Surgery"} {
			if strings.Contains(out, leak) {
				t.Errorf("width %d: sensitive banner shows %q:\n%s", w, leak, out)
			}
		}
	}
}

func TestBannerSuperseded(t *testing.T) {
	p := summaryTestPatient(t, "9000000114", "9000000106")
	out := ansi.Strip(renderBanner(summaryTestCommon(120, 24), p))
	if !strings.Contains(out, "NHS number superseded: 900 000 0106 → 900 000 0114") {
		t.Errorf("no superseded badge:\n%s", out)
	}
	if !strings.Contains(out, "NHS No. 900 000 0114") {
		t.Errorf("the banner must show the record's own number:\n%s", out)
	}
	// Asked by the current number: no badge.
	out = ansi.Strip(renderBanner(summaryTestCommon(120, 24), summaryTestPatient(t, "9000000114", "9000000114")))
	if strings.Contains(out, "superseded") {
		t.Errorf("badge without a superseded number:\n%s", out)
	}
}

func TestBannerDeceasedWithoutDate(t *testing.T) {
	p := summaryTestPatient(t, "9000000017", "")
	p.Deceased, p.DeceasedDate = true, client.FHIRDate{}
	out := ansi.Strip(renderBanner(summaryTestCommon(80, 24), p))
	if !strings.Contains(out, "DECEASED") || strings.Contains(out, "DECEASED Not") {
		t.Errorf("want a bare DECEASED badge:\n%s", out)
	}
}

func TestBannerMissingValues(t *testing.T) {
	p := &client.Patient{NameInForce: true}
	out := ansi.Strip(renderBanner(summaryTestCommon(80, 24), p))
	for _, want := range []string{"Born Not Known", "Gender Not Known", "NHS No. Not Known", "Address Not Known", "GP Not Known"} {
		if !strings.Contains(out, want) {
			t.Errorf("banner lacks %q:\n%s", want, out)
		}
	}
	if !strings.HasPrefix(out, "Not Known") {
		t.Errorf("a missing name must read Not Known first:\n%s", out)
	}
	// nil and zero width: no panic.
	_ = renderBanner(summaryTestCommon(80, 24), nil)
	if got := renderBanner(summaryTestCommon(0, 0), p); got != "" {
		t.Errorf("zero width: %q", got)
	}
}

// TestBannerAddressWraps: a long address wraps between its words, its
// postcode whole and nothing cut, and the GP stays.
func TestBannerAddressWraps(t *testing.T) {
	p := summaryTestPatient(t, "9000000130", "")
	p.Address.Lines = append(p.Address.Lines, strings.Repeat("Very Long Street Name ", 10))
	for _, w := range []int{60, 80, 120, 200} {
		raw := renderBanner(summaryTestCommon(w, 24), p)
		bannerLinesFit(t, raw, w)
		out := ansi.Strip(raw)
		flat := strings.Join(strings.Fields(out), " ")
		if !strings.Contains(flat, "Address "+strings.Join(strings.Fields(p.Address.String()), " ")) || strings.Contains(out, "…") {
			t.Errorf("width %d: want the whole address, wrapped:\n%s", w, out)
		}
		if !strings.Contains(out, p.Address.PostalCode) {
			t.Errorf("width %d: postcode %q not whole:\n%s", w, p.Address.PostalCode, out)
		}
		if !strings.Contains(out, "GP Y90130") {
			t.Errorf("width %d: GP lost:\n%s", w, out)
		}
	}
}

func TestBannerFits(t *testing.T) {
	for _, nhs := range bannerTestAll(t) {
		p := summaryTestPatient(t, nhs, "")
		for _, w := range []int{10, 30, 60, 80, 120, 200} {
			raw := renderBanner(summaryTestCommon(w, 24), p)
			bannerLinesFit(t, raw, w)
			// No value is cut mid-way at the supported widths: each item
			// is whole on one line.
			if w >= minWidth {
				out := ansi.Strip(raw)
				for _, item := range []string{
					formatName(p.Name),
					"NHS No. " + formatNHSNumber(p.NHSNumber),
					"Born " + formatDate(p.BirthDate),
				} {
					if !strings.Contains(out, item) {
						t.Errorf("%s width %d: %q not whole:\n%s", nhs, w, item, out)
					}
				}
			}
		}
	}
}

func TestBannerGolden(t *testing.T) {
	for _, nhs := range []string{"9000000009", "9000000017", "9000000025", "9000000076", "9000000084"} {
		p := summaryTestPatient(t, nhs, "")
		for _, w := range []int{80, 120} {
			out := ansi.Strip(renderBanner(summaryTestCommon(w, 24), p))
			summaryGolden(t, "banner/"+nhs+"_"+strconv.Itoa(w), out)
		}
	}
	p := summaryTestPatient(t, "9000000114", "9000000106")
	summaryGolden(t, "banner/9000000114_via_9000000106_80", ansi.Strip(renderBanner(summaryTestCommon(80, 24), p)))
	// One with the styling kept.
	summaryGolden(t, "banner/9000000009_80_ansi", renderBanner(summaryTestCommon(80, 24), summaryTestPatient(t, "9000000009", "")))
}

// TestBannerSecurityLabels: each PDS security label that restricts a record
// is named, the address and GP are withheld even if sent, and the banner
// still fits 80 columns (and narrower).
func TestBannerSecurityLabels(t *testing.T) {
	for code, want := range map[string]string{
		"R":        "SENSITIVE: Restricted record — address and GP withheld",
		"V":        "SENSITIVE: Very restricted record — address and GP withheld",
		"REDACTED": "SENSITIVE: Redacted record — address and GP withheld",
		// Unknown: sensitive all the same, named by its code.
		"XYZZY-LABEL-TOO-LONG": "SENSITIVE: Restricted record (label XYZZY-LABEL-…) — address and GP withheld",
	} {
		in := `{"resourceType":"Patient","id":"9000000025","meta":{"security":[{"code":"` + code + `"}]},
			"name":[{"use":"usual","prefix":["Mrs"],"given":["Janet"],"family":"Smythe"}],
			"birthDate":"2005-06-16","gender":"female",
			"address":[{"use":"home","line":["1 Secret Row","Leeds"],"postalCode":"LS1 4AP"}],
			"generalPractitioner":[{"identifier":{"value":"Y99999"}}]}`
		p, err := client.ParsePatient([]byte(in), "9000000025", bannerNow(summaryTestCommon(80, 24)))
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range []int{60, 80, 120} {
			raw := renderBanner(summaryTestCommon(w, 24), p)
			bannerLinesFit(t, raw, w)
			out := ansi.Strip(raw)
			if w >= 80 && !strings.Contains(out, want) {
				t.Errorf("%s width %d: want %q:\n%s", code, w, want, out)
			}
			for _, leak := range []string{"LS1 4AP", "Secret Row", "Y99999", "Address", "GP Not"} {
				if strings.Contains(out, leak) {
					t.Errorf("%s width %d: shows %q:\n%s", code, w, leak, out)
				}
			}
		}
	}
	// U is no restriction: the address is shown, and no badge.
	p := summaryTestPatient(t, "9000000017", "")
	if out := ansi.Strip(renderBanner(summaryTestCommon(80, 24), p)); strings.Contains(out, "SENSITIVE") || !strings.Contains(out, "Address") {
		t.Errorf("unrestricted patient:\n%s", out)
	}
}

// TestBannerFewestLines: at 80 columns the banner takes three lines (the
// patient, the address and GP, the allergies and flags) when they fit, and
// where the name pushes the NHS number onto a line of its own, the GP or
// the whole address shares that line rather than take another; each item
// stays whole and the address keeps its postcode.
func TestBannerFewestLines(t *testing.T) {
	sum := summaryTestSummary(t, "9000000017") // three allergies
	patient := func(name, given string, lines []string, postcode, gpName string) *client.Patient {
		return &client.Patient{
			NHSNumber:   "9000000017",
			Name:        client.PersonName{Family: name, Given: []string{given}, Prefix: []string{"Mr"}},
			NameInForce: true,
			BirthDate:   client.FHIRDate{Time: time.Date(1958, 3, 14, 0, 0, 0, 0, time.UTC), Precision: client.PrecisionDay},
			Gender:      "male",
			Address:     client.Address{Lines: lines, PostalCode: postcode},
			GP:          client.GP{ODSCode: "Y90017", Name: gpName},
		}
	}
	for _, tc := range []struct {
		name  string
		p     *client.Patient
		lines []string // the banner's lines at 80 columns, without the rule
	}{{
		name: "everything fits: three lines",
		p:    patient("SMITH", "Jo", []string{"1 Trevelyan Square", "Leeds"}, "LS1 6AE", "Park Surgery"),
		lines: []string{
			"SMITH, Jo (Mr)  Born 14-Mar-1958 (68y)  Gender Male  NHS No. 900 000 0017",
			"Address 1 Trevelyan Square, Leeds, LS1 6AE  GP Park Surgery (Y90017)",
			"Known allergies (3)",
		},
	}, {
		name: "a long name: the GP beside the NHS number",
		p:    patient("HARGREAVES", "Robert Alan", []string{"14 Kirkstall Mews", "Headingley", "Leeds", "West Yorkshire"}, "LS6 3QT", "Headingley Lane Surgery"),
		lines: []string{
			"HARGREAVES, Robert Alan (Mr)  Born 14-Mar-1958 (68y)  Gender Male",
			"NHS No. 900 000 0017  GP Headingley Lane Surgery (Y90017)",
			"Address 14 Kirkstall Mews, Headingley, Leeds, West Yorkshire, LS6 3QT",
			"Known allergies (3)",
		},
	}, {
		name: "a long name and a long GP name: the address beside the NHS number",
		p:    patient("HARGREAVES", "Robert Alan", []string{"2 Mill Lane", "Leeds"}, "LS6 3QT", "The Headingley and Kirkstall Lane Medical Practice Partnership"),
		lines: []string{
			"HARGREAVES, Robert Alan (Mr)  Born 14-Mar-1958 (68y)  Gender Male",
			"NHS No. 900 000 0017  Address 2 Mill Lane, Leeds, LS6 3QT",
			"GP The Headingley and Kirkstall Lane Medical Practice Partnership (Y90017)",
			"Known allergies (3)",
		},
	}} {
		rec := recordview.Read(sum)
		rec.Flags = nil
		raw := renderSummaryBanner(summaryTestCommon(80, 24), tc.p, rec)
		bannerLinesFit(t, raw, 80)
		got := strings.Split(ansi.Strip(raw), "\n")
		got = got[:len(got)-1] // the rule
		for i := range got {
			got[i] = strings.TrimRight(got[i], " ")
		}
		if !slices.Equal(got, tc.lines) {
			t.Errorf("%s:\n got %q\nwant %q", tc.name, got, tc.lines)
		}
	}
}

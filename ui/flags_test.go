package ui

import (
	"strconv"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
	"github.com/scrterm/scr/client"
	"github.com/scrterm/scr/internal/recordview"
)

// summaryTestScreen is the summary screen as drawn, without styling.
func summaryTestScreen(m summaryScreen) string { return ansi.Strip(m.drawn()) }

// TestBannerAllergyCountExcludesNoInformation: the banner's count is of
// real allergies only; "No relevant information…" and "No known allergies"
// rows are not counted, and a free-text allergy leaves the number out
// rather than understate it.
func TestBannerAllergyCountExcludesNoInformation(t *testing.T) {
	for nhs, want := range map[string]string{
		"9000000017": "Known allergies (3)",
		"9000000130": "Known allergies (50)",
		"9000000068": "No known allergies",
		"9000000092": "Allergies not recorded",
	} {
		m := summaryTestModel(t, nhs, 80, 24)
		if banner := ansi.Strip(strings.Join(m.layout().banner, "\n")); !strings.Contains(banner, want) {
			t.Errorf("%s: banner lacks %q:\n%s", nhs, want, banner)
		}
	}
	s := summaryHandmade()
	s.Sections[0].Blocks = []client.Block{&client.Table{
		Headers: row("Date", "Description"),
		Rows: [][]client.Cell{
			row("01-Jan-2020", "Penicillin allergy"),
			row("", "No relevant information available for this category"),
			row("02-Jan-2020", "No known allergies"),
			row("03-Jan-2020", "Latex allergy"),
		},
	}}
	if a := recordview.Read(s).Allergies; a.Count != 2 || !a.Exact {
		t.Errorf("count %d (exact %v), want 2", a.Count, a.Exact)
	}
	s.Sections[0].Blocks = append(s.Sections[0].Blocks, client.Paragraph{Text: "Also: reacts to plasters"})
	if recordview.Read(s).Allergies.Exact {
		t.Error("a free-text allergy: the count must not be given as exact")
	}
	m := newSummaryScreen(summaryTestCommon(80, 24), summaryTestPatient(t, "9000000017", ""), s, summaryTestFooter)
	if banner := ansi.Strip(strings.Join(m.layout().banner, "\n")); !strings.Contains(banner, "Known allergies") || strings.Contains(banner, "Known allergies (") {
		t.Errorf("want no number beside free text:\n%s", banner)
	}
}

// TestFlagResuscitationWords: the narrative's words for a resuscitation
// decision flag it; "resuscitation" alone, "respect" in lower case, and a
// plain negation do not.
func TestFlagResuscitationWords(t *testing.T) {
	for text, want := range map[string]bool{
		"DNACPR decision in place; form held at home": true,
		"dnacpr":                                       true,
		"DNAR order":                                   true,
		"Do not attempt resuscitation":                 true,
		"Patient is not for resuscitation":             true,
		"ReSPECT form completed 2024":                  true,
		"Do not attempt cardiopulmonary resuscitation": true,
		"For full resuscitation":                       false,
		"Neonatal resuscitation at birth":              false,
		"Resuscitation status discussed":               false,
		"Treated with respect and dignity":             false,
		"RESPECT his wishes":                           false,
		"No DNACPR in place":                           false,
		"No ReSPECT form":                              false,
		"DNACPRS":                                      false,
		"Asked about DNACPR; not for resuscitation per the form": true,
	} {
		s := summaryHandmade()
		s.Sections = append(s.Sections, client.Section{Code: client.SectionPreferences, Kind: client.SectionPreferences,
			Title: "Personal Preferences", Blocks: []client.Block{client.Paragraph{Text: text}}})
		got := false
		for _, f := range recordview.Read(s).Flags {
			got = got || f.Kind == recordview.FlagResuscitation
		}
		if got != want {
			t.Errorf("%q: flagged %v, want %v", text, got, want)
		}
	}
}

// TestFlagResuscitationByCode: a coded entry (resuscitationCodes) flags its
// section even when the narrative's words would not; a look-alike code
// does not.
func TestFlagResuscitationByCode(t *testing.T) {
	s := summaryHandmade()
	s.Sections = append(s.Sections, client.Section{Code: client.SectionPreferences, Kind: client.SectionPreferences,
		Title: "Personal Preferences", Blocks: []client.Block{client.Paragraph{Text: "Not for attempted CPR (form at home)"}}})
	for code, want := range map[string]bool{"450476008": true, "304253006": true, "143021000119109": true,
		"304252001": false, "845151000000104": false, "1066391000000105": false} {
		s.Entries = []client.ClinicalEntry{{Kind: "Observation", Code: code, Display: "Not for attempted CPR", Category: "Personal preferences"}}
		var got *recordview.Flag
		for _, f := range recordview.Read(s).Flags {
			if f.Kind == recordview.FlagResuscitation {
				got = &f
			}
		}
		if (got != nil) != want {
			t.Errorf("%s: flagged %v, want %v", code, got != nil, want)
			continue
		}
		if got != nil && got.Where != "Personal Preferences" {
			t.Errorf("%s: flag names %q", code, got.Where)
		}
	}
}

// TestFlagDNACPROnFirstScreen: 9000000076's DNACPR sits at the end of the
// record; its flag is in the banner at every size and r shows it.
func TestFlagDNACPROnFirstScreen(t *testing.T) {
	for _, size := range [][2]int{{60, 15}, {80, 23}, {120, 39}, {200, 59}} {
		m := summaryTestModel(t, "9000000076", size[0], size[1])
		view := summaryTestScreen(m)
		if !strings.Contains(strings.Join(strings.Fields(view), " "), "Resuscitation decision in Personal Preferences [r]") {
			t.Errorf("%v: no resuscitation flag on the first screen:\n%s", size, view)
		}
		m = summaryPress(m, "r")
		if size[0] == 60 {
			// 60×16 shows the heading and a row's start: one more line down.
			m = summaryPress(m, "down", "down", "down")
		}
		view = summaryTestScreen(m)
		shown := strings.Contains(view, "Personal Preferences") && strings.Contains(view, "resuscitation")
		if size[0] == 60 {
			shown = strings.Contains(view, "DNACPR decision")
		}
		if !shown {
			t.Errorf("%v: r did not show the decision:\n%s", size, view)
		}
	}
}

// TestFlagKeysJump: each flag's key brings its section's heading to the
// top (or as near as the end of the record allows); a key whose flag the
// record lacks does nothing.
func TestFlagKeysJump(t *testing.T) {
	for _, tc := range []struct{ nhs, key, title string }{
		{"9000000076", "r", "Personal Preferences"},
		{"9000000076", "i", "Diagnoses"},
		{"9000000238", "i", "Personal Preferences"},
		{"9000000238", "w", "General Practice Summary"},
		{"9000000181", "w", ""},
	} {
		m := summaryTestModel(t, tc.nhs, 80, 23)
		var f recordview.Flag
		found := false
		for _, g := range m.rec.Flags {
			if flagBinding(g, m.c.keys).Help().Key == tc.key {
				f, found = g, true
			}
		}
		if !found {
			t.Errorf("%s: no flag for %s", tc.nhs, tc.key)
			continue
		}
		if tc.title != "" && f.Where != tc.title {
			t.Errorf("%s %s: flag names %q, want %q", tc.nhs, tc.key, f.Where, tc.title)
		}
		lay := m.layout()
		m = summaryPress(m, tc.key)
		want := min(lay.body.Sections[f.Section], summaryMaxOffset(m))
		if summaryTop(m) != want {
			t.Errorf("%s %s: offset %d, want %d", tc.nhs, tc.key, summaryTop(m), want)
		}
		if !strings.Contains(summaryTestScreen(m), f.Where) {
			t.Errorf("%s %s: %q not on screen", tc.nhs, tc.key, f.Where)
		}
	}
	m := summaryTestModel(t, "9000000017", 80, 23)
	if after := summaryPress(m, "r", "w"); summaryTop(after) != 0 {
		t.Errorf("keys of absent flags moved the view to %d", summaryTop(after))
	}
}

// TestFlagAdditionalAndWithheld: a core-only record has no "Additional
// information" flag; a record with entries withheld says so.
func TestFlagAdditionalAndWithheld(t *testing.T) {
	kinds := func(nhs string) map[recordview.FlagKind]bool {
		out := map[recordview.FlagKind]bool{}
		for _, f := range recordview.Read(summaryTestSummary(t, nhs)).Flags {
			out[f.Kind] = true
		}
		return out
	}
	// 9000000173 is core only, but says entries were withheld.
	if k := kinds("9000000173"); k[recordview.FlagAdditional] || !k[recordview.FlagWithheld] || k[recordview.FlagResuscitation] {
		t.Errorf("core summary flagged: %v", k)
	}
	if k := kinds("9000000238"); !k[recordview.FlagAdditional] || !k[recordview.FlagWithheld] {
		t.Errorf("9000000238: %v", k)
	}
	if k := kinds("9000000017"); k[recordview.FlagResuscitation] {
		t.Errorf("9000000017 has no resuscitation decision: %v", k)
	}
}

// TestBannerPracticeName: the GP's name comes from PDS, or from the SCR's
// author organisation only when its ODS code is the GP's.
func TestBannerPracticeName(t *testing.T) {
	s := &client.Summary{Practice: client.Organisation{Name: "Headingley Lane Surgery", ODSCode: "Y90017"}}
	for _, tc := range []struct {
		gp   client.GP
		want string
	}{
		{client.GP{ODSCode: "Y90017"}, "Headingley Lane Surgery (Y90017)"},
		{client.GP{ODSCode: "y90017"}, "Headingley Lane Surgery (y90017)"},
		{client.GP{ODSCode: "Y12345"}, "Y12345"},
		{client.GP{ODSCode: "Y90017", Name: "PDS Name"}, "PDS Name (Y90017)"},
		{client.GP{}, notKnown},
	} {
		if got := bannerGP(tc.gp, s.Practice); got != tc.want {
			t.Errorf("%+v: %q, want %q", tc.gp, got, tc.want)
		}
	}
	if got := bannerGP(client.GP{ODSCode: "Y90017"}, client.Organisation{}); got != "Y90017" {
		t.Errorf("no record: %q", got)
	}
}

// TestAllergiesBelowFootLine: at the foot of the allergies, while counted
// rows are not wholly on screen, a line says how many have not begun above
// it ("N more allergies below") and whether the one it cuts goes on ("This
// allergy goes on"), never counting that one as more; the count falls as the
// view scrolls, and the line is gone once every row is seen.
func TestAllergiesBelowFootLine(t *testing.T) {
	m := summaryTestModel(t, "9000000130", 80, 23)
	lay := m.layout()
	bodyH := m.bodyHeight(lay)
	prev, sawCut := -1, false
	for step := 0; step < 400; step++ {
		off := summaryTop(m)
		view := strings.Split(summaryTestScreen(m), "\n")
		foot := view[len(lay.banner)+bodyH-1]
		footLine := off + bodyH - 1
		below, cut := 0, false
		for i, e := range lay.body.AllergyEnds {
			switch {
			case e < footLine:
			case lay.body.AllergyStarts[i] < footLine:
				cut = true
			default:
				below++
			}
		}
		if off > lay.body.AllergyEnd || lay.body.Allergies >= footLine {
			below, cut = 0, false
		}
		switch {
		case cut && !strings.Contains(foot, "This allergy goes on"):
			t.Fatalf("offset %d: foot %q, but the allergy it cuts goes on", off, foot)
		case !cut && strings.Contains(foot, "goes on"):
			t.Fatalf("offset %d: foot %q, but it cuts no allergy", off, foot)
		case below > 0 && !strings.Contains(foot, strconv.Itoa(below)+" more"):
			t.Fatalf("offset %d: foot %q, want %d more", off, foot, below)
		case below == 0 && !cut && strings.Contains(foot, "allerg"):
			t.Fatalf("offset %d: foot %q, but no allergy is below", off, foot)
		}
		if prev >= 0 && below > prev {
			t.Fatalf("offset %d: count rose from %d to %d scrolling down", off, prev, below)
		}
		sawCut = sawCut || cut
		prev = below
		m = summaryPress(m, "down")
		if summaryTop(m) == off {
			break
		}
	}
	if !sawCut {
		t.Error("scrolling never cut an allergy: the test no longer tries the case")
	}
	// A record whose allergies all fit never says it.
	m = summaryTestModel(t, "9000000017", 120, 39)
	if strings.Contains(summaryTestScreen(m), "more allerg") {
		t.Errorf("all allergies fit, yet:\n%s", summaryTestScreen(m))
	}
}

// TestSummaryBannerGolden: the summary screen with its banner at 80×24 and
// 120×40 for a record with allergies and a count, the DNACPR record, one
// with additional information and entries withheld, a sensitive patient
// and a long address.
func TestSummaryBannerGolden(t *testing.T) {
	for _, nhs := range []string{"9000000017", "9000000076", "9000000238", "9000000025", "9000000130"} {
		for _, size := range [][2]int{{80, 24}, {120, 40}} {
			// The root model keeps the last line for its key help.
			m := summaryTestModel(t, nhs, size[0], size[1]-1)
			name := nhs + "_" + strconv.Itoa(size[0]) + "x" + strconv.Itoa(size[1])
			summaryGolden(t, "summary/banner_"+name, summaryTestScreen(m))
			banner := ansi.Strip(strings.Join(m.layout().banner, "\n"))
			summaryGolden(t, "banner/summary_"+name, banner)
		}
	}
}

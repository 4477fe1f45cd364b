package ui

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/scrterm/scr/client"
	"github.com/scrterm/scr/internal/recordview"
)

// bannerGap separates the items of a banner line.
const bannerGap = "  "

// renderBanner is the NHS Common User Interface patient banner, which stays
// on top of every screen that shows a patient's record:
//
//	SMITH, Jane (Mrs)  Born 22-Oct-2010 (16y)  Gender Female  NHS No. 900 000 0009
//	DECEASED 22-Oct-2010  (no name in force today)
//	Address 1 Trevelyan Square, Leeds, LS1 6AE  GP Y12345
//
// The name comes first and unlabelled; labels have no colons; a missing value
// reads "Not Known". Badges are words, so a monochrome or NO_COLOR terminal
// loses nothing. A restricted patient's address and GP are never shown, only
// the badge naming the label and saying they are withheld. Items wrap
// between each other onto as many lines as c.width needs, never inside a
// value, except that one item wider than the whole line is word-wrapped, and
// the address wraps between its parts. The result has no trailing newline;
// every line fits c.width.
func renderBanner(c *common, p *client.Patient) string {
	return renderBannerWith(c, p, nil)
}

// renderSummaryBanner is the banner over the summary screen: the patient's,
// then a line with what the record says of allergies and its flags, each
// flag with the key that jumps to it, so that none of them waits below the
// scroll:
//
//	HARGREAVES, Robert Alan (Mr)  Born 14-Mar-1958 (68y)  Gender Male
//	NHS No. 900 000 0017  GP Headingley Lane Surgery (Y90017)
//	Address 14 Kirkstall Mews, Headingley, Leeds, West Yorkshire, LS6 3QT
//	Known allergies (3)  Additional information in Diagnoses +2 [i]
//
// rec is what the record says (recordview.Read; nil stands for no record);
// the GP's name may come from the practice that wrote it (bannerGP).
func renderSummaryBanner(c *common, p *client.Patient, rec *recordview.Record) string {
	if rec == nil {
		rec = recordview.Read(nil)
	}
	return renderBannerWith(c, p, rec)
}

// bannerMaxLines bounds the banner's lines (not counting its rule) so that
// the record keeps most of a 60×16 window whatever PDS sends. Only the
// address gives way, cut with an ellipsis: nothing else is that long but a
// hostile record, and the clinical line must stay.
const bannerMaxLines = 8

// patientFacts is what the banner says of a patient, apart from how it is
// drawn: a plain mode reads it out as labelled lines (lines).
type patientFacts struct {
	known    bool   // PDS sent the patient's details
	name     string // unlabelled, first
	born     string // with the age, where it is known
	gender   string
	nhs      string
	badges   []string // SENSITIVE…, DECEASED…, NHS number superseded…
	nameNote string   // no name in force today
	withheld bool     // a sensitive record: no address or GP shown
	address  string   // on one line; notKnown when PDS has none
	gp       string
	// The record's clinical items, when the banner is the record's: the
	// allergy status (with the count, when it is known), and the flags.
	record    bool
	allergies string
	allergic  bool // "Known allergies": set apart
	flags     []recordview.Flag
}

// bannerFacts is what the banner says of p, and of rec when the banner is
// over the record (rec not nil).
func bannerFacts(c *common, p *client.Patient, rec *recordview.Record) patientFacts {
	f := patientFacts{known: p != nil, name: "Patient details unavailable"}
	if rec != nil {
		a := rec.Allergies
		f.record, f.allergies, f.flags = true, a.Status, rec.Flags
		f.allergic = a.Status == recordview.AllergiesKnown
		if f.allergic && a.Exact && a.Count > 0 {
			f.allergies += " (" + strconv.Itoa(a.Count) + ")"
		}
	}
	if p == nil {
		return f
	}
	f.name = formatName(p.Name)
	if f.name == "" {
		f.name = notKnown
	}
	f.born = formatDate(p.BirthDate)
	// A deceased patient's age stops at death; with no date of death, no
	// age is shown rather than one that keeps counting.
	at := bannerNow(c)
	if p.Deceased {
		at = p.DeceasedDate.Time
	}
	if age := formatAge(p.BirthDate, at); age != "" && !(p.Deceased && p.DeceasedDate.IsZero()) {
		f.born += " (" + age + ")"
	}
	f.gender = formatGender(p.Gender)
	f.nhs = formatNHSNumber(p.NHSNumber)
	if f.nhs == "" {
		f.nhs = notKnown
	}
	if p.Sensitive {
		f.withheld = true
		f.badges = append(f.badges, securityWords(p.Security)+" — address and GP withheld")
	}
	if p.Deceased {
		d := "DECEASED"
		if !p.DeceasedDate.IsZero() {
			d += " " + formatDate(p.DeceasedDate)
		}
		f.badges = append(f.badges, d)
	}
	if p.SupersededFrom != "" {
		f.badges = append(f.badges, "NHS number superseded: "+formatNHSNumber(p.SupersededFrom)+" → "+formatNHSNumber(p.NHSNumber))
	}
	if !p.NameInForce {
		f.nameNote = "(no name is in force today: showing the latest usual name)"
	}
	if !p.Sensitive {
		var practice client.Organisation
		if rec != nil {
			practice = rec.Practice
		}
		f.address, f.gp = notKnown, bannerGP(p.GP, practice)
		if !p.Address.IsZero() {
			f.address = p.Address.String()
		}
	}
	return f
}

// lines are the facts one to a line, labelled, in the banner's order.
func (f patientFacts) lines(keys keyMap) []fact {
	out := []fact{{value: f.name}}
	if f.known {
		out = append(out, fact{"Born", f.born}, fact{"Gender", f.gender}, fact{"NHS No.", f.nhs})
		for _, b := range f.badges {
			out = append(out, fact{value: b})
		}
		if f.nameNote != "" {
			out = append(out, fact{value: f.nameNote})
		}
		if !f.withheld {
			out = append(out, fact{"Address", f.address}, fact{"GP", f.gp})
		}
	}
	if f.record {
		out = append(out, fact{"Allergies", f.allergies})
		for _, fl := range f.flags {
			out = append(out, fact{value: flagText(fl, keys)})
		}
	}
	return out
}

func renderBannerWith(c *common, p *client.Patient, rec *recordview.Record) string {
	w := c.width
	if w <= 0 {
		return ""
	}
	st := c.styles
	f := bannerFacts(c, p, rec)
	if !f.known {
		lines := []string{ansi.Truncate(st.BannerName.Render(f.name), w, "…")}
		if f.record {
			lines = bannerFlow(lines, w, bannerClinical(c, f))
		}
		return bannerBox(st, w, lines)
	}
	label := func(l, v string) string { return st.BannerLabel.Render(l) + " " + v }
	ident := bannerFlow(nil, w, []string{
		st.BannerName.Render(f.name),
		label("Born", f.born),
		label("Gender", f.gender),
		label("NHS No.", f.nhs),
	})

	var badges []string
	for _, b := range f.badges {
		badges = append(badges, st.Badge.Render(b))
	}
	if f.nameNote != "" {
		badges = append(badges, st.Faint.Render(f.nameNote))
	}
	badgeLines := bannerFlow(nil, w, badges)

	var clinical []string
	if f.record {
		clinical = bannerFlow(nil, w, bannerClinical(c, f))
	}
	var addr []string
	if !f.withheld {
		ident, addr = bannerPlace(ident, label, f.address, label("GP", f.gp), w)
		if room := bannerMaxLines - len(ident) - len(badgeLines) - len(clinical); len(addr) > room {
			// Only a hostile address gets here: cut, and say so by the
			// ellipsis, rather than push the record off the screen.
			room = max(room, 1)
			addr = addr[:room]
			addr[room-1] = ansi.Truncate(addr[room-1]+" …", w, "…")
		}
	}
	lines := append(append(append(ident, badgeLines...), addr...), clinical...)
	return bannerBox(st, w, lines)
}

// bannerBox puts the banner's lines in its box (the rule under them).
func bannerBox(st styles, w int, lines []string) string {
	out := st.Banner.Width(w).Render(strings.Join(lines, "\n"))
	if lipgloss.Width(out) > w {
		// The style grew wider than asked (a border or padding the lines
		// did not allow for): drop the style rather than overflow.
		return strings.Join(lines, "\n")
	}
	return out
}

// bannerGP is the GP item's value: "Headingley Lane Surgery (Y90017)". The
// name is PDS's when it sends one, else that of the practice that wrote the
// SCR, but only when that practice has the same ODS code: a name from
// another organisation would send the clinician to the wrong practice.
func bannerGP(gp client.GP, practice client.Organisation) string {
	name := gp.Name
	if name == "" && gp.ODSCode != "" && strings.EqualFold(practice.ODSCode, gp.ODSCode) {
		name = practice.Name
	}
	switch {
	case name != "" && gp.ODSCode != "":
		return name + " (" + gp.ODSCode + ")"
	case name != "":
		return name
	case gp.ODSCode != "":
		return gp.ODSCode
	}
	return notKnown
}

// bannerPlace puts the address and the GP item under the identity lines
// (whose last holds the NHS number) in the fewest lines, so that the record
// keeps its rows at 80 columns: the GP after the address when it fits there
// (the usual place), else after the NHS number, else the whole address after
// the NHS number and the GP on a line of its own. It returns the identity
// lines, perhaps with one of them added to the last, and the lines under.
func bannerPlace(ident []string, label func(l, v string) string, a, gpItem string, w int) (id, under []string) {
	under = bannerAddress(label, a, gpItem, w)
	if len(ident) == 0 || len(under) == 1 {
		return ident, under
	}
	last := ident[len(ident)-1]
	room := w - ansi.StringWidth(last) - len(bannerGap)
	with := func(item string) []string {
		out := slices.Clone(ident)
		out[len(out)-1] = last + bannerGap + item
		return out
	}
	best := len(under)
	bestID, bestUnder := ident, under
	if ansi.StringWidth(gpItem) <= room {
		if u := bannerAddress(label, a, "", w); len(u) < best {
			best, bestID, bestUnder = len(u), with(gpItem), u
		}
	}
	if whole := bannerAddress(label, a, "", w); len(whole) == 1 && ansi.StringWidth(whole[0]) <= room && 1 < best {
		bestID, bestUnder = with(whole[0]), bannerFlow(nil, w, []string{gpItem})
	}
	return bestID, bestUnder
}

// bannerAddress lays out the address and, after it, the GP item (if any):
// the address wraps between its words (its parts kept whole where they fit)
// so that the postcode, its most useful part, is never lost; the GP follows
// on the address's last line when it fits.
func bannerAddress(label func(l, v string) string, a, gpItem string, w int) []string {
	words := []string{notKnown}
	if a != notKnown {
		words = strings.Fields(a)
	}
	head := label("Address", "")
	var lines []string
	cur, curW := strings.TrimSuffix(head, " "), ansi.StringWidth(head)-1
	for _, wd := range words {
		ww := ansi.StringWidth(wd)
		if curW > 0 && curW+1+ww > w {
			lines = append(lines, cur)
			cur, curW = "", 0
		}
		if ww > w {
			// A word wider than the line: broken, as nothing may overflow.
			parts := strings.Split(ansi.Hardwrap(wd, w, true), "\n")
			if curW > 0 {
				lines = append(lines, cur)
			}
			lines = append(lines, parts[:len(parts)-1]...)
			cur, curW = parts[len(parts)-1], ansi.StringWidth(parts[len(parts)-1])
			continue
		}
		if curW > 0 {
			cur += " "
			curW++
		}
		cur += wd
		curW += ww
	}
	switch gw := ansi.StringWidth(gpItem); {
	case gw == 0:
		return append(lines, cur)
	case curW+len(bannerGap)+gw <= w:
		return append(lines, cur+bannerGap+gpItem)
	}
	return bannerFlow(append(lines, cur), w, []string{gpItem})
}

// bannerClinical is the banner's clinical items: the allergy status, with
// the number of allergies when it is known, then each flag.
func bannerClinical(c *common, f patientFacts) []string {
	st := c.styles
	style := st.Text
	if f.allergic {
		style = st.Emphasis
	}
	items := []string{style.Render(f.allergies)}
	for _, fl := range f.flags {
		fs := st.Notice
		switch fl.Kind {
		case recordview.FlagResuscitation:
			fs = st.Emphasis
		case recordview.FlagWithheld:
			fs = st.Withheld
		}
		items = append(items, fs.Render(flagText(fl, c.keys)))
	}
	return items
}

// securityWords names a PDS security label for the banner's SENSITIVE badge
// (PDS's "sensitive patients"). A label not known here is still restrictive
// (the client fails safe), and is named by its code.
func securityWords(code string) string {
	switch code {
	case client.SecurityRestricted:
		return "SENSITIVE: Restricted record"
	case client.SecurityVeryRestricted:
		return "SENSITIVE: Very restricted record"
	case client.SecurityRedacted:
		return "SENSITIVE: Redacted record"
	}
	return "SENSITIVE: Restricted record (label " + code + ")"
}

// bannerNow is the clock the banner reads the age by, in local time.
func bannerNow(c *common) time.Time {
	if c.now != nil {
		return c.now()
	}
	return time.Now()
}

// bannerFlow lays items out on lines of at most w cells, bannerGap apart,
// starting a new line (after lines) rather than splitting an item; an item
// wider than w alone is word-wrapped onto lines of its own.
func bannerFlow(lines []string, w int, items []string) []string {
	var cur strings.Builder
	curW := 0
	flush := func() {
		if curW > 0 {
			lines = append(lines, cur.String())
		}
		cur.Reset()
		curW = 0
	}
	for _, it := range items {
		iw := ansi.StringWidth(it)
		switch {
		case iw == 0:
			continue
		case iw > w:
			flush()
			for l := range strings.SplitSeq(ansi.Wrap(it, w, ""), "\n") {
				if ansi.StringWidth(l) > w {
					// A word (with the badge's padding) wider than the
					// line: broken, as nothing may overflow.
					l = ansi.Hardwrap(l, w, true)
				}
				lines = append(lines, strings.Split(l, "\n")...)
			}
			continue
		case curW > 0 && curW+len(bannerGap)+iw > w:
			flush()
		}
		if curW > 0 {
			cur.WriteString(bannerGap)
			curW += len(bannerGap)
		}
		cur.WriteString(it)
		curW += iw
	}
	flush()
	return lines
}

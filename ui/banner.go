package ui

import (
	"strings"
	"time"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/scrterm/scr/client"
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
// the badge naming the label and saying they are withheld. Items wrap between each other onto as many
// lines as c.width needs, never inside a value, except that one item wider
// than the whole line is word-wrapped and the address is cut with an
// ellipsis. The result has no trailing newline; every line fits c.width.
func renderBanner(c *common, p *client.Patient) string {
	w := c.width
	if w <= 0 {
		return ""
	}
	st := c.styles
	if p == nil {
		return ansi.Truncate(st.Banner.Render(st.BannerName.Render("Patient details unavailable")), w, "…")
	}
	label := func(l, v string) string { return st.BannerLabel.Render(l) + " " + v }

	name := formatName(p.Name)
	if name == "" {
		name = notKnown
	}
	born := formatDate(p.BirthDate)
	// A deceased patient's age stops at death; with no date of death, no
	// age is shown rather than one that keeps counting.
	at := bannerNow(c)
	if p.Deceased {
		at = p.DeceasedDate.Time
	}
	if age := formatAge(p.BirthDate, at); age != "" && !(p.Deceased && p.DeceasedDate.IsZero()) {
		born += " (" + age + ")"
	}
	nhs := formatNHSNumber(p.NHSNumber)
	if nhs == "" {
		nhs = notKnown
	}
	var lines []string
	lines = bannerFlow(lines, w, []string{
		st.BannerName.Render(name),
		label("Born", born),
		label("Gender", formatGender(p.Gender)),
		label("NHS No.", nhs),
	})

	var badges []string
	if p.Sensitive {
		badges = append(badges, st.Badge.Render(securityWords(p.Security)+" — address and GP withheld"))
	}
	if p.Deceased {
		d := "DECEASED"
		if !p.DeceasedDate.IsZero() {
			d += " " + formatDate(p.DeceasedDate)
		}
		badges = append(badges, st.Badge.Render(d))
	}
	if p.SupersededFrom != "" {
		badges = append(badges, st.Badge.Render("NHS number superseded: "+
			formatNHSNumber(p.SupersededFrom)+" → "+formatNHSNumber(p.NHSNumber)))
	}
	if !p.NameInForce {
		badges = append(badges, st.Faint.Render("(no name is in force today: showing the latest usual name)"))
	}
	lines = bannerFlow(lines, w, badges)

	if !p.Sensitive {
		addr := notKnown
		if !p.Address.IsZero() {
			addr = p.Address.String()
		}
		gp := notKnown
		switch {
		case p.GP.Name != "" && p.GP.ODSCode != "":
			gp = p.GP.Name + " (" + p.GP.ODSCode + ")"
		case p.GP.Name != "":
			gp = p.GP.Name
		case p.GP.ODSCode != "":
			gp = p.GP.ODSCode
		}
		addrItem := label("Address", addr)
		gpItem := label("GP", gp)
		if ansi.StringWidth(addrItem)+len(bannerGap)+ansi.StringWidth(gpItem) <= w {
			lines = append(lines, addrItem+bannerGap+gpItem)
		} else {
			// The address is the one value cut to fit, on its own line: the
			// rest of the banner identifies the patient.
			lines = append(lines, ansi.Truncate(addrItem, w, "…"))
			lines = bannerFlow(lines, w, []string{gpItem})
		}
	}

	out := st.Banner.Width(w).Render(strings.Join(lines, "\n"))
	if lipgloss.Width(out) > w {
		// The style grew wider than asked (a border or padding the lines
		// did not allow for): drop the style rather than overflow.
		return strings.Join(lines, "\n")
	}
	return out
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

package recordview

import (
	"slices"
	"strings"
	"unicode"

	"github.com/scrterm/scr/client"
)

// resuscitationCodes are the SNOMED CT concepts whose structured entry means
// a decision not to attempt resuscitation is recorded. The first three are
// the SCR Inclusion Dataset's resuscitation codes that say "not for"; the
// "for resuscitation" ones (304252001, 450475007) are left out, and so are
// look-alikes that are no decision: 845151000000104 "Not aware of DNACPR
// clinical decision", 931761000000106 "Discussion about DNACPR not
// appropriate at this time" and 1066391000000105 (an A&E discharge
// destination, not a resuscitation concept). ReSPECT has no code here: it is
// found by its name in the narrative.
var resuscitationCodes = map[string]string{
	"304253006":       "Not for resuscitation",
	"450476008":       "Not for attempted cardiopulmonary resuscitation",
	"143021000119109": "Do not resuscitate status with supporting documentation",
}

// resuscitationPhrases are the narrative's words for a resuscitation
// decision, lower case, matched as whole words in any case. The bare word
// "resuscitation" is not one: "neonatal resuscitation", "for full
// resuscitation" are no DNACPR. "ReSPECT" is matched apart, in its own
// mixed case, as "respect" is an everyday word.
var resuscitationPhrases = []string{
	"dnacpr",
	"dnar",
	"dnr",
	"do not attempt resuscitation",
	"do not attempt cardiopulmonary resuscitation",
	"do not attempt cpr",
	"do not resuscitate",
	"not for resuscitation",
	"not for attempted resuscitation",
	"not for cardiopulmonary resuscitation",
	"not for attempted cardiopulmonary resuscitation",
	"not for cpr",
}

// resuscitationNegations before a phrase say there is no such decision
// ("No DNACPR in place"): not flagged. A false flag sends the clinician to
// read a section for nothing; a missed one can mean CPR against a recorded
// decision, so only these plain negations, right before the words, are
// taken as saying there is none.
var resuscitationNegations = []string{"no", "not", "without", "nil"}

// FlagKind is what a flag is about.
type FlagKind int

// The flags, in the order the banner names them.
const (
	FlagResuscitation FlagKind = iota // a resuscitation decision (DNACPR, ReSPECT)
	FlagAdditional                    // additional information beyond the core record
	FlagWithheld                      // entries withheld
)

// Flag is one thing in the record a clinician must not miss.
type Flag struct {
	Kind  FlagKind
	Words string // "Resuscitation decision"
	Where string // the section it is in, as headed; "" when in none
	More  int    // further sections with the same flag
	// Section is the index in Record.Sections of the section holding it,
	// -1 when no section does (a coded entry without narrative, or entries
	// withheld said only under the record's title).
	Section int
}

// flags finds the flags of s, whose sections are shown in order.
func flags(s *client.Summary, order []*client.Section) []Flag {
	var out []Flag
	add := func(kind FlagKind, words string, hits []int) {
		if len(hits) == 0 {
			return
		}
		out = append(out, Flag{Kind: kind, Words: words, Where: title(order[hits[0]]), More: len(hits) - 1, Section: hits[0]})
	}

	var resus, extra, withheld []int
	for i, sec := range order {
		if resuscitationInText(sectionText(sec)) {
			resus = append(resus, i)
		}
		switch kind(sec) {
		case client.SectionTitle, client.SectionAllergies, client.SectionAcuteMeds, client.SectionRepeatMeds, client.SectionDiscontinuedMeds:
		default:
			extra = append(extra, i)
		}
		if sec.Withheld {
			withheld = append(withheld, i)
		}
	}
	// A coded entry is placed in the section whose narrative names it, or
	// whose title is its category; one in neither is still flagged.
	var uncoded *client.ClinicalEntry
	for i := range s.Entries {
		e := &s.Entries[i]
		if _, ok := resuscitationCodes[e.Code]; !ok {
			continue
		}
		at := entrySection(order, e)
		switch {
		case at < 0:
			uncoded = e
		case !slices.Contains(resus, at):
			i, _ := slices.BinarySearch(resus, at)
			resus = slices.Insert(resus, i, at)
		}
	}
	if len(resus) == 0 && uncoded != nil {
		where := uncoded.Category
		if where == "" {
			where = "a coded entry"
		}
		out = append(out, Flag{Kind: FlagResuscitation, Words: "Resuscitation decision", Where: where, Section: -1})
	} else {
		add(FlagResuscitation, "Resuscitation decision", resus)
	}
	add(FlagAdditional, "Additional information", extra)
	if s.Withheld && len(withheld) == 0 {
		// Said under the record's title, not in a section: the body's
		// first lines say it.
		out = append(out, Flag{Kind: FlagWithheld, Words: "Entries withheld", Section: -1})
	}
	add(FlagWithheld, "Entries withheld", withheld)
	return out
}

// entrySection is the place in order of the section holding e, or -1.
func entrySection(order []*client.Section, e *client.ClinicalEntry) int {
	if d := strings.ToLower(strings.TrimSpace(e.Display)); d != "" {
		for i, sec := range order {
			if strings.Contains(strings.ToLower(sectionText(sec)), d) {
				return i
			}
		}
	}
	if e.Category != "" {
		for i, sec := range order {
			if strings.EqualFold(sec.Title, e.Category) {
				return i
			}
		}
	}
	return -1
}

// sectionText is all the words a section shows, a space apart.
func sectionText(sec *client.Section) string {
	var b strings.Builder
	for _, blk := range sec.Blocks {
		switch blk := blk.(type) {
		case client.Heading:
			b.WriteString(blk.Text)
		case client.Paragraph:
			b.WriteString(blk.Text)
		case client.Highlight:
			b.WriteString(blk.Text)
		case *client.Highlight:
			if blk != nil {
				b.WriteString(blk.Text)
			}
		case *client.Table:
			if blk == nil {
				continue
			}
			b.WriteString(blk.Caption)
			for _, row := range blk.Rows {
				for _, c := range row {
					b.WriteString(" ")
					b.WriteString(c.Text)
				}
				b.WriteString(" .")
			}
		}
		b.WriteString(" . ")
	}
	return b.String()
}

// resuscitationInText reports whether text holds one of the phrases, or
// "ReSPECT", as whole words and not right after a negation.
func resuscitationInText(text string) bool {
	orig := strings.FieldsFunc(text, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	words := make([]string, len(orig))
	for i, w := range orig {
		words[i] = strings.ToLower(w)
	}
	negated := func(i int) bool { return i > 0 && slices.Contains(resuscitationNegations, words[i-1]) }
	for i, w := range orig {
		if w == "ReSPECT" && !negated(i) {
			return true
		}
	}
	for _, p := range resuscitationPhrases {
		pw := strings.Fields(p)
		for i := 0; i+len(pw) <= len(words); i++ {
			if slices.Equal(words[i:i+len(pw)], pw) && !negated(i) {
				return true
			}
		}
	}
	return false
}

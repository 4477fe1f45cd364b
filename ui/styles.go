package ui

import (
	"image/color"

	"charm.land/lipgloss/v2"
)

// styles are the viewer's looks, in one place. Colour only ever repeats what
// the text already says: with NO_COLOR or a monochrome terminal a badge still
// reads "SENSITIVE", an allergy heading still reads "Allergies". Every colour
// is picked for the terminal's background, light or dark.
type styles struct {
	Title    lipgloss.Style // a screen's title
	Text     lipgloss.Style
	Faint    lipgloss.Style // hints and secondary text
	Error    lipgloss.Style // what went wrong, in one sentence
	Notice   lipgloss.Style // something to read, not an error
	Selected lipgloss.Style // the chosen line of a list
	Disabled lipgloss.Style // a list line that cannot be chosen

	Banner      lipgloss.Style // the patient banner's box
	BannerName  lipgloss.Style
	BannerLabel lipgloss.Style
	Badge       lipgloss.Style // "SENSITIVE", "DECEASED", … : the words are the badge
	Emphasis    lipgloss.Style // "Known allergies"

	Section        lipgloss.Style // a section heading
	AllergySection lipgloss.Style // the allergies heading, set apart
	TableHeader    lipgloss.Style
	Withheld       lipgloss.Style // "deliberately withheld" statements
	Highlight      lipgloss.Style

	Footer lipgloss.Style
	Help   lipgloss.Style
}

func newStyles(dark bool) styles {
	ld := lipgloss.LightDark(dark)
	var (
		accent  = ld(lipgloss.Color("#005EB8"), lipgloss.Color("#41B6E6")) // NHS Blue / NHS Light Blue
		warning = ld(lipgloss.Color("#8A1538"), lipgloss.Color("#FF6B8A"))
		amber   = ld(lipgloss.Color("#7A4100"), lipgloss.Color("#FFB81C")) // NHS Warm Yellow on dark
		faint   = ld(lipgloss.Color("#425563"), lipgloss.Color("#AEB7BD"))
		invert  color.Color
	)
	invert = ld(lipgloss.Color("#FFFFFF"), lipgloss.Color("#000000"))
	return styles{
		Title:    lipgloss.NewStyle().Bold(true).Foreground(accent),
		Text:     lipgloss.NewStyle(),
		Faint:    lipgloss.NewStyle().Foreground(faint),
		Error:    lipgloss.NewStyle().Bold(true).Foreground(warning),
		Notice:   lipgloss.NewStyle().Foreground(amber),
		Selected: lipgloss.NewStyle().Bold(true).Reverse(true),
		Disabled: lipgloss.NewStyle().Foreground(faint),

		Banner:      lipgloss.NewStyle().Border(lipgloss.NormalBorder(), false, false, true, false).BorderForeground(accent),
		BannerName:  lipgloss.NewStyle().Bold(true),
		BannerLabel: lipgloss.NewStyle().Foreground(faint),
		Badge:       lipgloss.NewStyle().Bold(true).Foreground(invert).Background(warning).Padding(0, 1),
		Emphasis:    lipgloss.NewStyle().Bold(true).Foreground(warning),

		Section:        lipgloss.NewStyle().Bold(true).Foreground(accent),
		AllergySection: lipgloss.NewStyle().Bold(true).Foreground(warning),
		TableHeader:    lipgloss.NewStyle().Bold(true).Underline(true),
		Withheld:       lipgloss.NewStyle().Bold(true).Foreground(amber),
		Highlight:      lipgloss.NewStyle().Bold(true),

		Footer: lipgloss.NewStyle().Foreground(faint),
		Help:   lipgloss.NewStyle().Foreground(faint),
	}
}

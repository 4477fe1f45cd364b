package ui

import (
	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
)

// keyMap is every key the viewer binds, in one place, so that the help and
// the handling cannot drift apart. Keys are ones Windows Terminal and conhost
// deliver as well as Unix terminals: no alt chords, no ctrl+shift.
type keyMap struct {
	Quit key.Binding
	// QuitInField is quit as the help shows it in a field, where q is a
	// letter or ignored.
	QuitInField key.Binding
	Help        key.Binding
	Back        key.Binding
	Submit      key.Binding
	Up          key.Binding
	Down        key.Binding
	PageUp      key.Binding
	PageDown    key.Binding
	Top         key.Binding
	Bottom      key.Binding

	NextSection key.Binding
	PrevSection key.Binding
	Allergies   key.Binding
	Medication  key.Binding
	// The banner's flags: each jumps to the section the flag names.
	Resuscitation key.Binding
	Additional    key.Binding
	Withheld      key.Binding

	NewPatient key.Binding
	SearchForm key.Binding
	NextField  key.Binding
	PrevField  key.Binding
	SwitchRole key.Binding
	Lock       key.Binding
	SignOut    key.Binding
	ToggleDemo key.Binding
	ClearField key.Binding
	// OpenBrowser opens CIS2's sign-in page again (auth = "cis2").
	OpenBrowser key.Binding

	// The permission screen's answers.
	PermGiven     key.Binding
	PermEmergency key.Binding
	PermDeclined  key.Binding

	// The privacy officer's audit screen. Its form fields take digits only
	// (NHS number, dates), so these letters stay commands there; only the
	// export path field takes letters.
	ReportPatient key.Binding
	ReportAlerts  key.Binding
	EmergencyOnly key.Binding
	SortColumn    key.Binding
	SortReverse   key.Binding
	Export        key.Binding
	ConfirmWrite  key.Binding
}

func newKeyMap() keyMap {
	return keyMap{
		Quit:        key.NewBinding(key.WithKeys("q", "ctrl+c"), key.WithHelp("q", "quit")),
		QuitInField: key.NewBinding(key.WithKeys("ctrl+c"), key.WithHelp("ctrl+c", "quit")),
		Help:        key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "help")),
		Back:        key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "back")),
		Submit:      key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "choose")),
		Up:          key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "up")),
		Down:        key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "down")),
		PageUp:      key.NewBinding(key.WithKeys("pgup", "b"), key.WithHelp("pgup", "page up")),
		PageDown:    key.NewBinding(key.WithKeys("pgdown", "space", "f"), key.WithHelp("pgdn/space", "page down")),
		Top:         key.NewBinding(key.WithKeys("home", "g"), key.WithHelp("home", "top")),
		Bottom:      key.NewBinding(key.WithKeys("end", "G"), key.WithHelp("end", "bottom")),

		NextSection: key.NewBinding(key.WithKeys("tab", "]"), key.WithHelp("tab", "next section")),
		PrevSection: key.NewBinding(key.WithKeys("shift+tab", "["), key.WithHelp("shift+tab", "previous section")),
		Allergies:   key.NewBinding(key.WithKeys("a"), key.WithHelp("a", "allergies")),
		Medication:  key.NewBinding(key.WithKeys("m"), key.WithHelp("m", "medication")),
		// Summary screen only: r and w mean other things on the audit screen.
		Resuscitation: key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "resuscitation decision")),
		Additional:    key.NewBinding(key.WithKeys("i"), key.WithHelp("i", "additional information")),
		Withheld:      key.NewBinding(key.WithKeys("w"), key.WithHelp("w", "entries withheld")),

		NewPatient: key.NewBinding(key.WithKeys("n"), key.WithHelp("n", "new patient")),
		SearchForm: key.NewBinding(key.WithKeys("ctrl+f"), key.WithHelp("ctrl+f", "search by details")),
		NextField:  key.NewBinding(key.WithKeys("tab", "down"), key.WithHelp("tab", "next field")),
		PrevField:  key.NewBinding(key.WithKeys("shift+tab", "up"), key.WithHelp("shift+tab", "previous field")),
		SwitchRole: key.NewBinding(key.WithKeys("ctrl+r"), key.WithHelp("ctrl+r", "switch role")),
		Lock:       key.NewBinding(key.WithKeys("ctrl+l"), key.WithHelp("ctrl+l", "lock")),
		SignOut:    key.NewBinding(key.WithKeys("ctrl+o"), key.WithHelp("ctrl+o", "sign out")),
		ToggleDemo: key.NewBinding(key.WithKeys("f2"), key.WithHelp("f2", "pull/insert the demo card"), key.WithDisabled()),
		ClearField: key.NewBinding(key.WithKeys("ctrl+u"), key.WithHelp("ctrl+u", "clear")),

		// Signing in with NHS CIS2.
		OpenBrowser: key.NewBinding(key.WithKeys("o"), key.WithHelp("o", "open the browser again")),

		PermGiven:     key.NewBinding(key.WithKeys("p"), key.WithHelp("p", "permission given")),
		PermEmergency: key.NewBinding(key.WithKeys("e"), key.WithHelp("e", "emergency access")),
		PermDeclined:  key.NewBinding(key.WithKeys("d"), key.WithHelp("d", "declined")),

		ReportPatient: key.NewBinding(key.WithKeys("p"), key.WithHelp("p", "patient report")),
		ReportAlerts:  key.NewBinding(key.WithKeys("o"), key.WithHelp("o", "organisation alerts")),
		EmergencyOnly: key.NewBinding(key.WithKeys("e"), key.WithHelp("e", "emergency only/all alerts")),
		SortColumn:    key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "sort column")),
		SortReverse:   key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "reverse order")),
		Export:        key.NewBinding(key.WithKeys("x"), key.WithHelp("x", "export")),
		ConfirmWrite:  key.NewBinding(key.WithKeys("y"), key.WithHelp("y", "write the file")),
	}
}

// newHelp is the key help. A footer too narrow for every key ends at the
// last whole one, with no "…": help (?), listed first, shows the rest.
func newHelp() help.Model {
	h := help.New()
	h.Ellipsis = ""
	return h
}

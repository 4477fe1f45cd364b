package ui

// keep is what of the search stays when the patient goes.
type keep int

const (
	keepNothing keep = iota // a new patient, the card out, quitting: the search starts empty
	keepNumber              // the session ended: the NHS number typed, to look up once signed in again
	keepForm                // a new role: the number and the form, not the old role's matches
	keepSearch              // Esc from the patient: the search as it was, its matches too
)

// forgetPatient is the one way every path leaves a patient: Esc or n to
// another patient, a new role, the session ended, the card pulled, sign-out,
// quitting. Every answer still on its way about one is dropped (req), and of
// the screen shown only what holds nothing of a patient stays: a patient's
// screen (the permission question, the record) gives way to the search it
// was opened from, kept as k says; the audit screen keeps its form, not its
// rows; a screen that holds no patient stays as it is.
func forgetPatient(s *session, sc screen, k keep) screen {
	s.req++
	s.busy = ""
	switch sc := sc.(type) {
	case findScreen:
		return sc.kept(s, k)
	case permissionScreen:
		return sc.search().kept(s, k)
	case summaryScreen:
		return sc.search().kept(s, k)
	case auditScreen:
		return sc.clear()
	}
	return sc
}

// kept is the search as k keeps it.
func (f findScreen) kept(s *session, k keep) findScreen {
	switch k {
	case keepNothing:
		return newFindScreen(s.common, "")
	case keepNumber:
		return newFindScreen(s.common, f.nhsValue())
	case keepForm:
		// A search's matches were the old role's: back to its form.
		if f.mode == findResults {
			f, _ = f.showForm()
		}
		f.matches = nil
	}
	f.err, f.notice = "", ""
	return f
}

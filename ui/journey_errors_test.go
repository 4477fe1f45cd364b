package ui

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"github.com/scrterm/scr/client"
)

// TestJourneyRefusedAlertShowsNothing: a privacy alert the SCR service
// refuses as malformed (the published alert errors) shows nothing of the
// record, says so, and says it is the viewer's fault, not the user's.
func TestJourneyRefusedAlertShowsNothing(t *testing.T) {
	f := newFixture(t)
	m := step(f.in(statePermission), keyPress("p"))
	req := m.sess.req
	early := step(m, answerMsg{gen: m.sess.gen, req: req, msg: summaryMsg{summary: f.summary}})
	fault := &client.RequestFaultError{ServerReply: client.ServerReply{Service: client.ServiceSCR, Status: 400, Code: "value", RequestID: "req-1"}}
	got := step(early, answerMsg{gen: m.sess.gen, req: req, msg: alertSentMsg{err: fault}})
	if got.where() != statePermission || got.perm().pending != nil {
		t.Fatalf("state %v, pending %v", got.where(), got.perm().pending != nil)
	}
	txt := flat(ansi.Strip(got.render()))
	for _, want := range []string{"The access could not be recorded, so the record is not shown.", "not in anything you typed", "req-1"} {
		if !strings.Contains(txt, flat(want)) {
			t.Errorf("want %q:\n%s", want, ansi.Strip(got.render()))
		}
	}
	if leak := patientOnScreen(got); leak == "Penicillin" || leak == "Clarithromycin" {
		t.Errorf("record content %q shown", leak)
	}
}

// TestJourneyRecordChanged: the record changed under the read: back to the
// search with the number kept and the sentence; the SCR withdrawn: the
// no-SCR screen; Spine's access control: nothing shown, both causes named.
func TestJourneyRecordChanged(t *testing.T) {
	f := newFixture(t)
	for _, tc := range []struct {
		name  string
		err   error
		state state
		want  string
	}{
		{"changed", client.ErrRecordChanged, stateFind, "The Summary Care Record changed while it was being read"},
		{"no SCR", client.ErrNoSCR, statePermission, "This patient has no Summary Care Record."},
		{"ACF", &client.AccessControlError{ServerReply: client.ServerReply{Service: client.ServiceSCR, Status: 420}}, statePermission,
			"the patient may have withdrawn consent, or your role may not allow it"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := f.in(statePermission)
			m.sess.req = 7
			got := step(m, answerMsg{gen: m.sess.gen, req: 7, msg: summaryMsg{err: tc.err}})
			if got.where() != tc.state {
				t.Fatalf("state %v, want %v", got.where(), tc.state)
			}
			txt := ansi.Strip(got.render())
			if !strings.Contains(flat(txt), flat(tc.want)) {
				t.Errorf("want %q:\n%s", tc.want, txt)
			}
			if leak := patientOnScreen(got); leak == "Penicillin" || leak == "Clarithromycin" {
				t.Errorf("record content %q shown", leak)
			}
			if tc.state == stateFind && got.search().number != "9000000017" {
				t.Errorf("the number to look up again is %q", got.search().number)
			}
		})
	}
}

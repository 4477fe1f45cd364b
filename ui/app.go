package ui

import (
	"context"
	"errors"
	"sort"
	"strings"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/spinner"
	tea "charm.land/bubbletea/v2"

	"github.com/scrterm/scr/client"
	"github.com/scrterm/scr/internal/explain"
	"github.com/scrterm/scr/smartcard"
)

// state is where the user is in the journey.
type state int

const (
	stateCard       state = iota // waiting for a reader and a card
	statePasscode                // the holder types the passcode
	stateSigningIn               // the card signs; tokens and roles are fetched
	stateRole                    // the holder picks a role
	stateFind                    // NHS number or demographic search
	statePermission              // consent is Ask: permission, emergency, or declined
	stateSummary                 // the record
	stateAudit                   // a privacy officer's report
	stateLocked                  // idle: passcode to resume
)

func (s state) String() string {
	switch s {
	case stateCard:
		return "card"
	case statePasscode:
		return "passcode"
	case stateSigningIn:
		return "signing in"
	case stateRole:
		return "role"
	case stateFind:
		return "find patient"
	case statePermission:
		return "permission"
	case stateSummary:
		return "summary"
	case stateAudit:
		return "audit"
	case stateLocked:
		return "locked"
	}
	return "unknown"
}

// Model is the viewer: the session's state machine. Everything that talks to
// the card or the network runs in a tea.Cmd; every answer carries the
// generation (gen) of the session it belongs to, and patient answers the
// request (req) too, so an answer that arrives after a card swap, a sign-out
// or a newer search is dropped, never shown.
type Model struct {
	opts   Options
	c      *common
	ctx    context.Context // ends when the viewer does
	cancel context.CancelFunc
	help   help.Model
	spin   spinner.Model

	state    state
	gen      uint64 // bumped whenever the session is wiped
	req      uint64 // bumped for every patient request
	showHelp bool
	quitting bool
	crashed  bool
	// confirmQuit: a quit was asked for with something typed; the next
	// key answers. flash: a sentence shown in place of the key help until
	// the next key.
	confirmQuit bool
	flash       string

	// The readers and the card.
	watching    bool
	watchErr    error
	serviceLost bool            // the service went; no reader list until it is back
	readers     map[string]bool // reader → card present
	opening     string          // reader whose card is being opened
	card        Card
	pinStatus   smartcard.PINStatus
	cardErr     error
	passcode    passcodeField
	passErr     string
	passNotice  string
	demoPick    int // the sandbox card the demo's picker has highlighted

	// The signed-in session.
	session  *client.Session
	role     client.Role
	hasRole  bool
	roleIdx  int
	roleErr  string
	lastRole string // the role to choose again after signing in anew

	// The patient.
	find       findModel
	lookup     *client.Lookup
	permission permissionModel
	summary    summaryModel
	audit      auditModel
	busy       string // what is being waited for, shown with the spinner

	// Idle lock.
	lastInput   time.Time
	lockedFrom  state
	unlockErr   string
	resumeAfter state // after a forced sign-in (session ended), where to go back
}

// New makes the viewer; Run shows it.
func New(opts Options) Model {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.IdleLock <= 0 {
		opts.IdleLock = DefaultIdleLock
	}
	keys := newKeyMap()
	if opts.Demo != nil && opts.Demo.ToggleCard != nil {
		keys.ToggleDemo.SetEnabled(true)
	}
	c := &common{width: 80, height: 24, keys: keys, styles: newStyles(true), now: opts.Now}
	ctx, cancel := context.WithCancel(context.Background())
	sp := spinner.New(spinner.WithSpinner(spinner.Line))
	m := Model{
		opts:      opts,
		c:         c,
		ctx:       ctx,
		cancel:    cancel,
		help:      newHelp(),
		spin:      sp,
		readers:   map[string]bool{},
		lastInput: opts.Now(),
	}
	m.find = newFindModel(c, "")
	return m
}

// Init starts following the readers, asks the terminal's background colour
// for the styles, and starts the idle clock.
func (m Model) Init() tea.Cmd {
	return tea.Batch(m.startWatch(), tea.RequestBackgroundColor, idleTick(), m.spin.Tick)
}

// Messages of the journey. Each result carries gen (and req for patient
// requests) so a stale one is recognised.
type (
	watchStartedMsg struct{ events <-chan smartcard.Event }
	watchFailedMsg  struct{ err error }
	cardEventMsg    struct {
		ev     smartcard.Event
		events <-chan smartcard.Event
	}
	watchClosedMsg struct{}
	retryWatchMsg  struct{}
	cardOpenedMsg  struct {
		gen    uint64
		reader string
		card   Card
		pin    smartcard.PINStatus
		err    error
	}
	signedInMsg struct {
		gen     uint64
		session *client.Session
		err     error
		pin     *smartcard.PINStatus // after a failure, what the card now says
	}
	roleChosenMsg struct {
		gen  uint64
		role client.Role
		err  error
	}
	lookupMsg struct {
		gen, req uint64
		lookup   *client.Lookup
		err      error
	}
	searchMsg struct {
		gen, req uint64
		matches  []client.PatientMatch
		err      error
	}
	summaryMsg struct {
		gen, req uint64
		summary  *client.Summary
		err      error
	}
	alertSentMsg struct {
		gen, req uint64
		err      error
	}
	auditMsg struct {
		gen, req uint64
		rows     []client.Access
		err      error
	}
	unlockedMsg struct {
		gen uint64
		err error
	}
	idleTickMsg  struct{}
	panicMsg     struct{}
	signedOutMsg struct{}
)

// idleTick checks for the idle lock every second.
func idleTick() tea.Cmd {
	return tea.Tick(time.Second, func(time.Time) tea.Msg { return idleTickMsg{} })
}

// task runs f as a command that cannot take the program down: a panic in it
// becomes panicMsg, with nothing of its value kept.
func task(f func() tea.Msg) tea.Cmd {
	return func() (msg tea.Msg) {
		defer func() {
			if recover() != nil {
				msg = panicMsg{}
			}
		}()
		return f()
	}
}

func (m Model) startWatch() tea.Cmd {
	cards, ctx := m.opts.Cards, m.ctx
	return task(func() tea.Msg {
		if cards == nil {
			return watchFailedMsg{smartcard.ErrNoService}
		}
		ch, err := cards.Watch(ctx)
		if err != nil {
			return watchFailedMsg{err}
		}
		return watchStartedMsg{ch}
	})
}

func nextEvent(ch <-chan smartcard.Event) tea.Cmd {
	return func() tea.Msg {
		ev, ok := <-ch
		if !ok {
			return watchClosedMsg{}
		}
		return cardEventMsg{ev, ch}
	}
}

// Update is the state machine. It never blocks: card and network calls are
// commands whose answers come back as messages.
func (m Model) Update(msg tea.Msg) (next tea.Model, cmd tea.Cmd) {
	defer func() {
		if recover() != nil {
			next, cmd = m.crash(), tea.Quit
		}
	}()
	return m.update(msg)
}

func (m Model) update(msg tea.Msg) (Model, tea.Cmd) {
	switch msg := msg.(type) {
	case panicMsg:
		return m.crash(), tea.Quit
	case stopMsg:
		return m.stopped()
	case resumedMsg:
		return m, nil // locked already, and repainted
	case tea.WindowSizeMsg:
		m.c.width, m.c.height = msg.Width, msg.Height
		m.help.SetWidth(msg.Width)
		return m.forward(msg)
	case tea.BackgroundColorMsg:
		m.c.styles = newStyles(msg.IsDark())
		m.help.Styles = help.DefaultStyles(msg.IsDark())
		return m, nil
	case spinner.TickMsg:
		var cmd tea.Cmd
		m.spin, cmd = m.spin.Update(msg)
		return m, cmd
	case idleTickMsg:
		return m.checkIdle(), idleTick()
	case tea.KeyPressMsg:
		m.lastInput = m.c.now()
		return m.handleKey(msg)
	case tea.PasteMsg:
		m.lastInput = m.c.now()
		return m.forward(msg)

	case watchStartedMsg:
		m.watching, m.watchErr = true, nil
		return m, nextEvent(msg.events)
	case watchFailedMsg:
		m.watching, m.watchErr = false, msg.err
		return m, tea.Tick(2*time.Second, func(time.Time) tea.Msg { return retryWatchMsg{} })
	case retryWatchMsg:
		return m, m.startWatch()
	case watchClosedMsg:
		if m.ctx.Err() != nil {
			return m, nil
		}
		m.watching = false
		m = m.wipe("The card service stopped. Waiting for it to come back.")
		m.readers = map[string]bool{}
		return m, m.startWatch()
	case cardEventMsg:
		m, cmd := m.cardEvent(msg.ev)
		return m, tea.Batch(cmd, nextEvent(msg.events))

	case cardOpenedMsg:
		return m.cardOpened(msg)
	case signedInMsg:
		return m.signedIn(msg)
	case roleChosenMsg:
		return m.roleChosen(msg)
	case lookupMsg:
		return m.looked(msg)
	case searchMsg:
		if msg.gen != m.gen || msg.req != m.req {
			return m, nil
		}
		m.busy = ""
		if m.isSignedOut(msg.err) {
			return m.sessionEnded(), nil
		}
		m.find = m.find.setResults(msg.matches, msg.err)
		return m, nil
	case alertSentMsg:
		return m.alertSent(msg)
	case summaryMsg:
		return m.summaryArrived(msg)
	case auditMsg:
		return m.auditArrived(msg)
	case auditExportedMsg:
		return m.auditExported(msg)
	case unlockedMsg:
		return m.unlocked(msg)
	case signedOutMsg:
		return m, nil
	}
	return m.forward(msg)
}

// forward gives a message to the screen being shown.
func (m Model) forward(msg tea.Msg) (Model, tea.Cmd) {
	var cmd tea.Cmd
	switch m.state {
	case stateFind:
		m.find, cmd = m.find.update(msg)
	case statePermission:
		m.permission, cmd = m.permission.update(msg)
	case stateSummary:
		m.summary, cmd = m.summary.update(msg)
	case stateAudit:
		m.audit, cmd = m.audit.update(msg)
	}
	return m, cmd
}

func (m Model) handleKey(msg tea.KeyPressMsg) (Model, tea.Cmd) {
	k := m.c.keys
	m.flash = ""
	if m.confirmQuit {
		return m.confirmQuitKey(msg)
	}
	if msg.String() == "ctrl+c" {
		return m.askQuit()
	}
	if key.Matches(msg, k.ToggleDemo) && m.opts.Demo != nil && m.opts.Demo.ToggleCard != nil {
		toggle := m.opts.Demo.ToggleCard
		return m, task(func() tea.Msg { toggle(); return nil })
	}
	if m.showHelp {
		// Any key closes the help; q still quits, as on the screen under it.
		m.showHelp = false
		if key.Matches(msg, k.Quit) && !m.inField() {
			return m.askQuit()
		}
		return m, nil
	}
	if !m.typing() {
		switch {
		case key.Matches(msg, k.Quit):
			if m.inField() && m.unsavedInput() {
				// q is not a digit: among digits the field ignores it, and
				// it never quits from under what is being typed. In an
				// empty field it quits, as on any other screen.
				return m, nil
			}
			return m.askQuit()
		case key.Matches(msg, k.Help):
			m.showHelp = true
			return m, nil
		}
	}
	if m.session != nil && m.state != stateLocked && m.state != stateSigningIn {
		switch {
		case key.Matches(msg, k.Lock):
			return m.lock(), nil
		case key.Matches(msg, k.SignOut):
			m = m.wipe("You signed out. Take your card out, or enter the passcode to sign in again.")
			return m.reopenCard()
		case key.Matches(msg, k.SwitchRole) && m.hasRole:
			if len(m.session.Roles) < 2 {
				// Said, so the key is not taken for broken.
				m.flash = "You have one role, so there is no other to switch to."
				return m, nil
			}
			// The patient goes (another role may not see them); what was
			// typed stays, to look up again in the new role. A search's
			// matches were the old role's: back to its form.
			find := m.find
			m = m.clearPatient()
			if find.mode == findResults {
				find, _ = find.showForm()
			}
			find.err, find.notice, find.matches = "", "", nil
			m.find = find
			m.state, m.roleErr = stateRole, ""
			return m, nil
		}
	}

	switch m.state {
	case stateCard:
		return m.demoPickerKey(msg)
	case statePasscode:
		return m.passcodeKey(msg)
	case stateLocked:
		return m.lockedKey(msg)
	case stateRole:
		return m.roleKey(msg)
	case stateFind:
		return m.findKey(msg)
	case statePermission:
		return m.permissionKey(msg)
	case stateSummary:
		if key.Matches(msg, k.NewPatient) || key.Matches(msg, k.Back) {
			return m.newPatient(), nil
		}
		var cmd tea.Cmd
		m.summary, cmd = m.summary.update(msg)
		return m, cmd
	case stateAudit:
		return m.auditKey(msg)
	}
	return m, nil
}

// typing is whether keys are going into a text field, where q is a letter
// and ? a character.
func (m Model) typing() bool {
	switch m.state {
	case statePermission:
		return m.permission.typing()
	case stateAudit:
		return m.audit.typing()
	}
	return m.state == stateFind && m.find.typing()
}

// inField is whether a field has the keys: a text field (typing) or one
// that takes digits only (the passcode, the NHS number, the audit form's
// numbers and dates). In the latter q is ignored rather than a command, so
// that a q pressed among digits never quits.
func (m Model) inField() bool {
	switch m.state {
	case statePasscode:
		return !m.pinStatus.Blocked()
	case stateLocked:
		return true
	case stateFind:
		return m.find.mode == findByNumber || m.find.typing()
	case stateAudit:
		return m.audit.mode == auditForm || m.audit.typing()
	}
	return m.typing()
}

// unsavedInput is whether something typed would be lost by quitting.
func (m Model) unsavedInput() bool {
	switch m.state {
	case statePasscode, stateLocked:
		return len(m.passcode.digits) > 0
	case stateFind:
		switch m.find.mode {
		case findByNumber:
			return strings.TrimSpace(m.find.number) != ""
		case findByDetails:
			for _, f := range m.find.fields {
				if strings.TrimSpace(f.Value()) != "" {
					return true
				}
			}
		}
	case statePermission:
		return m.permission.hasInput()
	case stateAudit:
		a := m.audit
		switch a.mode {
		case auditForm:
			// The alert report's dates come filled in; only what the
			// user changed counts.
			fresh := newAuditModel(m.c)
			return a.number != "" || a.from != fresh.from || a.to != fresh.to
		case auditExportPath, auditExportConfirm:
			return strings.TrimSpace(a.path.Value()) != ""
		}
	}
	return false
}

// askQuit quits, or first asks when something typed would be lost.
func (m Model) askQuit() (Model, tea.Cmd) {
	if m.unsavedInput() {
		m.confirmQuit, m.showHelp = true, false
		return m, nil
	}
	return m.quit()
}

// confirmQuitKey answers "Quit and lose what you typed?": y quits, n or
// Esc goes back to the input as it was. ctrl+c pressed again quits too, so
// it always gets out in at most two presses; it asks at all because on
// Windows ctrl+c is also copy, pressed from habit mid-sentence.
func (m Model) confirmQuitKey(msg tea.KeyPressMsg) (Model, tea.Cmd) {
	switch msg.String() {
	case "y", "Y", "ctrl+c":
		return m.quit()
	case "n", "N", "esc":
		m.confirmQuit = false
	}
	return m, nil
}

// quit signs out (in Run, after the last frame) and leaves an empty screen.
func (m Model) quit() (Model, tea.Cmd) {
	m = m.clearPatient()
	m.quitting = true
	return m, tea.Quit
}

// crash is what a recovered panic leaves: nothing of the patient, the
// session ended, and a plain sentence for Run to print.
func (m Model) crash() Model {
	m = m.wipe("")
	m.crashed, m.quitting = true, true
	return m
}

// shutdown ends the session on the way out: the token is revoked and the
// card released. Run calls it after the program has stopped.
func (m Model) shutdown() {
	if m.session != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		_ = m.session.SignOut(ctx)
		cancel()
	}
	if m.card != nil {
		_ = m.card.Close()
	}
	m.passcode.wipe()
	m.cancel()
}

// clearPatient forgets the patient and every request about one.
func (m Model) clearPatient() Model {
	m.req++
	m.lookup = nil
	m.summary = summaryModel{}
	m.permission = permissionModel{}
	m.audit = m.audit.clear()
	m.find = newFindModel(m.c, "")
	m.busy = ""
	return m
}

// wipe ends the session: nothing of the patient stays in memory the screen
// reads, the token is revoked in the background, the card is let go, and
// every answer still on its way is dropped (gen). why is shown on the card
// screen.
func (m Model) wipe(why string) Model {
	m = m.clearPatient()
	m.gen++
	if s := m.session; s != nil {
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_ = s.SignOut(ctx)
		}()
	}
	if c := m.card; c != nil {
		go func() { _ = c.Close() }()
	}
	m.session, m.hasRole, m.role, m.card = nil, false, client.Role{}, nil
	m.lastRole = ""
	m.passcode.wipe()
	m.passErr, m.passNotice, m.roleErr, m.unlockErr = "", why, "", ""
	m.opening, m.cardErr = "", nil
	m.state = stateCard
	m.showHelp, m.confirmQuit, m.flash = false, false, ""
	return m
}

// reopenCard opens the card still in the reader after a sign-out, so the
// same holder can sign in again.
func (m Model) reopenCard() (Model, tea.Cmd) {
	if r := m.pickReader(); r != "" {
		m.opening = r
		return m, m.openCard(r)
	}
	return m, nil
}

// --- Readers and the card ---

func (m Model) cardEvent(ev smartcard.Event) (Model, tea.Cmd) {
	mine := m.card != nil && ev.Reader == m.card.Reader() || m.opening != "" && m.opening == ev.Reader
	switch ev.Kind {
	case smartcard.ReaderAdded:
		m.readers[ev.Reader] = false
	case smartcard.ReaderRemoved:
		delete(m.readers, ev.Reader)
		if mine {
			m = m.wipe("The card reader was disconnected.")
		}
	case smartcard.CardRemoved:
		m.readers[ev.Reader] = false
		if mine {
			m = m.wipe("The card was removed.")
		}
	case smartcard.CardInserted:
		m.readers[ev.Reader] = true
		if m.card == nil {
			// Why the last session ended is stale once a card is in.
			m.passNotice = ""
		}
		if mine {
			// Another card in the same reader without a removal seen in
			// between: a new holder until proved otherwise.
			m = m.wipe("")
		}
	case smartcard.ServiceLost:
		m = m.wipe("The card service stopped. Waiting for it to come back.")
		m.readers = map[string]bool{}
		m.serviceLost = true
		return m, nil
	}
	m.serviceLost = false
	if m.card == nil && m.opening == "" && m.state == stateCard {
		return m.reopenCard()
	}
	return m, nil
}

// pickReader is the reader to use: the one asked for, else the first (by
// name) with a card in it.
func (m Model) pickReader() string {
	if m.opts.Reader != "" {
		if m.readers[m.opts.Reader] {
			return m.opts.Reader
		}
		return ""
	}
	names := make([]string, 0, len(m.readers))
	for r, present := range m.readers {
		if present {
			names = append(names, r)
		}
	}
	sort.Strings(names)
	if len(names) == 0 {
		return ""
	}
	return names[0]
}

func (m Model) openCard(reader string) tea.Cmd {
	cards, gen := m.opts.Cards, m.gen
	return task(func() tea.Msg {
		c, err := cards.Open(reader)
		if err != nil {
			return cardOpenedMsg{gen: gen, reader: reader, err: err}
		}
		st, err := c.PINStatus()
		if err != nil {
			_ = c.Close()
			return cardOpenedMsg{gen: gen, reader: reader, err: err}
		}
		return cardOpenedMsg{gen: gen, reader: reader, card: c, pin: st}
	})
}

func (m Model) cardOpened(msg cardOpenedMsg) (Model, tea.Cmd) {
	if msg.gen != m.gen || msg.reader != m.opening {
		if msg.card != nil {
			go func() { _ = msg.card.Close() }()
		}
		return m, nil
	}
	m.opening = ""
	if msg.err != nil {
		m.cardErr = msg.err
		return m, nil
	}
	m.card, m.pinStatus, m.cardErr = msg.card, msg.pin, nil
	m.state, m.passErr = statePasscode, ""
	if msg.pin.Blocked() {
		m.passErr = explain.Error(smartcard.ErrPINBlocked)
	}
	return m, nil
}

// --- Passcode and sign-in ---

func (m Model) passcodeKey(msg tea.KeyPressMsg) (Model, tea.Cmd) {
	if m.pinStatus.Blocked() {
		return m, nil
	}
	pin, problem, done := m.typePasscode(msg)
	if !done {
		if problem != "" {
			m.passErr = problem
		}
		return m, nil
	}
	m.state, m.passErr, m.busy = stateSigningIn, "", "Signing in…"
	card, cl, gen := m.card, m.opts.Client, m.gen
	ctx := m.ctx
	return m, tea.Batch(m.spin.Tick, task(func() tea.Msg {
		signer := card.Signer(pin)
		defer forgetSigner(signer)
		s, err := cl.SignIn(ctx, signer, card.Certificate(), card.Holder().UUID)
		msg := signedInMsg{gen: gen, session: s, err: err}
		if err != nil {
			// The tries left after a wrong passcode; a blocked card must
			// stop the field.
			if st, perr := card.PINStatus(); perr == nil {
				msg.pin = &st
			}
		}
		return msg
	}))
}

// typePasscode gives a key to the passcode field; on Enter it hands over
// the digits (done) if they can be a passcode, else wipes them and says why.
// The caller owns, and must wipe or hand on, the digits. m is a pointer:
// the field it changes is m's own.
func (m *Model) typePasscode(msg tea.KeyPressMsg) (pin []byte, problem string, done bool) {
	if msg.String() != "enter" {
		m.passcode = m.passcode.update(msg)
		return nil, "", false
	}
	pin = m.passcode.take()
	if err := smartcard.CheckPIN(pin); err != nil {
		clear(pin)
		return nil, explain.Error(err), false
	}
	return pin, "", true
}

func forgetSigner(s any) {
	if f, ok := s.(interface{ Forget() }); ok {
		f.Forget()
	}
}

func (m Model) signedIn(msg signedInMsg) (Model, tea.Cmd) {
	if msg.gen != m.gen {
		if msg.session != nil {
			go func() { _ = msg.session.SignOut(context.Background()) }()
		}
		return m, nil
	}
	m.busy = ""
	if msg.err != nil {
		m.state = statePasscode
		m.passErr = explain.Error(msg.err)
		if msg.pin != nil {
			m.pinStatus = *msg.pin
		}
		return m, nil
	}
	m.session, m.passNotice = msg.session, ""
	return m.afterSignIn()
}

// afterSignIn chooses the role: the one used before a forced sign-in, else
// the only one that can do anything, else the user picks.
func (m Model) afterSignIn() (Model, tea.Cmd) {
	roles := m.session.Roles
	if m.lastRole != "" {
		for _, r := range roles {
			if r.ID == m.lastRole {
				return m.chooseRole(r)
			}
		}
	}
	usable := -1
	n := 0
	for i, r := range roles {
		if roleUsable(r) {
			usable, n = i, n+1
		}
	}
	if n == 1 {
		return m.chooseRole(roles[usable])
	}
	m.state, m.roleIdx = stateRole, max(usable, 0)
	for i, r := range roles {
		if roleUsable(r) {
			m.roleIdx = i
			break
		}
	}
	if n == 0 {
		m.roleErr = "None of your roles can view a Summary Care Record or read audit reports. Ask your Registration Authority."
	}
	return m, nil
}

// roleUsable: a role that can view records or read audit reports.
func roleUsable(r client.Role) bool { return r.CanView() || r.CanAudit() }

func (m Model) chooseRole(r client.Role) (Model, tea.Cmd) {
	m.busy = "Choosing " + roleName(r) + "…"
	s, gen, ctx := m.session, m.gen, m.ctx
	return m, tea.Batch(m.spin.Tick, task(func() tea.Msg {
		role, err := s.ChooseRole(ctx, r.ID)
		return roleChosenMsg{gen: gen, role: role, err: err}
	}))
}

func (m Model) roleChosen(msg roleChosenMsg) (Model, tea.Cmd) {
	if msg.gen != m.gen {
		return m, nil
	}
	m.busy = ""
	if msg.err != nil {
		if m.isSignedOut(msg.err) {
			return m.sessionEnded(), nil
		}
		m.state, m.roleErr = stateRole, explain.Error(msg.err)
		return m, nil
	}
	m.role, m.hasRole, m.lastRole = msg.role, true, msg.role.ID
	resume := m.resumeAfter
	m.resumeAfter = stateCard
	if msg.role.CanAudit() && !msg.role.CanView() {
		m.state = stateAudit
		m.audit = newAuditModel(m.c)
		return m, nil
	}
	m.state = stateFind
	if resume == stateFind || resume == stateSummary || resume == statePermission {
		// Back where the session ended, with the number still typed.
		return m, nil
	}
	m.find = newFindModel(m.c, "")
	return m, nil
}

func (m Model) roleKey(msg tea.KeyPressMsg) (Model, tea.Cmd) {
	k, roles := m.c.keys, m.session.Roles
	switch {
	case key.Matches(msg, k.Up):
		for i := m.roleIdx - 1; i >= 0; i-- {
			if roleUsable(roles[i]) {
				m.roleIdx = i
				break
			}
		}
	case key.Matches(msg, k.Down):
		for i := m.roleIdx + 1; i < len(roles); i++ {
			if roleUsable(roles[i]) {
				m.roleIdx = i
				break
			}
		}
	case key.Matches(msg, k.Back) && m.hasRole:
		m.state = stateFind
	case key.Matches(msg, k.Submit):
		if m.roleIdx < len(roles) && roleUsable(roles[m.roleIdx]) {
			m.roleErr = ""
			return m.chooseRole(roles[m.roleIdx])
		}
	}
	return m, nil
}

// isSignedOut: the token was refused; the user signs in again with the
// passcode, keeping what they typed.
func (m Model) isSignedOut(err error) bool {
	var so *client.SignedOutError
	return errors.As(err, &so)
}

// sessionEnded asks for the passcode again after the server refused the
// token, keeping the role and the NHS number typed.
func (m Model) sessionEnded() Model {
	nhs := m.find.nhsValue()
	from := m.state
	s := m.session
	m.req++
	m.lookup, m.summary, m.permission = nil, summaryModel{}, permissionModel{}
	m.busy = ""
	if s != nil {
		go func() { _ = s.SignOut(context.Background()) }()
	}
	m.session, m.hasRole = nil, false
	m.gen++
	m.find = newFindModel(m.c, nhs)
	m.resumeAfter = from
	m.state = statePasscode
	m.passErr = ""
	m.passNotice = "Your session has ended. Enter your passcode to sign in again; the NHS number you typed is kept."
	return m
}

// --- Idle lock ---

func (m Model) checkIdle() Model {
	if m.session == nil || m.state == stateLocked || m.state == stateSigningIn {
		return m
	}
	if m.c.now().Sub(m.lastInput) >= m.opts.IdleLock {
		return m.lock()
	}
	return m
}

func (m Model) lock() Model {
	m.lockedFrom, m.state = m.state, stateLocked
	m.passcode.wipe()
	m.unlockErr = ""
	m.showHelp, m.confirmQuit, m.flash = false, false, ""
	return m
}

func (m Model) lockedKey(msg tea.KeyPressMsg) (Model, tea.Cmd) {
	pin, problem, done := m.typePasscode(msg)
	if !done {
		if problem != "" {
			m.unlockErr = problem
		}
		return m, nil
	}
	card, gen := m.card, m.gen
	m.busy = "Checking…"
	return m, task(func() tea.Msg {
		return unlockedMsg{gen: gen, err: card.VerifyPIN(pin)}
	})
}

func (m Model) unlocked(msg unlockedMsg) (Model, tea.Cmd) {
	if msg.gen != m.gen || m.state != stateLocked {
		return m, nil
	}
	m.busy = ""
	if msg.err != nil {
		m.unlockErr = explain.Error(msg.err)
		if errors.Is(msg.err, smartcard.ErrPINBlocked) {
			m = m.wipe(explain.Error(msg.err))
		}
		return m, nil
	}
	m.state, m.unlockErr = m.lockedFrom, ""
	m.lastInput = m.c.now()
	return m, nil
}

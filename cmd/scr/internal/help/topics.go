// Package help holds scr's help text, in one place: `scr help TOPIC` prints a
// topic as plain text and cmd/scr/internal/mangen writes every topic into the
// man page docs/scr.1.
//
// A topic's Body is paragraphs separated by blank lines, in three kinds:
// text, wrapped to the terminal; a list, whose every line is "term<TAB>what
// it means"; and an example, whose every line starts with four spaces, kept
// as it is.
package help

import "slices"

// Topic is one subject of `scr help`.
type Topic struct {
	Name     string
	Summary  string   // what it is, in one line of a few words
	Synopsis []string // the command lines, if the topic is a command
	Body     string
}

// Topics are every topic, in the order `scr help` lists them and the man
// page prints them.
var Topics = []Topic{
	{
		Name:     "viewer",
		Summary:  "view Summary Care Records with a smartcard",
		Synopsis: []string{"scr [--server URL] [--ca FILE] [--reader NAME] [--idle-lock DURATION] [--plain] [--auth card|cis2] [--cis2-issuer URL] [--client-id ID] [--api-key KEY] [--signing-key FILE] [--kid KID]"},
		Body: `Insert your smartcard, type your passcode and pick your role, then type or scan an NHS number (spaces and dashes are fine; the check digit is checked as you type), or press ctrl+f to search by name, date of birth, gender and postcode. The patient's summary follows: allergies first, then acute, repeat and discontinued medication, then every other section the GP included. An opted-out record is never shown; emergency access (roles with B0168 only) sends the privacy alert before anything is shown. Pulling the card out wipes the screen and ends the session.

--server URL	the API server, https://... (http:// for a loopback address only); required
--ca FILE	PEM CA certificates to trust besides the system's
--reader NAME	use this card reader only (default: the first reader with a card in it)
--idle-lock DURATION	lock the screen after this long without a key, such as 90s or 10m (default 5m)
--plain	the plain mode, for screen readers and braille displays: lines in order, no redraws
--auth card|cis2	how to sign in: card (the default: the card signs the server's challenge) or cis2, NHS CIS2 in the browser
--cis2-issuer URL	auth cis2: CIS2's issuer URL, whose discovery document is under it
--client-id ID	auth cis2: the application's CIS2 client_id
--api-key KEY	auth cis2: the application's API key on the NHS API platform
--signing-key FILE	auth cis2: PEM file of the application's private key, readable by its owner only
--kid KID	auth cis2: the kid under which the application's public key is registered

With auth cis2, the NHS's own sign-in, scr asks for no passcode itself: once the card is in, it opens the system browser at CIS2's sign-in page (xdg-open in a graphical session, open on macOS, the URL handler on Windows), where you sign in with the same card and its passcode, and waits; where no browser can be opened (as over SSH) it shows the address to open in a browser on the same computer. o opens the page again; esc cancels, and enter then signs in again. The card must stay in the reader: pulling it ends the sign-in or the session. The person who signs in must be the card's holder, or scr says so and signs out. The idle lock still takes the card's passcode, checked by the card; when the session ends, enter signs in at CIS2 again, keeping the NHS number typed. Every one of the application's settings is needed: one missing, or a key file others can read, is said on one line, with exit status 2.

Each setting can also come from the environment or the configuration file: a flag wins over its variable, which wins over the file (scr help config).

The viewer needs a terminal. With no server configured, a flag it cannot use, a configuration file it cannot read, or its input or output redirected, it says why on one line and exits with status 2. Status 1 means it could not run, or stopped after an internal error having cleared the screen and signed out. It writes nothing to disk: no settings, history, cache or log, and nothing in the home directory. q quits, leaving nothing of the record on the screen or in the terminal's scrollback.

The plain mode (--plain, SCR_PLAIN=1, or plain = true in the configuration file) is the same viewer, with the same journey and safety, for a screen reader (NVDA, JAWS, Orca, VoiceOver) or a braille display: no full screen, no cursor movement, no redraws, no boxes, blocks, spinner or colour. Each screen is said once, as a heading and labelled lines, then one prompt, answered by typing a line and Enter; the passcode is not echoed. Dates are spelled out (03 February 1994) and the record is read a section at a time, each table row on one line with its cells labelled. What happens on its own is said as it happens: "Working: looking up NHS number 900 000 0017.", "Card removed. Session ended. Patient data cleared.", "Screen locked after 5 minutes. Enter your passcode.", "Session expired." When the card comes out, the session ends, the screen locks or scr quits, the screen and the terminal's scrollback are cleared (ESC[3J: xterm, GNOME Terminal and other VTE terminals, Windows Terminal, iTerm2 and tmux clear their scrollback; the Windows console host, conhost, does not, so close its window). scr help keys lists what can be typed.`,
	},
	{
		Name:     "card",
		Summary:  "the readers, the card, its holder and PIN tries left",
		Synopsis: []string{"scr card [--json] [--demo]"},
		Body: `Reads every reader's card without spending a PIN try and without undoing another program's login: the ATR, the holder's name and 12-digit NHS user ID from the PIV Authentication certificate (slot 9A), the certificate's issuer and expiry, and the PIN tries left. The PIN is never asked for and nothing is written to disk.

--json	print the same as JSON, for a support ticket
--demo	read the built-in demo card in-process instead of a reader (sandbox only)

Exit status 1 means no smart card service or no reader, with the reason on the first line.`,
	},
	{
		Name:    "doctor",
		Summary: "check card access step by step, for support staff",
		Synopsis: []string{
			"scr doctor [--server URL] [--ca FILE] [--reader NAME] [--smartcard-ca FILE] [--json] [--watch] [--pin-stdin] [--no-signin]",
			"scr doctor --demo [--card UUID] [--json] [--pin-stdin] [--no-signin]",
		},
		Body: `Checks card access step by step: the PC/SC service, the readers, the card, its PIV application, the certificate and its chain to the smartcard CA, the PIN tries left, the server's TLS and clock, then the sign-in and the roles. Each step is PASS, WARN, FAIL, or SKIP when an earlier step failed or was not asked for, with what was found and, for WARN and FAIL, what to do. No patient data is read, and the passcode is never printed. Exit status 1 on any FAIL.

With auth cis2, the NHS's own sign-in, six more lines come after the clock's:

auth	every setting auth cis2 needs is set (cis2-issuer, client-id, api-key, signing-key, kid); FAIL names those that are not
signing-key	the application's private key loads: a PEM RSA key of at least 2048 bits, readable by its owner only (FAIL with the command that fixes it otherwise); the line gives its kid and its public key's RFC 7638 thumbprint, to compare with the JWKS registered
cis2	CIS2's discovery document, under cis2-issuer, is read and offers what the sign-in needs (checked once cis2-issuer is set, whatever else is missing)
jwks	CIS2's signing keys (its JWKS) are read (likewise)
platform	the API platform's token endpoint, on the server, takes the application's client assertion: its api-key, and its key as the one registered under kid (needs every setting and the key)
user-id	the card's certificate names the user ID CIS2's user must have

The sign-in is then CIS2's, in the browser, which scr doctor does not open: its line is SKIP and no passcode is asked for. With --demo --auth cis2 the checks run against the sandbox's CIS2 stand-in as its registered application, and the demo card signs in at its page with its passcode, so the sign-in, role, access and sign-out lines run too.

For a screen reader or a braille display, the plain form (--plain, SCR_PLAIN=1, or plain = true in the configuration file, as for the viewer) says each check as one sentence, "FAIL, validity: expired on 01 June 2026.", with "What to do:" and the advice on the next line, and the result last: no columns, no arrows, dates and the clock's durations in words. --watch says each event as a sentence too. The JSON is the same.

--server URL	the API server (without it the server checks are skipped)
--ca FILE	PEM CA certificates to trust besides the system's
--reader NAME	check the card in this reader (default: the first with a card)
--smartcard-ca FILE	PEM certificate of the CA that issues the cards, to check the card's chain
--auth card|cis2	how scr signs in (default card); cis2 adds the lines above
--cis2-issuer URL	auth cis2: CIS2's issuer URL
--client-id ID	auth cis2: the application's CIS2 client_id
--api-key KEY	auth cis2: the application's API key on the API platform
--signing-key FILE	auth cis2: PEM file of the application's private key, readable by its owner only
--kid KID	auth cis2: the kid of the application's registered public key
--plain	the plain form, for a screen reader: a sentence a check, its advice on the next line (as the viewer's --plain)
--json	print the report as JSON, for a support ticket (plain or not)
--watch	print each reader and card event as it happens, until ctrl+c
--pin-stdin	read the passcode from standard input, for the sign-in check
--no-signin	do not ask for the passcode: no sign-in check (the sign-in, role, access and sign-out lines are SKIP)
--demo	check the in-process sandbox and demo card instead, signing in with the card's passcode: no reader, no pcscd, no network; with --auth cis2 it brings its own application, so it takes none of the application's settings
--card UUID	with --demo, another sandbox user's card (scr --demo --card list)

The settings' variables are the viewer's, and SCR_SMARTCARD_CA for --smartcard-ca (scr help environment).`,
	},
	{
		Name:     "config",
		Summary:  "the settings, where each comes from, the configuration file",
		Synopsis: []string{"scr config [--json] [--server URL] [--ca FILE] [--reader NAME] [--idle-lock DURATION] [--smartcard-ca FILE] [--plain] [--auth card|cis2] [--cis2-issuer URL] [--client-id ID] [--api-key KEY] [--signing-key FILE] [--kid KID]"},
		Body: `Each setting is taken from the first of these that sets it: a flag on the command line, its environment variable, the configuration file, else its default. scr config prints every setting's effective value and where it came from, one per line; --json prints the same as JSON. It takes the same flags, to show what a command line would do.

The configuration file is one file for the whole computer, which an administrator writes and can make read-only:

/etc/scr/config.toml	on Linux and macOS
%ProgramData%\scr\config.toml	on Windows (C:\ProgramData\scr\config.toml when ProgramData is not set)
SCR_CONFIG	names another file instead, for tests and for administrators who deploy it elsewhere; the file it names must exist

It is TOML, with these keys, each a string in quotes but plain, which is true or false:

server	the API server, such as "https://int.api.service.nhs.uk"
ca	PEM CA certificates to trust besides the system's
reader	the one card reader to use
idle-lock	lock the screen after this long without a key, such as "10m"
smartcard-ca	the smartcard CA's certificate, for scr doctor
plain	true for the plain mode, for screen readers (scr help viewer), and scr doctor's plain form
auth	how to sign in: "card" (the default) or "cis2", NHS CIS2 in the browser and the API platform's token exchange
cis2-issuer	auth cis2: CIS2's issuer URL, whose discovery document is under it
client-id	auth cis2: the application's CIS2 client_id
api-key	auth cis2: the application's API key on the NHS API platform
signing-key	auth cis2: the application's private key (PEM), which nobody but its owner may read: scr refuses it otherwise, and scr config shows its path, never its contents
kid	auth cis2: the kid under which the application's public key is registered

For example:

    server = "https://int.api.service.nhs.uk"
    ca = "nhs-ca.pem"
    idle-lock = "2m"

A relative path in the file is relative to the file's directory. A missing file at the usual place is fine; an unreadable or malformed file, or a key scr does not know, is an error on one line naming the file, the line and the key, and scr exits with status 2: a typo is never ignored in silence. The file must be a regular file of at most 64 KiB that only its owner (you, root or Administrators) can change, and so must the folders above it: otherwise scr says why on one line, with the command that fixes it, and exits with status 2, since a file anyone can write could send scr to their own server. scr never writes the file, reads no settings from the home directory and writes nothing there.`,
	},
	{
		Name:     "demo",
		Summary:  "the whole journey with no reader, no pcscd and no network",
		Synopsis: []string{"scr --demo [--card UUID] [--idle-lock DURATION] [--plain] [--auth card|cis2]", "scr --demo --card list", "scr card --demo"},
		Body: `scr --demo runs the sandbox on 127.0.0.1, over HTTPS with a CA made afresh and held in memory, and a built-in card reader, all in one process. Its card screen lists every sandbox user's card with its passcode: the arrows choose and Enter puts the card in. The first is the demo card (Priya SHARMA, a community pharmacist, passcode 123456); then 555000000102 the A&E doctor (emergency access), 555000000103 the receptionist with no viewing role, 555000000104 the privacy officer (the audit screen), 555000000105 the locum with roles at two pharmacies (ctrl+r switches), and the expired (555000000106) and revoked (555000000107) cards the sign-in refuses. Try the NHS numbers 9000000009 (the NHS's published example; deceased: emergency or legal access only), 9000000017 (allergies and medication), 9000000025 (sensitive), 9000000041 (opted out), 9000000106 (superseded), 9000000165 (additional information, from a record NHS England publishes), 9000000173 (sections known only by their titles), 9000000181 (very restricted) and 9000000203 (an out-of-date record id, read again).

--card UUID puts that card in at the start instead of asking. --card list lists the cards with their passcodes.

--auth cis2 signs in the NHS's way, at the sandbox's CIS2 stand-in as its registered application: the passcode is typed as usual, and in place of a browser the demo signs in at the stand-in's page with the card; the roles come from the API platform's token exchange. It takes none of the application's settings.

F2 (in the plain mode, pull) pulls the card out, which wipes the screen and ends the session as pulling a real card does, and puts it back; with the reader empty, the card screen offers every card again. The audit trail goes when scr exits. --demo cannot be given with --server, --ca or --reader, and ignores those settings in the environment and the configuration file.`,
	},
	{
		Name:    "keys",
		Summary: "the viewer's keys",
		Body: `On every screen:

q	quit, leaving nothing of the record on screen; a letter in a text field, ignored among digits typed
ctrl+c	quit from anywhere, also while typing; with something typed it asks first (y, or ctrl+c again)
?	show the keys of this screen
ctrl+r	switch role, without the card
ctrl+l	lock the screen now; the passcode brings it back
ctrl+o	sign out
F2	pull out or put back the demo card (scr --demo only)

Lists and the summary:

up, k / down, j	move up or down
pgup, b / pgdown, space, f	a page up or down
home, g / end, G	to the top or the bottom
enter	choose, look up, search or open

Finding a patient:

ctrl+f	search by family name, given name, date of birth, gender and postcode
tab, down / shift+tab, up	the next or previous field of the search
ctrl+u	clear the field
esc	back (what you typed is kept)

Signing in with NHS CIS2 (auth cis2):

o	open the sign-in page in the browser again
esc	cancel the sign-in
enter	sign in again, after it was cancelled or refused, or the session ended

A replaced NHS number (PDS answered with another):

enter	go on with the current number, having checked it is the patient in front of you
esc	back to the number you typed

Permission to view:

p	the patient gave permission
e	emergency access (roles with B0168 only): choose the reason; the privacy alert is sent before anything is shown
d	the patient declined: nothing is shown
esc	back to the patient search: nothing is recorded

A patient who has died cannot give permission: there is no p or d; enter chooses one of the reasons your role allows (emergency access, B0168; statute, court order or public interest, B0082), and the privacy alert is sent before anything is shown.

The summary:

tab, ]	the next section
shift+tab, [	the previous section
a	to allergies
m	to medication
r	to the resuscitation decision the banner flags
i	to the additional information the banner flags
w	to the withheld entries the banner flags
n, esc	another patient

The audit screen (privacy officers):

p	who accessed a patient's record
o	the organisation's alerts
e	emergency accesses only, or every alert
s	sort by the next column
r	reverse the order
x	export the report to a file
y	write the file (any other key cancels)

The keys are ones Windows Terminal and conhost deliver: no alt chords.

In the plain mode (--plain) a line is typed at each prompt, then Enter:

a number	at a list (a card, a role, a patient found, a reason), choose that one; on the summary, read that section
an NHS number	at "NHS number:", look the patient up
search	search by name, date of birth, gender and postcode instead, one field a line
p, e, d	at "Choose p, e or d:", the patient gave permission, emergency access, the patient declined
yes	go on with a replaced NHS number's current one
next, previous	the next or previous section of the record
allergies, medication	read the allergies, or the medication
new	another patient; the record is cleared
back	back one step, as esc
sort, reverse, export	the audit report's order, and its export
repeat	say the screen again
lock, sign out, switch role	as ctrl+l, ctrl+o and ctrl+r
pull	take the demo card out, or put it back (scr --demo only; F2 in the full screen)
help	what can be typed at this prompt
quit	sign out and quit, clearing the screen and its scrollback; ctrl+c too`,
	},
	{
		Name:    "environment",
		Summary: "the environment variables scr reads",
		Body: `A flag wins over its variable; a variable wins over the configuration file (scr help config).

SCR_SERVER	the API server (--server)
SCR_CA	PEM CA certificates to trust besides the system's (--ca)
SCR_READER	the one card reader to use (--reader)
SCR_IDLE_LOCK	lock the screen after this long without a key (--idle-lock)
SCR_SMARTCARD_CA	the smartcard CA's certificate, for scr doctor (--smartcard-ca)
SCR_PLAIN	1 (or true) for the plain mode, for screen readers, the viewer's and scr doctor's (--plain)
SCR_AUTH	how to sign in: card or cis2 (--auth)
SCR_CIS2_ISSUER	auth cis2: CIS2's issuer URL (--cis2-issuer)
SCR_CLIENT_ID	auth cis2: the application's CIS2 client_id (--client-id)
SCR_API_KEY	auth cis2: the application's API key (--api-key)
SCR_SIGNING_KEY	auth cis2: the application's private key file (--signing-key)
SCR_KID	auth cis2: the kid of the application's registered public key (--kid)
SCR_CONFIG	the configuration file to read instead of the system-wide one
ProgramData	Windows: the folder holding scr\config.toml
HTTPS_PROXY, NO_PROXY	the proxy to reach the server through
NO_COLOR	no colour; the words say everything the colours do

An empty variable counts as not set.`,
	},
}

// Lookup returns the topic called name.
func Lookup(name string) (Topic, bool) {
	i := slices.IndexFunc(Topics, func(t Topic) bool { return t.Name == name })
	if i < 0 {
		return Topic{}, false
	}
	return Topics[i], true
}

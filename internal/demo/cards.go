package demo

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"strings"

	"github.com/scrterm/scr/assets"
)

// DemoUUID is the user ID of the demo card's holder, Priya SHARMA, the
// card scr --demo inserts unless told otherwise.
const DemoUUID = "555000000101"

// SandboxCard is a sandbox user's card that the demo can insert.
type SandboxCard struct {
	UUID     string // the holder's 12-digit user ID
	Name     string // the holder, as users.json names them
	What     string // who they are, and what their card shows
	Passcode string
}

// cardNotes say what each sandbox card is for (assets/sandbox/README.md).
var cardNotes = map[string]string{
	"555000000101": "pharmacist: the demo card",
	"555000000102": "A&E doctor: emergency access",
	"555000000103": "receptionist: no role views an SCR",
	"555000000104": "privacy officer: audit reports",
	"555000000105": "locum: roles at two pharmacies",
	"555000000106": "certificate expired: sign-in refused",
	"555000000107": "certificate revoked: sign-in refused",
}

// SandboxCards lists every sandbox user's card, in users.json's order.
func SandboxCards() ([]SandboxCard, error) {
	var dir struct {
		Users []struct {
			UUID string `json:"nhsid_useruid"`
			Name string `json:"name"`
		} `json:"users"`
	}
	if err := json.Unmarshal(assets.Users, &dir); err != nil {
		return nil, fmt.Errorf("sandbox users: %w", err)
	}
	cards := make([]SandboxCard, 0, len(dir.Users))
	for _, u := range dir.Users {
		pin, err := fs.ReadFile(cardFiles(u.UUID), "pin")
		if err != nil {
			return nil, fmt.Errorf("the card of %s: %w", u.UUID, err)
		}
		cards = append(cards, SandboxCard{UUID: u.UUID, Name: u.Name, What: cardNotes[u.UUID], Passcode: strings.TrimSpace(string(pin))})
	}
	return cards, nil
}

// cardFiles is where a user's card identity is embedded: the demo card's
// folder for the demo card's holder, cards/<UUID> for the others.
func cardFiles(uuid string) fs.FS {
	if uuid == DemoUUID {
		return assets.DemoCard
	}
	sub, err := fs.Sub(assets.Cards, uuid)
	if err != nil {
		return assets.Cards // not reached: uuid is a folder name, never a pattern
	}
	return sub
}

// UnknownCardError is a --card that names no sandbox card.
type UnknownCardError struct{ UUID string }

func (e *UnknownCardError) Error() string {
	return fmt.Sprintf("no sandbox card has the user ID %q", e.UUID)
}

// CardList is the sandbox cards as lines for a terminal: user ID, holder,
// passcode and what each is for, in 80 columns.
func CardList(cards []SandboxCard) string {
	var b strings.Builder
	line := func(uuid, name, pin, what string) {
		fmt.Fprintf(&b, "  %-12s  %-14s %-8s  %s\n", uuid, name, pin, what)
	}
	line("user ID", "holder", "passcode", "what it shows")
	for _, c := range cards {
		line(c.UUID, c.Name, c.Passcode, c.What)
	}
	return b.String()
}

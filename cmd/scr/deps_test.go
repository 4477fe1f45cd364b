package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestSupportPackagesNeedNoTUI: the checks of scr doctor and scr card, the
// sentences users read and the audit export depend on nothing of Bubble
// Tea, Bubbles or Lip Gloss, however deep; the record's layout, which Lip
// Gloss styles, on nothing of Bubble Tea or Bubbles. They serve support
// staff's tools and reports as much as the viewer.
func TestSupportPackagesNeedNoTUI(t *testing.T) {
	for pkg, banned := range map[string][]string{
		"internal/doctor":      {"charm.land/bubbletea", "charm.land/bubbles", "charm.land/lipgloss"},
		"internal/explain":     {"charm.land/bubbletea", "charm.land/bubbles", "charm.land/lipgloss"},
		"internal/auditexport": {"charm.land/bubbletea", "charm.land/bubbles", "charm.land/lipgloss"},
		"smartcard":            {"charm.land/bubbletea", "charm.land/bubbles", "charm.land/lipgloss"},
		"internal/recordview":  {"charm.land/bubbletea", "charm.land/bubbles"},
	} {
		out, err := exec.Command("go", "list", "-deps", "github.com/scrterm/scr/"+pkg).Output()
		if err != nil {
			t.Fatalf("go list %s: %v", pkg, err)
		}
		deps := strings.Fields(string(out))
		if len(deps) < 2 {
			t.Fatalf("go list %s gave %v", pkg, deps)
		}
		for _, d := range deps {
			for _, b := range banned {
				if strings.HasPrefix(d, b) {
					t.Errorf("%s depends on %s", pkg, d)
				}
			}
		}
	}
}

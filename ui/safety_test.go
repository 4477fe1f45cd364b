package ui

import (
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/scrterm/scr/internal/sandbox"
)

// TestWrongPatientRefused puts a proxy between the viewer and the sandbox
// that answers the SCR of 9000000017 with another patient's record. The
// viewer must refuse it with a sentence, and show nothing of either record.
func TestWrongPatientRefused(t *testing.T) {
	srv, _ := startSandbox(t, sandbox.Config{})
	other, err := os.ReadFile("../assets/sandbox/patients/9000000009/bundle.json")
	if err != nil {
		t.Fatal(err)
	}
	cl := rewritingFront(t, srv, func(res *http.Response) error {
		if strings.HasSuffix(res.Request.URL.Path, "/Bundle") && res.StatusCode == http.StatusOK {
			_ = res.Body.Close()
			replaceBody(res, other)
		}
		return nil
	})

	s := newScreen(t, Options{Client: cl, Cards: newTestCards(t, userPharmacist)}, 80, 24)
	signIn(t, s, userPharmacist)
	s.waitFor("Find a patient")
	s.typeText("9000000017")
	s.press("enter")
	s.waitFor("Permission to view is required")
	s.typeText("p")
	txt := s.waitFor("cannot be read safely, so nothing is shown")
	for _, leak := range []string{"wasp", "Co-codamol", "SMITH", "Penicillin", "Clarithromycin", "Allergies"} {
		if strings.Contains(txt, leak) {
			t.Errorf("%q on screen after a wrong record:\n%s", leak, txt)
		}
	}
}

// TestHazardLogTestsExist keeps docs/clinical-safety.md honest: every test it
// names as a control's proof must exist in the package it names.
func TestHazardLogTestsExist(t *testing.T) {
	doc, err := os.ReadFile("../docs/clinical-safety.md")
	if err != nil {
		t.Fatal(err)
	}
	dirs := map[string]string{
		"ui": ".", "client": "../client", "scr": "../cmd/scr",
		"scr-sandbox": "../cmd/scr-sandbox", "audit": "../internal/sandbox/audit", "identity": "../internal/sandbox/identity",
	}
	named := regexp.MustCompile("`(ui|client|scr-sandbox|scr|audit|identity)\\.(Test\\w+)`").FindAllStringSubmatch(string(doc), -1)
	if len(named) < 20 {
		t.Fatalf("only %d tests named in the hazard log", len(named))
	}
	for _, n := range named {
		pkg, name := n[1], n[2]
		files, err := filepath.Glob(filepath.Join(dirs[pkg], "*_test.go"))
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, f := range files {
			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(string(src), "func "+name+"(") {
				found = true
				break
			}
		}
		if !found {
			t.Errorf("the hazard log names %s.%s, which does not exist", pkg, name)
		}
	}
}

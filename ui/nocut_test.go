package ui

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
)

// TestGoldenScreensCutNothing: no line of any kept screen was cut to fit
// with "…": messages, hints, list rows and the key help wrap or end at a
// whole item. A line that ends in "…" because it says something is under
// way ("Reading your smartcard…") is short of the width; a cut one fills
// it.
func TestGoldenScreensCutNothing(t *testing.T) {
	size := regexp.MustCompile(`(\d+)x(\d+)`)
	var files int
	err := filepath.WalkDir("testdata", func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".golden") {
			return err
		}
		m := size.FindStringSubmatch(path)
		if m == nil {
			return nil
		}
		width, _ := strconv.Atoi(m[1])
		raw, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		files++
		for i, line := range strings.Split(strings.ReplaceAll(string(raw), "\r\n", "\n"), "\n") {
			line = strings.TrimRight(ansi.Strip(line), " ")
			if strings.HasSuffix(line, "…") && ansi.StringWidth(line) >= width-2 {
				t.Errorf("%s:%d: cut to fit: %q", path, i+1, line)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 50 {
		t.Fatalf("only %d golden screens read: the test no longer sees them", files)
	}
}

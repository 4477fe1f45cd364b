package ui

import (
	"strconv"

	"charm.land/bubbles/v2/key"
	"github.com/scrterm/scr/internal/recordview"
)

// The record's flags (recordview.Flag: a resuscitation decision, additional
// information, entries withheld) are what the record says; here is only
// how the summary screen offers them: each named in the banner with the
// key that jumps to its section.

// flagText is the flag as the banner shows it: "Resuscitation decision in
// Personal Preferences [r]".
func flagText(f recordview.Flag, keys keyMap) string {
	t := f.Words
	if f.Where != "" {
		t += " in " + f.Where
	}
	if f.More > 0 {
		t += " +" + strconv.Itoa(f.More)
	}
	if b := flagBinding(f, keys); f.Section >= 0 && b.Help().Key != "" {
		t += " [" + b.Help().Key + "]"
	}
	return t
}

// flagBinding is the key that jumps to the flag's section.
func flagBinding(f recordview.Flag, keys keyMap) key.Binding {
	switch f.Kind {
	case recordview.FlagResuscitation:
		return keys.Resuscitation
	case recordview.FlagAdditional:
		return keys.Additional
	}
	return keys.Withheld
}

package ui

import "time"

// common is what every screen shares: the window, the keys, the looks and
// the clock. The root model owns it; screens hold a pointer.
type common struct {
	width, height int
	keys          keyMap
	styles        styles
	now           func() time.Time
}

// Minimum window: below it the viewer asks for a larger one rather than
// draw a record it cannot show whole (a banner cut in half misleads).
const (
	minWidth  = 60
	minHeight = 16
)

//go:build !unix

package ui

import tea "charm.land/bubbletea/v2"

// watchStops does nothing where there is no stop signal.
func watchStops(func(tea.Msg)) (unwatch func()) { return func() {} }

func stopSelf() error { return nil }

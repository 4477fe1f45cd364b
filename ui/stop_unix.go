//go:build unix

package ui

import (
	"os"
	"os/signal"
	"syscall"

	tea "charm.land/bubbletea/v2"
)

// watchStops catches SIGTSTP, sending a stopMsg for each, until the
// returned function is called.
func watchStops(send func(tea.Msg)) (unwatch func()) {
	ch := make(chan os.Signal, 1)
	done := make(chan struct{})
	signal.Notify(ch, syscall.SIGTSTP)
	go func() {
		for {
			select {
			case <-ch:
				send(stopMsg{})
			case <-done:
				return
			}
		}
	}()
	return func() {
		signal.Stop(ch)
		close(done)
	}
}

// stopSelf stops this process and returns once it has been continued. It
// sends SIGSTOP, not SIGTSTP: once Go has caught SIGTSTP for os/signal, its
// default action (stop) cannot be had back. kill returns before the stop
// takes hold, so it waits for the SIGCONT that ends the stop: the terminal
// must not be taken back before then, or the shell's own settings, set as
// it hands the terminal back, would win.
func stopSelf() error {
	cont := make(chan os.Signal, 1)
	signal.Notify(cont, syscall.SIGCONT)
	defer signal.Stop(cont)
	if err := syscall.Kill(os.Getpid(), syscall.SIGSTOP); err != nil {
		return err
	}
	<-cont
	return nil
}

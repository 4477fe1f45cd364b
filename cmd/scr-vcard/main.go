// Command scr-vcard puts a virtual PIV smartcard into pcscd through vsmartcard's
// vpcd reader driver, so that scr, OpenSC and other PC/SC programs can use it as
// if it were a card in a reader. It is for development, tests and the sandbox.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stderr)
	stop()
	os.Exit(code)
}

// Command scr-sandbox is a local stand-in for the NHS APIs scr talks to:
// smartcard sign-in, the Personal Demographics Service and the Summary Care
// Record, with synthetic patients and users and an audit trail.
//
//	scr-sandbox [serve] [flags]            run the server
//	scr-sandbox issue-card --uuid U --out DIR   make a card identity for scr-vcard
//	scr-sandbox patients                   list the synthetic patients
//	scr-sandbox audit verify --db PATH     check the audit trail's keyed hash chain, read-only
//	scr-sandbox audit head --db PATH       print the trail's head, to keep elsewhere
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

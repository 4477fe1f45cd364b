package sandboxtest

import (
	"context"
	"testing"
	"time"

	"github.com/scrterm/scr/internal/sandbox"
)

// shutdownGrace bounds a test sandbox's shutdown: a connection a client
// dialled and never used would hold a graceful one for 5 s, and Shutdown
// closes what is left when its context ends.
const shutdownGrace = 200 * time.Millisecond

// Start serves the sandbox with cfg for the rest of tb, on 127.0.0.1 at a
// free port unless cfg.Addr says otherwise, and shuts it down when tb ends.
// Every test that needs the sandbox over HTTP starts it here.
func Start(tb testing.TB, cfg sandbox.Config) *sandbox.Server {
	tb.Helper()
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:0"
	}
	srv, err := sandbox.Start(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
		defer cancel()
		_ = srv.Shutdown(ctx)
	})
	return srv
}

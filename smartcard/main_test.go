package smartcard_test

import (
	"os"
	"testing"

	"github.com/scrterm/scr/internal/pcsctest"
)

// TestMain shares one pcscd with the other test processes and stops it at the end
// if this process started it.
func TestMain(m *testing.M) { os.Exit(pcsctest.Main(m)) }

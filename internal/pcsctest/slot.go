package pcsctest

import (
	"fmt"
	"os"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"
)

// NumSlots is the number of vpcd slots: /etc/reader.conf.d/vpcd, as shipped
// by vsmartcard-vpcd, declares one vpcd reader with two slots.
const NumSlots = 2

// vpcdBasePort is the CHANNELID of /etc/reader.conf.d/vpcd (0x8C7B); slot N
// listens on vpcdBasePort+N on all addresses.
const vpcdBasePort = 35963

// Slot is one vpcd slot: a PC/SC reader whose card is whatever virtual card
// is connected to its TCP port.
type Slot struct {
	Index  int    // 0 .. NumSlots-1
	Port   int    // TCP port on 127.0.0.1 that a virtual card dials
	Reader string // name pcscd gives the reader, e.g. "Virtual PCD 00 01"
}

func slot(i int) Slot {
	// pcscd names a reader "FRIENDLYNAME NN SS": NN numbers readers of the
	// same friendly name from 00, SS is the slot.
	return Slot{Index: i, Port: vpcdBasePort + i, Reader: fmt.Sprintf("Virtual PCD 00 %02X", i)}
}

// holding records the tests that hold slots, to refuse a second TakeSlot.
var holding sync.Map // testing.TB -> struct{}

// slotWaitNote is how long TakeSlot waits quietly before it logs that the
// test is waiting for a slot held by another test or test process.
const slotWaitNote = 2 * time.Second

// TakeSlot makes sure pcscd runs (see Need), then takes a vpcd slot that no
// other test, in this or another process, holds, waiting if all are taken. It
// returns once pcscd shows the slot's reader empty. t.Cleanup releases the
// slot, after the cleanups registered later (such as StartVCard's) have run.
//
// A test takes its slots at once: a test that needs two calls TakeSlots.
func TakeSlot(t testing.TB) Slot {
	t.Helper()
	return TakeSlots(t, 1)[0]
}

// TakeSlots is TakeSlot for n slots, for tests that need several readers.
//
// Slots are taken in index order (waiting for slot 0, then holding it while
// waiting for slot 1), while TakeSlot holds nothing while it waits. With
// every holder-and-waiter waiting upwards no cycle of waits can form, so
// tests cannot deadlock each other; that is why one test may not call
// TakeSlot twice.
func TakeSlots(t testing.TB, n int) []Slot {
	t.Helper()
	if n < 1 || n > NumSlots {
		t.Fatalf("pcsctest: TakeSlots(%d): vpcd has %d slots", n, NumSlots)
	}
	Need(t)
	if _, dup := holding.LoadOrStore(t, struct{}{}); dup {
		t.Fatal("pcsctest: this test already holds a vpcd slot; take them all in one TakeSlots call, " +
			"as taking them one by one can deadlock against other tests")
	}
	var locks []*os.File
	t.Cleanup(func() {
		for _, f := range locks {
			f.Close()
		}
		holding.Delete(t)
	})
	var slots []Slot
	take := func(i int) bool {
		f, err := tryLockFile(slotLockName(i), syscall.LOCK_EX)
		if err != nil {
			t.Fatal(err)
		}
		if f != nil {
			locks = append(locks, f)
			slots = append(slots, slot(i))
		}
		return f != nil
	}
	began, noted := time.Now(), false
	for {
		if n == 1 {
			for i := range NumSlots {
				if take(i) {
					break
				}
			}
		} else {
			for len(slots) < n {
				if !take(len(slots)) {
					break
				}
			}
		}
		if len(slots) == n {
			break
		}
		if !noted && time.Since(began) > slotWaitNote {
			t.Logf("pcsctest: waiting for %d vpcd slot(s) held by other tests (lock files %s)",
				n, tempPath("scr-vpcd-slot-*.lock"))
			noted = true
		}
		time.Sleep(20 * time.Millisecond)
	}
	if noted {
		t.Logf("pcsctest: got vpcd slot(s) after %v", time.Since(began).Round(time.Millisecond))
	}
	readers, err := listReaders()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range slots {
		if !slices.Contains(readers, s.Reader) {
			t.Fatalf("pcsctest: pcscd does not list vpcd reader %q (it lists %q); "+
				"is vsmartcard-vpcd installed, and was pcscd restarted since?", s.Reader, readers)
		}
		// The previous holder's card may still show for one pcscd poll
		// (about 0.4 s) after it disconnected; StartVCard waits that out on
		// stop, but a test with a hand-made card need not.
		if err := waitCard(s.Reader, false, cardTimeout, nil); err != nil {
			t.Fatalf("pcsctest: slot %d is free but a card stays in its reader: "+
				"does something other than the tests connect to 127.0.0.1:%d? %v", s.Index, s.Port, err)
		}
	}
	return slots
}

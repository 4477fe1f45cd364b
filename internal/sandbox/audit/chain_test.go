package audit

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
)

// testKey is a fixed key for the golden values below.
var testKey = func() []byte {
	k := make([]byte, KeySize)
	for i := range k {
		k[i] = byte(i)
	}
	return k
}()

// The encoding is pinned: changing it would break every log already written,
// and takes a new hashDomain and schemaVersion.
func TestRowHashGolden(t *testing.T) {
	r := Record{
		Seq: 7, Time: time.Date(2026, 3, 2, 9, 30, 0, 5, time.UTC), Kind: PrivacyAlert,
		UserUUID: "555021935107", UserName: "Dr Ada Emergency", RoleID: "555021936108", RoleName: "Emergency Medicine Consultant",
		OrgCode: "RBA", OrgName: "Taunton and Somerset", Activity: "B0168", Patient: "9000000009",
		SCRID: "1C03CF4F-D404-4D76-B192-4F81727059F6", RequestID: "60E0B220-8136-4CA5-AE46-1D97EF59D068",
		Outcome: Allowed, Detail: "Alert: Permission to view override", AlertType: "2", AlertSubtype: "5",
		Reason: "unconscious", Permission: false, PrevHash: zeroHash,
	}
	// Computed independently (Python's hmac) from the encodings in the doc
	// comments of rowHash, headMAC and keyID, with the key 00 01 02 … 1f.
	const want = "20fb953c040d0743cdd92ad2d73bdd04d1ddc7dc0295903dfb976343cfac2a3f"
	if got := rowHash(testKey, &r); got != want {
		t.Errorf("rowHash = %s, want %s", got, want)
	}
	const wantHead = "b920b341509678fd2e9e8e3459accf80d6ca3f04a3e668a028df0ba7eba79660"
	if got := headMAC(testKey, 7, strings.Repeat("ab", 32)); got != wantHead {
		t.Errorf("headMAC = %s, want %s", got, wantHead)
	}
	if got := keyID(testKey); got != "335144eceeb69847" {
		t.Errorf("keyID = %s", got)
	}
}

// Text moved across a field boundary, or a flag flipped, is a different record;
// so is the same record under another key.
func TestRowHashUnambiguous(t *testing.T) {
	base := Record{Seq: 1, Time: t0, Kind: SCRRead, Outcome: Allowed, UserName: "ab", RoleName: "", PrevHash: zeroHash}
	variants := map[string]func(*Record){
		"boundary moved": func(r *Record) { r.UserName, r.RoleName = "a", "b" },
		"into next":      func(r *Record) { r.UserName, r.RoleName = "", "ab" },
		"seq":            func(r *Record) { r.Seq = 2 },
		"time":           func(r *Record) { r.Time = r.Time.Add(time.Nanosecond) },
		"permission":     func(r *Record) { r.Permission = true },
		"prev hash":      func(r *Record) { r.PrevHash = strings.Repeat("1", 64) },
		"outcome":        func(r *Record) { r.Outcome = Denied },
	}
	h := rowHash(testKey, &base)
	for name, change := range variants {
		r := base
		change(&r)
		if rowHash(testKey, &r) == h {
			t.Errorf("%s: same hash", name)
		}
	}
	r := base
	r.Hash = "anything"
	if rowHash(testKey, &r) != h {
		t.Error("Hash is part of its own hash")
	}
	if rowHash(NewKey(), &base) == h {
		t.Error("another key gives the same hash")
	}
}

// tamper runs stmts on the database file through a connection of its own, as
// someone with the file would, triggers dropped first.
func tamper(t *testing.T, path string, stmts ...string) {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	stmts = append([]string{
		`DROP TRIGGER IF EXISTS audit_log_no_update`, `DROP TRIGGER IF EXISTS audit_log_no_delete`,
		`DROP TRIGGER IF EXISTS audit_head_no_delete`,
	}, stmts...)
	for _, q := range stmts {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

// allRows reads every row of the file as it is, behind the store's back.
func allRows(t *testing.T, path string) []Record {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT ` + columns + ` FROM audit_log ORDER BY seq`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []Record
	for rows.Next() {
		r, err := scanRecord(rows)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	return out
}

// rehash is the attack a plain hash chain cannot stop: edit row from, then
// recompute its hash and every later one, and the head with its MAC, all
// under key, and write them back.
func rehash(t *testing.T, path string, key []byte, from int64, edit func(*Record)) {
	t.Helper()
	rs := allRows(t, path)
	prev := zeroHash
	var stmts []string
	for i := range rs {
		r := &rs[i]
		if r.Seq == from {
			edit(r)
		}
		if r.Seq >= from {
			r.PrevHash = prev
			r.Hash = rowHash(key, r)
			stmts = append(stmts, fmt.Sprintf(`UPDATE audit_log SET reason = %s, prev_hash = '%s', hash = '%s' WHERE seq = %d`,
				quote(r.Reason), r.PrevHash, r.Hash, r.Seq))
		}
		prev = r.Hash
	}
	n := int64(len(rs))
	stmts = append(stmts, fmt.Sprintf(`UPDATE audit_head SET count = %d, hash = '%s', mac = '%s'`, n, prev, headMAC(key, n, prev)))
	tamper(t, path, stmts...)
}

func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// fiveRows opens a new file store holding five rows.
func fiveRows(t *testing.T) (*Store, string) {
	t.Helper()
	s, path := openFile(t)
	for i := range 5 {
		mustAppend(t, s, Record{Time: t0.Add(time.Duration(i) * time.Minute), Kind: SCRRead, Outcome: Allowed,
			Patient: "9000000009", Reason: "reason " + string(rune('a'+i))})
	}
	if err := s.Verify(context.Background()); err != nil {
		t.Fatalf("before tampering: %v", err)
	}
	return s, path
}

func TestVerifyDetectsTampering(t *testing.T) {
	tests := []struct {
		name    string
		tamper  func(t *testing.T, path string, key []byte)
		wantSeq int64
		reason  string // a word the Reason must hold
	}{
		{"field updated", func(t *testing.T, p string, _ []byte) {
			tamper(t, p, `UPDATE audit_log SET reason = 'routine' WHERE seq = 3`)
		}, 3, "edited"},
		{"time updated", func(t *testing.T, p string, _ []byte) {
			tamper(t, p, `UPDATE audit_log SET time_ns = time_ns + 1 WHERE seq = 2`)
		}, 2, "edited"},
		{"permission flipped", func(t *testing.T, p string, _ []byte) {
			tamper(t, p, `UPDATE audit_log SET permission = 1 WHERE seq = 4`)
		}, 4, "edited"},
		{"middle row deleted", func(t *testing.T, p string, _ []byte) {
			tamper(t, p, `DELETE FROM audit_log WHERE seq = 3`)
		}, 3, "missing"},
		{"first row deleted", func(t *testing.T, p string, _ []byte) {
			tamper(t, p, `DELETE FROM audit_log WHERE seq = 1`)
		}, 1, "missing"},
		{"last row deleted", func(t *testing.T, p string, _ []byte) {
			tamper(t, p, `DELETE FROM audit_log WHERE seq = 5`)
		}, 5, "missing"},
		{"last rows deleted", func(t *testing.T, p string, _ []byte) {
			tamper(t, p, `DELETE FROM audit_log WHERE seq >= 4`)
		}, 4, "missing"},
		{"last row deleted and head count fixed", func(t *testing.T, p string, _ []byte) {
			tamper(t, p, `DELETE FROM audit_log WHERE seq = 5`, `UPDATE audit_head SET count = 4`)
		}, 4, "head"},
		{"tail cut and the head moved back, without the key", func(t *testing.T, p string, _ []byte) {
			tamper(t, p, `DELETE FROM audit_log WHERE seq >= 4`,
				`UPDATE audit_head SET count = 3, hash = (SELECT hash FROM audit_log WHERE seq = 3)`)
		}, 4, "head"},
		{"every row deleted and the head reset, without the key", func(t *testing.T, p string, _ []byte) {
			tamper(t, p, `DELETE FROM audit_log`, `UPDATE audit_head SET count = 0, hash = '`+zeroHash+`'`)
		}, 1, "head"},
		{"whole chain re-hashed from an edited row, without the key", func(t *testing.T, p string, _ []byte) {
			rehash(t, p, NewKey(), 1, func(r *Record) { r.Reason = "routine" })
		}, 1, "edited"},
		{"chain re-hashed from an edited middle row, without the key", func(t *testing.T, p string, _ []byte) {
			rehash(t, p, NewKey(), 3, func(r *Record) { r.Reason = "routine" })
		}, 3, "edited"},
		{"rows swapped", func(t *testing.T, p string, _ []byte) {
			tamper(t, p,
				`UPDATE audit_log SET seq = -2 WHERE seq = 2`,
				`UPDATE audit_log SET seq = 2 WHERE seq = 3`,
				`UPDATE audit_log SET seq = 3 WHERE seq = -2`)
		}, 2, "edited"},
		{"row deleted and the rest renumbered", func(t *testing.T, p string, _ []byte) {
			tamper(t, p, `DELETE FROM audit_log WHERE seq = 2`, `UPDATE audit_log SET seq = seq - 1 WHERE seq > 2`,
				`UPDATE audit_head SET count = 4`)
		}, 2, "edited"},
		// With the key, one row rewritten alone still breaks the next link.
		{"row rewritten with its own hash recomputed, with the key", func(t *testing.T, p string, key []byte) {
			r := allRows(t, p)[2]
			r.Reason = "routine"
			tamper(t, p, `UPDATE audit_log SET reason = 'routine', hash = '`+rowHash(key, &r)+`' WHERE seq = 3`)
		}, 4, "prev_hash"},
		{"row appended behind the store's back, with the key", func(t *testing.T, p string, key []byte) {
			r := allRows(t, p)[4]
			r.Seq, r.PrevHash = 6, r.Hash
			r.Hash = rowHash(key, &r)
			tamper(t, p, `INSERT INTO audit_log SELECT 6, time_ns, kind, user_uuid, user_name, role_id, role_name,
				org_code, org_name, activity, patient, scr_id, request_id, outcome, detail, alert_type, alert_subtype,
				reason, permission, hash, '`+r.Hash+`' FROM audit_log WHERE seq = 5`)
		}, 6, "head"},
		{"head deleted", func(t *testing.T, p string, _ []byte) {
			tamper(t, p, `DELETE FROM audit_head`)
		}, 1, "head"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, path := fiveRows(t)
			tt.tamper(t, path, s.key)
			err := s.Verify(context.Background())
			var ce *ChainError
			if !errors.As(err, &ce) {
				t.Fatalf("Verify = %v, want a *ChainError", err)
			}
			if ce.Seq != tt.wantSeq || !strings.Contains(ce.Reason, tt.reason) {
				t.Errorf("Verify = %v; want row %d, reason with %q", err, tt.wantSeq, tt.reason)
			}
		})
	}
}

// What a copy of the file, or the key, allows is found only against a head
// exported earlier: each case passes Verify alone (the documented limits) and
// fails VerifyHead.
func TestVerifyHeadDetectsRollback(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name    string
		tamper  func(t *testing.T, path string, key []byte, backup []byte)
		wantSeq int64
		reason  string
	}{
		{"tail cut and the head moved back: the file rolled back to an older copy", func(t *testing.T, p string, _, backup []byte) {
			if err := os.WriteFile(p, backup, 0o600); err != nil {
				t.Fatal(err)
			}
		}, 4, "missing"},
		{"the file wiped and a new trail started with the same key", func(t *testing.T, p string, _, _ []byte) {
			if err := os.Remove(p); err != nil {
				t.Fatal(err)
			}
			s, err := Open(p)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			for range 6 {
				mustAppend(t, s, Record{Kind: SignIn, Outcome: Allowed})
			}
		}, 5, "exported head"},
		{"the whole chain re-hashed from an edited row, with the key", func(t *testing.T, p string, key, _ []byte) {
			rehash(t, p, key, 2, func(r *Record) { r.Reason = "routine" })
		}, 5, "exported head"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, path := openFile(t)
			for range 3 {
				mustAppend(t, s, Record{Kind: SCRRead, Outcome: Allowed, Patient: "9000000009"})
			}
			s.Close()
			backup, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			s, err = Open(path)
			if err != nil {
				t.Fatal(err)
			}
			mustAppend(t, s, Record{Kind: SCRRead, Outcome: Allowed, Reason: "d"}, Record{Kind: SCRRead, Outcome: Allowed, Reason: "e"})
			head, err := s.VerifyHead(ctx, nil)
			if err != nil || head.Seq != 5 {
				t.Fatalf("head %+v, %v", head, err)
			}
			key := s.key
			s.Close()

			tt.tamper(t, path, key, backup)
			s, err = Open(path, ReadOnly())
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if err := s.Verify(ctx); err != nil {
				t.Fatalf("Verify alone = %v; this case is one it cannot find", err)
			}
			_, err = s.VerifyHead(ctx, &head)
			var ce *ChainError
			if !errors.As(err, &ce) || ce.Seq != tt.wantSeq || !strings.Contains(ce.Reason, tt.reason) {
				t.Errorf("VerifyHead = %v; want row %d, reason with %q", err, tt.wantSeq, tt.reason)
			}
		})
	}
}

// A head stays good as rows are added after it; an empty trail holds no head.
func TestVerifyHead(t *testing.T) {
	ctx := context.Background()
	s := openMemory(t)
	if h, err := s.VerifyHead(ctx, nil); err != nil || h.Seq != 0 || h.Hash != zeroHash {
		t.Fatalf("empty: %+v, %v", h, err)
	}
	mustAppend(t, s, Record{Time: t0, Kind: SignIn, Outcome: Allowed}, Record{Time: t0.Add(time.Second), Kind: SCRRead, Outcome: Allowed})
	h2, err := s.VerifyHead(ctx, nil)
	if err != nil || h2.Seq != 2 || !h2.Time.Equal(t0.Add(time.Second)) {
		t.Fatalf("head after two rows: %+v, %v", h2, err)
	}
	mustAppend(t, s, Record{Kind: SignOut, Outcome: Allowed})
	if h, err := s.VerifyHead(ctx, &h2); err != nil || h.Seq != 3 {
		t.Errorf("VerifyHead(row 2) after a third row = %+v, %v", h, err)
	}
	for name, bad := range map[string]Head{
		"another hash": {Seq: 2, Hash: strings.Repeat("1", 64), Time: h2.Time},
		"another time": {Seq: 2, Hash: h2.Hash, Time: h2.Time.Add(time.Nanosecond)},
		"past the end": {Seq: 4, Hash: h2.Hash, Time: h2.Time},
	} {
		var ce *ChainError
		if _, err := s.VerifyHead(ctx, &bad); !errors.As(err, &ce) {
			t.Errorf("%s: VerifyHead = %v, want a *ChainError", name, err)
		}
	}
	empty := openMemory(t)
	var ce *ChainError
	if _, err := empty.VerifyHead(ctx, &h2); !errors.As(err, &ce) || ce.Seq != 1 || !strings.Contains(ce.Reason, "missing") {
		t.Errorf("an empty trail against a head: %v", err)
	}
}

func TestHeadText(t *testing.T) {
	h := Head{Seq: 42, Hash: strings.Repeat("ab", 32), Time: time.Date(2026, 3, 2, 9, 30, 0, 5, time.UTC)}
	b, err := h.Export()
	if err != nil {
		t.Fatal(err)
	}
	const want = `{"format":"scr-audit-head-v1","seq":42,"hash":"` +
		"abababababababababababababababababababababababababababababababab" + `","time":"2026-03-02T09:30:00.000000005Z"}`
	if string(b) != want {
		t.Errorf("Export = %s", b)
	}
	got, err := ParseHead(append(b, '\n'))
	if err != nil || got != h {
		t.Errorf("ParseHead = %+v, %v", got, err)
	}
	for _, bad := range []string{
		``, `{}`, `not json`, want + want,
		strings.Replace(want, "v1", "v9", 1),
		strings.Replace(want, `"seq":42`, `"seq":0`, 1),
		strings.Replace(want, `"hash":"ab`, `"hash":"zz`, 1),
		strings.Replace(want, `}`, `,"extra":1}`, 1),
	} {
		if _, err := ParseHead([]byte(bad)); err == nil {
			t.Errorf("ParseHead(%q) = nil error", bad)
		}
	}
}

// A store never appends to a trail whose head was moved back without the key:
// that would re-seal the cut. Nor does it open one.
func TestAppendRefusesTamperedHead(t *testing.T) {
	s, path := fiveRows(t)
	tamper(t, path, `DELETE FROM audit_log WHERE seq >= 4`,
		`UPDATE audit_head SET count = 3, hash = (SELECT hash FROM audit_log WHERE seq = 3)`)
	if err := s.Append(context.Background(), Record{Kind: SignIn, Outcome: Allowed}); err == nil || !strings.Contains(err.Error(), "MAC") {
		t.Errorf("Append after the head was moved back = %v", err)
	}
	if n := len(allRows(t, path)); n != 3 {
		t.Errorf("%d rows, want the 3 left", n)
	}
	s.Close()
	if _, err := Open(path); err == nil || !strings.Contains(err.Error(), "MAC") {
		t.Errorf("Open = %v", err)
	}
}

// The triggers refuse plain SQL changes; only someone who drops them first
// gets as far as the chain.
func TestTriggersRefuseChanges(t *testing.T) {
	s, path := openFile(t)
	mustAppend(t, s, Record{Kind: SignIn, Outcome: Allowed})
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range []string{
		`UPDATE audit_log SET user_name = 'x'`,
		`DELETE FROM audit_log`,
		`DELETE FROM audit_head`,
	} {
		if _, err := db.Exec(q); err == nil {
			t.Errorf("%s: allowed", q)
		}
	}
	if err := s.Verify(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestVerifyEmpty(t *testing.T) {
	if err := openMemory(t).Verify(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// Verify reads a snapshot: appends while it runs do not make it fail.
func TestVerifyDuringAppends(t *testing.T) {
	s, _ := openFile(t)
	ctx := context.Background()
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 300 {
			if err := s.Append(ctx, Record{Kind: SCRRead, Outcome: Allowed}); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	for {
		if err := s.Verify(ctx); err != nil {
			t.Fatal(err)
		}
		select {
		case <-done:
			return
		default:
		}
	}
}

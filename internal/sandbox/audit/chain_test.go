package audit

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"testing"
	"time"
)

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
	// Computed independently from the encoding in rowHash's doc comment.
	const want = "0c759ec7ca2d98d04c39089e59b843750aeff72ab72c239fd6a4ff3362d47f97"
	if got := rowHash(&r); got != want {
		t.Errorf("rowHash = %s, want %s", got, want)
	}
}

// Text moved across a field boundary, or a flag flipped, is a different record.
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
	h := rowHash(&base)
	for name, change := range variants {
		r := base
		change(&r)
		if rowHash(&r) == h {
			t.Errorf("%s: same hash", name)
		}
	}
	r := base
	r.Hash = "anything"
	if rowHash(&r) != h {
		t.Error("Hash is part of its own hash")
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
		`DROP TRIGGER audit_log_no_update`, `DROP TRIGGER audit_log_no_delete`, `DROP TRIGGER audit_head_no_delete`,
	}, stmts...)
	for _, q := range stmts {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

func TestVerifyDetectsTampering(t *testing.T) {
	tests := []struct {
		name    string
		tamper  func(t *testing.T, path string)
		wantSeq int64
		reason  string // a word the Reason must hold
	}{
		{"field updated", func(t *testing.T, p string) {
			tamper(t, p, `UPDATE audit_log SET reason = 'routine' WHERE seq = 3`)
		}, 3, "edited"},
		{"time updated", func(t *testing.T, p string) {
			tamper(t, p, `UPDATE audit_log SET time_ns = time_ns + 1 WHERE seq = 2`)
		}, 2, "edited"},
		{"permission flipped", func(t *testing.T, p string) {
			tamper(t, p, `UPDATE audit_log SET permission = 1 WHERE seq = 4`)
		}, 4, "edited"},
		{"middle row deleted", func(t *testing.T, p string) {
			tamper(t, p, `DELETE FROM audit_log WHERE seq = 3`)
		}, 3, "missing"},
		{"first row deleted", func(t *testing.T, p string) {
			tamper(t, p, `DELETE FROM audit_log WHERE seq = 1`)
		}, 1, "missing"},
		{"last row deleted", func(t *testing.T, p string) {
			tamper(t, p, `DELETE FROM audit_log WHERE seq = 5`)
		}, 5, "missing"},
		{"last rows deleted", func(t *testing.T, p string) {
			tamper(t, p, `DELETE FROM audit_log WHERE seq >= 4`)
		}, 4, "missing"},
		{"last row deleted and head count fixed", func(t *testing.T, p string) {
			tamper(t, p, `DELETE FROM audit_log WHERE seq = 5`, `UPDATE audit_head SET count = 4`)
		}, 4, "head"},
		{"rows swapped", func(t *testing.T, p string) {
			tamper(t, p,
				`UPDATE audit_log SET seq = -2 WHERE seq = 2`,
				`UPDATE audit_log SET seq = 2 WHERE seq = 3`,
				`UPDATE audit_log SET seq = 3 WHERE seq = -2`)
		}, 2, "edited"},
		{"row deleted and the rest renumbered", func(t *testing.T, p string) {
			tamper(t, p, `DELETE FROM audit_log WHERE seq = 2`, `UPDATE audit_log SET seq = seq - 1 WHERE seq > 2`,
				`UPDATE audit_head SET count = 4`)
		}, 2, "edited"},
		{"row rewritten with its own hash recomputed", func(t *testing.T, p string) {
			r := recordAt(t, p, 3)
			r.Reason = "routine"
			tamper(t, p, `UPDATE audit_log SET reason = 'routine', hash = '`+rowHash(&r)+`' WHERE seq = 3`)
		}, 4, "prev_hash"},
		{"row appended behind the store's back", func(t *testing.T, p string) {
			r := recordAt(t, p, 5)
			r.Seq, r.PrevHash = 6, r.Hash
			r.Hash = rowHash(&r)
			tamper(t, p, `INSERT INTO audit_log SELECT 6, time_ns, kind, user_uuid, user_name, role_id, role_name,
				org_code, org_name, activity, patient, scr_id, request_id, outcome, detail, alert_type, alert_subtype,
				reason, permission, hash, '`+r.Hash+`' FROM audit_log WHERE seq = 5`)
		}, 6, "head"},
		{"head deleted", func(t *testing.T, p string) {
			tamper(t, p, `DELETE FROM audit_head`)
		}, 1, "head"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, path := openFile(t)
			ctx := context.Background()
			for i := range 5 {
				mustAppend(t, s, Record{Time: t0.Add(time.Duration(i) * time.Minute), Kind: SCRRead, Outcome: Allowed,
					Patient: "9000000009", Reason: "reason " + string(rune('a'+i))})
			}
			if err := s.Verify(ctx); err != nil {
				t.Fatalf("before tampering: %v", err)
			}
			tt.tamper(t, path)
			err := s.Verify(ctx)
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

// recordAt reads row seq of the file as it is.
func recordAt(t *testing.T, path string, seq int64) Record {
	t.Helper()
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	r, err := s.Get(context.Background(), seq)
	if err != nil {
		t.Fatal(err)
	}
	return r
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

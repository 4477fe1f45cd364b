package audit

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

// openMemory opens an in-memory store closed at the end of the test.
func openMemory(t testing.TB) *Store {
	t.Helper()
	s, err := Open("")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// openFile opens a store in a new file, returning the path too.
func openFile(t testing.TB) (*Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "audit.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, path
}

var t0 = time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)

func mustAppend(t testing.TB, s *Store, rs ...Record) {
	t.Helper()
	for _, r := range rs {
		if err := s.Append(context.Background(), r); err != nil {
			t.Fatal(err)
		}
	}
}

func TestAppendQueryCount(t *testing.T) {
	s := openMemory(t)
	ctx := context.Background()
	in := []Record{
		{Time: t0, Kind: SignIn, UserUUID: "555021935107", OrgCode: "RBA", Outcome: Allowed},
		{Time: t0.Add(time.Hour), Kind: SCRRead, UserUUID: "555021935107", OrgCode: "RBA", Patient: "9000000009", Outcome: Allowed, Permission: true},
		{Time: t0.Add(2 * time.Hour), Kind: PrivacyAlert, UserUUID: "555021935108", OrgCode: "RBA", Patient: "9000000009",
			Outcome: Allowed, AlertType: "2", AlertSubtype: "5", Reason: "unconscious in A&E"},
		{Time: t0.Add(24 * time.Hour), Kind: PrivacyAlert, UserUUID: "555021935109", OrgCode: "FA123", Patient: "9000000017",
			Outcome: Denied, AlertType: "1", AlertSubtype: "1", Detail: "role lacks B0082"},
	}
	mustAppend(t, s, in...)

	n, err := s.Count(ctx)
	if err != nil || n != 4 {
		t.Fatalf("Count = %d, %v; want 4", n, err)
	}
	all, err := s.Query(ctx, Filter{})
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range all {
		if r.Seq != int64(i+1) {
			t.Errorf("row %d: Seq = %d", i, r.Seq)
		}
		want := in[i]
		want.Seq, want.PrevHash, want.Hash = r.Seq, r.PrevHash, r.Hash
		if !reflect.DeepEqual(r, want) {
			t.Errorf("row %d:\n got %+v\nwant %+v", i, r, want)
		}
	}
	if all[0].PrevHash != zeroHash || all[1].PrevHash != all[0].Hash {
		t.Error("rows are not chained")
	}

	seqs := func(f Filter) []int64 {
		t.Helper()
		rs, err := s.Query(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		var out []int64
		for _, r := range rs {
			out = append(out, r.Seq)
		}
		return out
	}
	tests := []struct {
		name string
		f    Filter
		want []int64
	}{
		{"patient", Filter{Patient: "9000000009"}, []int64{2, 3}},
		{"kinds", Filter{Kinds: []Kind{SignIn, SCRRead}}, []int64{1, 2}},
		{"org", Filter{OrgCode: "FA123"}, []int64{4}},
		{"from inclusive", Filter{From: t0.Add(time.Hour)}, []int64{2, 3, 4}},
		{"to exclusive", Filter{To: t0.Add(2 * time.Hour)}, []int64{1, 2}},
		{"alert types", Filter{AlertTypes: []string{"1"}}, []int64{4}},
		{"all of them", Filter{Patient: "9000000009", Kinds: []Kind{PrivacyAlert}, AlertTypes: []string{"2"}, OrgCode: "RBA"}, []int64{3}},
		{"limit keeps the earliest", Filter{Limit: 2}, []int64{1, 2}},
		{"nothing", Filter{Patient: "9999999999"}, nil},
	}
	for _, tt := range tests {
		if got := seqs(tt.f); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
		}
	}

	got, err := s.Get(ctx, 3)
	if err != nil || !reflect.DeepEqual(got, all[2]) {
		t.Errorf("Get(3) = %+v, %v", got, err)
	}
	if _, err := s.Get(ctx, 99); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get(99) error = %v, want ErrNotFound", err)
	}
	if err := s.Verify(ctx); err != nil {
		t.Fatal(err)
	}
}

// Whatever bytes a field holds come back unchanged, or the row would no longer
// match its hash.
func TestFieldsRoundTrip(t *testing.T) {
	s := openMemory(t)
	odd := []string{"", "a\x00b", "\xff\xfe not UTF-8", "emoji 👍🏽", "'; DROP TABLE audit_log; --", "line\nbreak"}
	for _, v := range odd {
		mustAppend(t, s, Record{Time: t0, Kind: PDSRead, Outcome: Failed, UserName: v, Detail: v, Reason: v})
	}
	rs, err := s.Query(context.Background(), Filter{})
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range rs {
		if r.UserName != odd[i] || r.Detail != odd[i] || r.Reason != odd[i] {
			t.Errorf("%q came back as %q", odd[i], r.UserName)
		}
	}
	if err := s.Verify(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestAppendSetsTime(t *testing.T) {
	s := openMemory(t)
	before := time.Now()
	local := time.Date(2026, 6, 1, 12, 0, 0, 123456789, time.FixedZone("BST", 3600))
	mustAppend(t, s, Record{Kind: SignIn, Outcome: Allowed}, Record{Time: local, Kind: SignIn, Outcome: Allowed})
	rs, _ := s.Query(context.Background(), Filter{})
	if rs[0].Time.Before(before.Add(-time.Second)) || rs[0].Time.Location() != time.UTC {
		t.Errorf("zero Time became %v", rs[0].Time)
	}
	if !rs[1].Time.Equal(local) || rs[1].Time.Location() != time.UTC {
		t.Errorf("Time %v came back as %v", local, rs[1].Time)
	}
}

func TestAppendRejects(t *testing.T) {
	s := openMemory(t)
	ctx := context.Background()
	for _, r := range []Record{
		{Outcome: Allowed},
		{Kind: SignIn},
		{Kind: SignIn, Outcome: "maybe"},
		{Kind: SignIn, Outcome: Allowed, Time: time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC)},
	} {
		if err := s.Append(ctx, r); err == nil {
			t.Errorf("Append(%+v) = nil", r)
		}
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if err := s.Append(cancelled, Record{Kind: SignIn, Outcome: Allowed}); !errors.Is(err, context.Canceled) {
		// The writer may win the race and take it; then it must be written.
		if n, _ := s.Count(ctx); err != nil || n != 1 {
			t.Errorf("cancelled Append = %v with %d rows", err, n)
		}
	}
	s.Close()
	if err := s.Append(ctx, Record{Kind: SignIn, Outcome: Allowed}); !errors.Is(err, ErrClosed) {
		t.Errorf("Append after Close = %v, want ErrClosed", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close = %v", err)
	}
}

// 100 appenders at once: every row is there once, numbered without a gap, and
// the chain verifies. Run for the file store too, where commits are batched
// under real fsyncs.
func TestConcurrentAppends(t *testing.T) {
	const writers, each = 100, 20
	file, _ := openFile(t)
	for name, s := range map[string]*Store{"memory": openMemory(t), "file": file} {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			var wg sync.WaitGroup
			errs := make(chan error, writers*each)
			start := time.Now()
			for w := range writers {
				wg.Go(func() {
					for i := range each {
						errs <- s.Append(ctx, Record{Kind: SCRRead, Outcome: Allowed, UserUUID: "w", Detail: string(rune('A'+w%26)) + string(rune('0'+i%10))})
					}
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Fatal(err)
				}
			}
			t.Logf("%d appends from %d goroutines in %v", writers*each, writers, time.Since(start))
			rs, err := s.Query(ctx, Filter{})
			if err != nil {
				t.Fatal(err)
			}
			if len(rs) != writers*each {
				t.Fatalf("%d rows, want %d", len(rs), writers*each)
			}
			for i, r := range rs {
				if r.Seq != int64(i+1) {
					t.Fatalf("row %d has Seq %d", i, r.Seq)
				}
			}
			if err := s.Verify(ctx); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestReopen(t *testing.T) {
	ctx := context.Background()
	s, path := openFile(t)
	mustAppend(t, s,
		Record{Time: t0, Kind: SignIn, Outcome: Allowed},
		Record{Time: t0, Kind: SCRRead, Outcome: Allowed, Patient: "9000000009"})
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if n, err := s.Count(ctx); err != nil || n != 2 {
		t.Fatalf("after reopening: Count = %d, %v; want 2", n, err)
	}
	if err := s.Verify(ctx); err != nil {
		t.Fatal(err)
	}
	// And the chain goes on from where it was.
	mustAppend(t, s, Record{Time: t0, Kind: SignOut, Outcome: Allowed})
	rs, _ := s.Query(ctx, Filter{})
	if rs[2].Seq != 3 || rs[2].PrevHash != rs[1].Hash {
		t.Errorf("third row: Seq %d, PrevHash %.8s…, want 3 and %.8s…", rs[2].Seq, rs[2].PrevHash, rs[1].Hash)
	}
	if err := s.Verify(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestOpenPathWithURICharacters(t *testing.T) {
	path := filepath.Join(t.TempDir(), "odd ?name#%20.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	mustAppend(t, s, Record{Kind: SignIn, Outcome: Allowed})
	s.Close()
	if s, err = Open(path); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if n, _ := s.Count(context.Background()); n != 1 {
		t.Errorf("reopened %q has %d rows, want 1", path, n)
	}
}

// BenchmarkAppendParallel measures appends to a file under contention: each
// is durable (fsync) before Append returns.
func BenchmarkAppendParallel(b *testing.B) {
	s, _ := openFile(b)
	ctx := context.Background()
	b.SetParallelism(16) // 16 × GOMAXPROCS appenders
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := s.Append(ctx, Record{Kind: SCRRead, Outcome: Allowed, Patient: "9000000009"}); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkAppendSerial is one appender: every append is its own fsync.
func BenchmarkAppendSerial(b *testing.B) {
	s, _ := openFile(b)
	ctx := context.Background()
	for b.Loop() {
		if err := s.Append(ctx, Record{Kind: SCRRead, Outcome: Allowed, Patient: "9000000009"}); err != nil {
			b.Fatal(err)
		}
	}
}

// The patient's permission (alert 1/6) covers the same user in the same role,
// for PermissionWindow; a refused alert, another user or role, or an
// emergency alert does not.
func TestPermissionGiven(t *testing.T) {
	s := openMemory(t)
	ctx := context.Background()
	alert := func(at time.Time, user, role, typ, sub string, o Outcome) Record {
		return Record{Time: at, Kind: PrivacyAlert, UserUUID: user, RoleID: role, Patient: "9000000009",
			AlertType: typ, AlertSubtype: sub, Outcome: o}
	}
	mustAppend(t, s,
		alert(t0, "555000000101", "555000000201", "1", "6", Allowed),
		alert(t0, "555000000102", "555000000202", "2", "5", Allowed),
		alert(t0, "555000000105", "555000000206", "1", "6", Denied),
	)
	for _, tc := range []struct {
		name       string
		user, role string
		at         time.Time
		want       bool
	}{
		{"same user and role", "555000000101", "555000000201", t0.Add(time.Hour), true},
		{"another role", "555000000101", "555000000299", t0.Add(time.Hour), false},
		{"another user", "555000000107", "555000000201", t0.Add(time.Hour), false},
		{"an emergency alert is not permission", "555000000102", "555000000202", t0.Add(time.Hour), false},
		{"a refused alert", "555000000105", "555000000206", t0.Add(time.Hour), false},
		{"after the window", "555000000101", "555000000201", t0.Add(PermissionWindow + time.Minute), false},
		{"before it was given", "555000000101", "555000000201", t0.Add(-time.Hour), false},
	} {
		got, err := s.PermissionGiven(ctx, tc.user, tc.role, "9000000009", tc.at)
		if err != nil || got != tc.want {
			t.Errorf("%s: %v, %v; want %v", tc.name, got, err, tc.want)
		}
	}
}

// The database, its key and SQLite's files beside it are the owner's alone.
func TestOpenCreatesPrivateFiles(t *testing.T) {
	s, path := openFile(t)
	mustAppend(t, s, Record{Kind: SignIn, Outcome: Allowed})
	for _, f := range []string{path, DefaultKeyFile(path), path + "-wal", path + "-shm"} {
		fi, err := os.Stat(f)
		if err != nil {
			t.Fatal(err)
		}
		if m := fi.Mode().Perm(); m != 0o600 {
			t.Errorf("%s: mode %v, want 0600", filepath.Base(f), m)
		}
	}
	if _, err := ReadKeyFile(DefaultKeyFile(path)); err != nil {
		t.Error(err)
	}
}

// snapshot is every file in dir with its bytes, to show nothing was written.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	for _, e := range es {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		m[e.Name()] = string(b)
	}
	return m
}

// Open refuses what is not a trail of this version made with the key given,
// read-only or not, and writes nothing to it or beside it.
func TestOpenRefuses(t *testing.T) {
	ctx := context.Background()
	sqliteFile := func(t *testing.T, path string, stmts ...string) {
		db, err := sql.Open("sqlite", path)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		for _, q := range stmts {
			if _, err := db.ExecContext(ctx, q); err != nil {
				t.Fatal(err)
			}
		}
	}
	trail := func(t *testing.T, path string) {
		s, err := Open(path)
		if err != nil {
			t.Fatal(err)
		}
		mustAppend(t, s, Record{Kind: SignIn, Outcome: Allowed})
		s.Close()
	}
	tests := []struct {
		name string
		make func(t *testing.T, path string)
		want string
	}{
		{"empty file", func(t *testing.T, p string) { os.WriteFile(p, nil, 0o600) }, "empty (0 bytes)"},
		{"not SQLite", func(t *testing.T, p string) {
			os.WriteFile(p, []byte(strings.Repeat("this is a text file, not a database\n", 40)), 0o600)
		}, "not an SQLite database"},
		{"another program's SQLite database", func(t *testing.T, p string) {
			sqliteFile(t, p, `CREATE TABLE notes (x TEXT)`)
		}, "no audit schema"},
		{"version 1 trail, not keyed", func(t *testing.T, p string) {
			sqliteFile(t, p, `CREATE TABLE audit_log (seq INTEGER PRIMARY KEY)`, `PRAGMA user_version = 1`)
		}, "start a new trail"},
		{"unknown version", func(t *testing.T, p string) {
			sqliteFile(t, p, `CREATE TABLE audit_log (seq INTEGER PRIMARY KEY)`, `PRAGMA user_version = 9`)
		}, "version 9"},
		{"another key", func(t *testing.T, p string) {
			trail(t, p)
			os.Remove(DefaultKeyFile(p))
			if _, err := WriteKeyFile(DefaultKeyFile(p)); err != nil {
				t.Fatal(err)
			}
		}, "does not fit"},
		{"no key file", func(t *testing.T, p string) {
			trail(t, p)
			os.Remove(DefaultKeyFile(p))
		}, "no audit key"},
		{"no head", func(t *testing.T, p string) {
			trail(t, p)
			tamper(t, p, `DELETE FROM audit_head`)
		}, "head row is missing"},
	}
	for _, tt := range tests {
		for _, ro := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/read-only=%v", tt.name, ro), func(t *testing.T) {
				dir := t.TempDir()
				path := filepath.Join(dir, "audit.db")
				tt.make(t, path)
				before := snapshot(t, dir)
				var opts []Option
				if ro {
					opts = append(opts, ReadOnly())
				}
				s, err := Open(path, opts...)
				if err == nil {
					s.Close()
					t.Fatal("Open = nil error")
				}
				if !strings.Contains(err.Error(), tt.want) {
					t.Errorf("Open = %v, want %q in it", err, tt.want)
				}
				if after := snapshot(t, dir); !reflect.DeepEqual(after, before) {
					t.Errorf("Open wrote to the directory: %d files before, %d after", len(before), len(after))
				}
			})
		}
	}
	if _, err := Open(filepath.Join(t.TempDir(), "none.db"), ReadOnly()); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("read-only Open of a missing file = %v", err)
	}
	if _, err := Open("", ReadOnly()); err == nil {
		t.Error("read-only Open in memory = nil error")
	}
	if _, err := Open("", WithKey([]byte("short"))); err == nil {
		t.Error("Open with a short key = nil error")
	}
}

// Read-only, a file nobody has open is read without a byte written or a file
// made beside it, even when the file itself is not writable.
func TestOpenReadOnly(t *testing.T) {
	ctx := context.Background()
	s, path := openFile(t)
	mustAppend(t, s, Record{Kind: SignIn, Outcome: Allowed}, Record{Kind: SCRRead, Outcome: Allowed, Patient: "9000000009"})
	s.Close()
	if err := os.Chmod(path, 0o400); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Dir(path)
	before := snapshot(t, dir)

	ro, err := Open(path, ReadOnly())
	if err != nil {
		t.Fatal(err)
	}
	if h, err := ro.VerifyHead(ctx, nil); err != nil || h.Seq != 2 {
		t.Errorf("VerifyHead = %+v, %v", h, err)
	}
	if rs, err := ro.Query(ctx, Filter{Patient: "9000000009"}); err != nil || len(rs) != 1 {
		t.Errorf("Query = %d rows, %v", len(rs), err)
	}
	if err := ro.Append(ctx, Record{Kind: SignIn, Outcome: Allowed}); !errors.Is(err, ErrReadOnly) {
		t.Errorf("Append = %v, want ErrReadOnly", err)
	}
	if err := ro.Close(); err != nil {
		t.Fatal(err)
	}
	if after := snapshot(t, dir); !reflect.DeepEqual(after, before) {
		t.Errorf("reading wrote to the directory: %d files before, %d after", len(before), len(after))
	}
}

// Read-only beside a server that has the file open, it reads a snapshot
// through the server's WAL.
func TestOpenReadOnlyWhileServing(t *testing.T) {
	ctx := context.Background()
	s, path := openFile(t)
	mustAppend(t, s, Record{Kind: SignIn, Outcome: Allowed})
	ro, err := Open(path, ReadOnly())
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	mustAppend(t, s, Record{Kind: SignOut, Outcome: Allowed})
	if h, err := ro.VerifyHead(ctx, nil); err != nil || h.Seq != 2 {
		t.Errorf("VerifyHead = %+v, %v; want row 2", h, err)
	}
}

// A file read as immutable that a server starts on meanwhile is not
// reported on from a mix of two moments.
func TestOpenReadOnlyNoticesWriter(t *testing.T) {
	s, path := openFile(t)
	mustAppend(t, s, Record{Kind: SignIn, Outcome: Allowed})
	s.Close()
	ro, err := Open(path, ReadOnly())
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	s, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	mustAppend(t, s, Record{Kind: SignOut, Outcome: Allowed})
	if err := ro.Verify(context.Background()); err == nil || !strings.Contains(err.Error(), "while it was being read") {
		t.Errorf("Verify = %v", err)
	}
}

// The key can live apart from the database, and is then needed to open it.
func TestOpenKeyElsewhere(t *testing.T) {
	dir, keyDir := t.TempDir(), t.TempDir()
	path, keyFile := filepath.Join(dir, "audit.db"), filepath.Join(keyDir, "audit.key")
	s, err := Open(path, WithKeyFile(keyFile))
	if err != nil {
		t.Fatal(err)
	}
	mustAppend(t, s, Record{Kind: SignIn, Outcome: Allowed})
	s.Close()
	if _, err := os.Stat(DefaultKeyFile(path)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a key file beside the database too: %v", err)
	}
	if fi, err := os.Stat(keyFile); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("key file: %v, %v", fi, err)
	}
	if _, err := Open(path); err == nil || !strings.Contains(err.Error(), "no audit key") {
		t.Errorf("Open without the key = %v", err)
	}
	key, err := ReadKeyFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	for _, opt := range []Option{WithKeyFile(keyFile), WithKey(key)} {
		s, err := Open(path, opt, ReadOnly())
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Verify(context.Background()); err != nil {
			t.Error(err)
		}
		s.Close()
	}
}

package audit

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// ErrClosed is returned by Append after Close.
var ErrClosed = errors.New("audit: store closed")

// ErrNotFound is returned by Get for a row that does not exist.
var ErrNotFound = errors.New("audit: no such record")

// maxBatch bounds how many appends share one transaction.
const maxBatch = 256

// Store is the audit trail in SQLite. It is safe for concurrent use.
//
// Appends go through one writer goroutine, which takes every append waiting at
// that moment and commits them in one transaction (group commit): the chain
// needs appends in a strict order anyway, and one fsync for many rows keeps a
// busy server fast with synchronous=FULL. Reads run beside it on their own
// connections.
type Store struct {
	db      *sql.DB
	appends chan *appendReq // unbuffered: a request handed over is always answered
	quit    chan struct{}   // closed by Close
	stopped chan struct{}   // closed when the writer has returned

	closeOnce sync.Once
	closeErr  error
}

type appendReq struct {
	rec  Record
	done chan error // buffered, so the writer never waits on a caller
}

// Open opens the audit database at path, creating it and its schema if need be.
// path "" or ":memory:" keeps the log in memory, for the demo and tests: it is
// gone on Close. A file is opened in WAL mode with synchronous=FULL, so a row
// Append returned nil for is on disk and survives a crash or SIGTERM.
func Open(path string) (*Store, error) {
	dsn, memory, err := dataSource(path)
	if err != nil {
		return nil, fmt.Errorf("audit: open %q: %w", path, err)
	}
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("audit: open %q: %w", path, err)
	}
	if memory {
		// Each connection to ":memory:" is a database of its own: keep exactly
		// one, for good.
		db.SetMaxOpenConns(1)
		db.SetMaxIdleConns(1)
	} else {
		// Bounded, as every connection holds its own page cache.
		db.SetMaxOpenConns(8)
		db.SetMaxIdleConns(8)
	}
	if err := migrate(context.Background(), db); err != nil {
		db.Close()
		return nil, fmt.Errorf("audit: open %q: %w", path, err)
	}
	s := &Store{
		db:      db,
		appends: make(chan *appendReq),
		quit:    make(chan struct{}),
		stopped: make(chan struct{}),
	}
	go s.writeLoop()
	return s, nil
}

// dataSource is the driver's name for path. A file is given as an absolute
// file: URI so that no character of the path ('?', '#', '%') can be read as a
// parameter.
func dataSource(path string) (dsn string, memory bool, err error) {
	// busy_timeout: another process (`scr-sandbox audit verify`) may hold the
	// file for a moment. IMMEDIATE: a write transaction takes the write lock
	// before it reads the head, so no other writer can chain onto the same row.
	const common = "_busy_timeout=10000&_txlock=immediate"
	if path == "" || path == ":memory:" {
		return ":memory:?" + common, true, nil
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", false, err
	}
	p := filepath.ToSlash(abs)
	if !strings.HasPrefix(p, "/") {
		p = "/" + p // a Windows drive letter: file:///C:/…
	}
	u := url.URL{Scheme: "file", Path: p, RawQuery: common + "&_journal_mode=WAL&_synchronous=FULL"}
	return u.String(), false, nil
}

// Close waits for appends in progress, then closes the database. Appends after
// Close return ErrClosed.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		close(s.quit)
		<-s.stopped
		s.closeErr = s.db.Close()
	})
	return s.closeErr
}

// Append adds r to the end of the log. The store sets r.Seq, r.PrevHash and
// r.Hash, and r.Time to now if it is zero; every time is kept in UTC to the
// nanosecond. It returns nil only once the row is committed; an error means the
// row was not written. ctx bounds only the wait to be taken on: once the writer
// has the record, Append waits for the commit, so that its answer is the truth.
func (s *Store) Append(ctx context.Context, r Record) error {
	_, err := s.append(ctx, r)
	return err
}

// append is Append returning the row as stored.
func (s *Store) append(ctx context.Context, r Record) (Record, error) {
	if r.Kind == "" {
		return Record{}, errors.New("audit: append: record has no Kind")
	}
	if !r.Outcome.valid() {
		return Record{}, fmt.Errorf("audit: append: outcome %q", r.Outcome)
	}
	if r.Time.IsZero() {
		r.Time = time.Now()
	}
	r.Time = r.Time.UTC()
	// Times are stored as int64 Unix nanoseconds.
	if y := r.Time.Year(); y < 1678 || y > 2261 {
		return Record{}, fmt.Errorf("audit: append: time %v out of range", r.Time)
	}
	r.Seq, r.PrevHash, r.Hash = 0, "", ""

	req := &appendReq{rec: r, done: make(chan error, 1)}
	select {
	case s.appends <- req:
	case <-ctx.Done():
		return Record{}, ctx.Err()
	case <-s.quit:
		return Record{}, ErrClosed
	}
	if err := <-req.done; err != nil {
		return Record{}, err
	}
	return req.rec, nil
}

// writeLoop is the only writer: it commits whatever appends are waiting, as one
// transaction, until Close.
func (s *Store) writeLoop() {
	defer close(s.stopped)
	for {
		var batch []*appendReq
		select {
		case req := <-s.appends:
			batch = append(batch, req)
		case <-s.quit:
			return
		}
	more:
		for len(batch) < maxBatch {
			select {
			case req := <-s.appends:
				batch = append(batch, req)
			default:
				break more
			}
		}
		err := s.commit(batch)
		for _, req := range batch {
			req.done <- err
		}
	}
}

// commit chains and inserts batch after the current head, and moves the head,
// in one transaction. On error nothing is written.
func (s *Store) commit(batch []*appendReq) (err error) {
	defer func() {
		if err != nil {
			err = fmt.Errorf("audit: append: %w", err)
		}
	}()
	// Not the callers' contexts: one caller giving up must not roll back the
	// others' rows.
	ctx := context.Background()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()

	var count int64
	var prev string
	if err := tx.QueryRowContext(ctx, `SELECT count, hash FROM audit_head WHERE id = 1`).Scan(&count, &prev); err != nil {
		return fmt.Errorf("reading the head: %w", err)
	}
	insert, err := tx.PrepareContext(ctx, `INSERT INTO audit_log (`+columns+`) VALUES (`+placeholders(numColumns)+`)`)
	if err != nil {
		return err
	}
	defer insert.Close()
	for _, req := range batch {
		r := &req.rec
		count++
		r.Seq, r.PrevHash = count, prev
		r.Hash = rowHash(r)
		if _, err := insert.ExecContext(ctx, values(r)...); err != nil {
			return err
		}
		prev = r.Hash
	}
	if _, err := tx.ExecContext(ctx, `UPDATE audit_head SET count = ?, hash = ? WHERE id = 1`, count, prev); err != nil {
		return err
	}
	return tx.Commit()
}

// Count is the number of rows in the log.
func (s *Store) Count(ctx context.Context) (int64, error) {
	var n int64
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM audit_log`).Scan(&n); err != nil {
		return 0, fmt.Errorf("audit: count: %w", err)
	}
	return n, nil
}

// Get returns the row numbered seq, or ErrNotFound.
func (s *Store) Get(ctx context.Context, seq int64) (Record, error) {
	r, err := scanRecord(s.db.QueryRowContext(ctx, `SELECT `+columns+` FROM audit_log WHERE seq = ?`, seq))
	if errors.Is(err, sql.ErrNoRows) {
		return Record{}, ErrNotFound
	}
	if err != nil {
		return Record{}, fmt.Errorf("audit: get %d: %w", seq, err)
	}
	return r, nil
}

package audit

import (
	"context"
	"crypto/hmac"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// ErrClosed is returned by Append after Close.
var ErrClosed = errors.New("audit: store closed")

// ErrReadOnly is returned by Append on a store opened with ReadOnly.
var ErrReadOnly = errors.New("audit: store opened read-only")

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
	db       *sql.DB
	key      []byte // the chain's MAC key
	readOnly bool
	appends  chan *appendReq // unbuffered: a request handed over is always answered
	quit     chan struct{}   // closed by Close
	stopped  chan struct{}   // closed when the writer has returned

	// For a read-only store of a file nobody had open (read as immutable, see
	// openSQL): the file as it was then, to notice a writer starting on it.
	immutable *os.File
	opened    os.FileInfo

	closeOnce sync.Once
	closeErr  error
}

type appendReq struct {
	rec  Record
	done chan error // buffered, so the writer never waits on a caller
}

// Option is a choice made when opening a store.
type Option func(*options)

type options struct {
	key      []byte
	keyFile  string
	readOnly bool
}

// WithKey keys the chain with key, KeySize bytes, instead of a key file.
func WithKey(key []byte) Option { return func(o *options) { o.key = key } }

// WithKeyFile reads the chain's key from path (see ReadKeyFile). When the
// database is new and path does not exist, a new key is written there (0600).
// "" is the default, DefaultKeyFile: beside the database.
func WithKeyFile(path string) Option { return func(o *options) { o.keyFile = path } }

// ReadOnly opens an existing database without writing to it, migrating it or
// creating any file: for `scr-sandbox audit verify`. Append returns
// ErrReadOnly. An empty (0-byte) file, a file that is not SQLite and a database
// without this version's audit schema are refused.
func ReadOnly() Option { return func(o *options) { o.readOnly = true } }

// Open opens the audit database at path, creating it (0600) and its schema if
// it does not exist. path "" or ":memory:" keeps the log in memory, for the
// demo and tests, under a random key unless WithKey gives one: it is gone on
// Close. A file is opened in WAL mode with synchronous=FULL, so a row Append
// returned nil for is on disk and survives a crash or SIGTERM.
//
// A file's chain is keyed (see chain.go) with the key in the key file, by
// default DefaultKeyFile(path), created (0600) with the database. An existing
// database is opened only with the key it was made with, only if it is this
// version's audit schema, and only if its head carries its MAC: a store never
// appends to a trail it can tell was cut back. An existing empty file is
// refused rather than filled with a schema.
func Open(path string, opts ...Option) (*Store, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	if o.key != nil && len(o.key) != KeySize {
		return nil, fmt.Errorf("audit: open %q: the key is %d bytes, not %d", path, len(o.key), KeySize)
	}
	var s *Store
	var err error
	if path == "" || path == ":memory:" {
		s, err = openInMemory(o)
	} else {
		s, err = openOnDisk(path, o)
	}
	if err != nil {
		return nil, fmt.Errorf("audit: open %q: %w", path, err)
	}
	if !s.readOnly {
		go s.writeLoop()
	} else {
		close(s.stopped)
	}
	return s, nil
}

func newStore(db *sql.DB, key []byte, readOnly bool) *Store {
	return &Store{
		db:       db,
		key:      key,
		readOnly: readOnly,
		appends:  make(chan *appendReq),
		quit:     make(chan struct{}),
		stopped:  make(chan struct{}),
	}
}

// busy_timeout: another process (`scr-sandbox audit verify`) may hold the
// file for a moment. IMMEDIATE: a write transaction takes the write lock
// before it reads the head, so no other writer can chain onto the same row.
const dsnCommon = "_busy_timeout=10000&_txlock=immediate"

func openInMemory(o options) (*Store, error) {
	if o.readOnly {
		return nil, errors.New("read-only needs a database file")
	}
	key := o.key
	if key == nil {
		key = NewKey()
	}
	db, err := sql.Open("sqlite", ":memory:?"+dsnCommon)
	if err != nil {
		return nil, err
	}
	// Each connection to ":memory:" is a database of its own: keep exactly
	// one, for good.
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	if err := createSchema(context.Background(), db, key); err != nil {
		db.Close()
		return nil, err
	}
	return newStore(db, key, false), nil
}

func openOnDisk(path string, o options) (*Store, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	fi, err := os.Stat(abs)
	exists := err == nil
	switch {
	case err != nil && (o.readOnly || !errors.Is(err, fs.ErrNotExist)):
		return nil, err
	case exists && !fi.Mode().IsRegular():
		return nil, errors.New("not a regular file")
	case exists && fi.Size() == 0:
		// Never filled with a schema: it could be a trail wiped to nothing.
		return nil, errors.New("the file is empty (0 bytes): not an audit database (remove it to start a new trail)")
	}
	keyFile := o.keyFile
	if keyFile == "" {
		keyFile = DefaultKeyFile(path)
	}
	if !exists {
		return create(abs, keyFile, o.key)
	}

	// Looked at read-only first, so that a file which is not this version's
	// trail, or was made with another key, is left exactly as it was.
	ro, err := openSQL(abs, true)
	if err != nil {
		return nil, err
	}
	ctx := context.Background()
	key := o.key
	err = checkVersion(ctx, ro.db)
	if err == nil && key == nil {
		key, _, err = loadKey(keyFile, false)
	}
	if err == nil {
		err = checkKey(ctx, ro.db, key)
	}
	if err != nil || o.readOnly {
		if err != nil {
			ro.closeFiles()
			return nil, err
		}
		ro.key = key
		return ro, nil
	}
	ro.closeFiles()

	s, err := openSQL(abs, false)
	if err != nil {
		return nil, err
	}
	s.key = key
	if _, _, err := readHead(ctx, s.db, key); err != nil {
		s.closeFiles()
		return nil, err
	}
	return s, nil
}

// create makes a new database at abs, and its key in keyFile unless key is
// given or the file exists. Whatever it made is removed again if it fails.
func create(abs, keyFile string, key []byte) (s *Store, err error) {
	var made []string
	defer func() {
		if err != nil {
			for _, f := range made {
				os.Remove(f)
			}
		}
	}()
	if key == nil {
		var created bool
		if key, created, err = loadKey(keyFile, true); err != nil {
			return nil, err
		}
		if created {
			made = append(made, keyFile)
		}
	}
	// Made here, before SQLite opens it, so that it is the owner's alone from
	// the first byte; SQLite gives the -wal and -shm files beside it the
	// database's mode.
	f, err := os.OpenFile(abs, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, err
	}
	f.Close()
	made = append(made, abs, abs+"-wal", abs+"-shm", abs+"-journal")
	if s, err = openSQL(abs, false); err != nil {
		return nil, err
	}
	s.key = key
	if err = createSchema(context.Background(), s.db, key); err != nil {
		s.closeFiles()
		return nil, err
	}
	return s, nil
}

// openSQL opens the database file abs, read-only or for the store's writes.
func openSQL(abs string, readOnly bool) (*Store, error) {
	u := url.URL{Scheme: "file", Path: uriPath(abs), RawQuery: dsnCommon + "&_journal_mode=WAL&_synchronous=FULL"}
	var immutable *os.File
	var opened os.FileInfo
	if readOnly {
		// mode=ro alone still makes -wal and -shm files beside a database in WAL
		// mode when there are none. There are none when no one has the file
		// open (the last connection removes them): then it is read as
		// immutable, touching nothing. When a server has it open they exist, and
		// mode=ro reads a snapshot through them.
		u.RawQuery = "mode=ro&_busy_timeout=10000"
		if _, err := os.Stat(abs + "-wal"); errors.Is(err, fs.ErrNotExist) {
			u.RawQuery += "&immutable=1"
			var err error
			if immutable, err = os.Open(abs); err != nil {
				return nil, err
			}
			if opened, err = immutable.Stat(); err != nil {
				immutable.Close()
				return nil, err
			}
		}
	}
	db, err := sql.Open("sqlite", u.String())
	if err != nil {
		if immutable != nil {
			immutable.Close()
		}
		return nil, err
	}
	// Bounded, as every connection holds its own page cache.
	db.SetMaxOpenConns(8)
	db.SetMaxIdleConns(8)
	s := newStore(db, nil, readOnly)
	s.immutable, s.opened = immutable, opened
	return s, nil
}

// loadKey reads the key file, or writes a new key there if it does not exist
// and create is set (the database is new).
func loadKey(path string, create bool) (key []byte, created bool, err error) {
	key, err = readKeyFile(path)
	switch {
	case err == nil:
		return key, false, nil
	case !errors.Is(err, fs.ErrNotExist):
		return nil, false, err
	case !create:
		return nil, false, fmt.Errorf("no audit key at %s: the database was made with a key; "+
			"give the key file it was made with", path)
	}
	key, err = writeKeyFile(path)
	return key, err == nil, err
}

// uriPath is abs as the path of a file: URI. A file is given as an absolute
// file: URI so that no character of the path ('?', '#', '%') can be read as a
// parameter.
func uriPath(abs string) string {
	p := filepath.ToSlash(abs)
	if !strings.HasPrefix(p, "/") {
		p = "/" + p // a Windows drive letter: file:///C:/…
	}
	return p
}

// unchanged reports an error if the file of a store read as immutable has
// been written since it was opened: a server started on it, so what was read
// may be a mix of two moments.
func (s *Store) unchanged() error {
	if s.immutable == nil {
		return nil
	}
	now, err := os.Stat(s.immutable.Name())
	_, walErr := os.Stat(s.immutable.Name() + "-wal")
	if err != nil || !os.SameFile(now, s.opened) || now.Size() != s.opened.Size() ||
		!now.ModTime().Equal(s.opened.ModTime()) || !errors.Is(walErr, fs.ErrNotExist) {
		return errors.New("audit: the database was written while it was being read (a server started on it?): read it again")
	}
	return nil
}

// readHead reads the head in q and checks its MAC.
func readHead(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, key []byte) (count int64, hash string, err error) {
	var m string
	if err := q.QueryRowContext(ctx, `SELECT count, hash, mac FROM audit_head WHERE id = 1`).Scan(&count, &hash, &m); err != nil {
		return 0, "", fmt.Errorf("reading the head: %w", err)
	}
	if !hmac.Equal([]byte(m), []byte(headMAC(key, count, hash))) {
		return 0, "", errors.New("the head's MAC is wrong: the trail was tampered with " +
			"(rows cut off the end?), so nothing more is appended to it; see scr-sandbox audit verify")
	}
	return count, hash, nil
}

// Close waits for appends in progress, then closes the database. Appends after
// Close return ErrClosed.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		close(s.quit)
		<-s.stopped
		s.closeErr = s.closeFiles()
	})
	return s.closeErr
}

func (s *Store) closeFiles() error {
	err := s.db.Close()
	if s.immutable != nil {
		s.immutable.Close()
	}
	return err
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
	if s.readOnly {
		return Record{}, ErrReadOnly
	}
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

	count, prev, err := readHead(ctx, tx, s.key)
	if err != nil {
		return err
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
		r.Hash = rowHash(s.key, r)
		if _, err := insert.ExecContext(ctx, values(r)...); err != nil {
			return err
		}
		prev = r.Hash
	}
	if _, err := tx.ExecContext(ctx, `UPDATE audit_head SET count = ?, hash = ?, mac = ? WHERE id = 1`,
		count, prev, headMAC(s.key, count, prev)); err != nil {
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

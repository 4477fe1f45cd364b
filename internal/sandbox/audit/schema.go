package audit

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// sqliteNotADB is SQLite's result code SQLITE_NOTADB: the file is not a
// database.
const sqliteNotADB = 26

// schemaVersion is PRAGMA user_version once the schema below is in place. A
// change to the tables, or to the MAC encoding in chain.go, takes a new version.
//
// Version 1 chained rows with plain SHA-256, which anyone able to write the file
// could recompute; version 2 keys the chain (HMAC-SHA256) and MACs the head.
// A version 1 database is refused, not migrated: its rows were never keyed, so
// keying them now would vouch for whatever the file holds. The sandbox is a
// test server; a new trail is started instead.
const schemaVersion = 2

// schema is version 2. audit_log.seq is the rowid, assigned by the store as the
// head's count plus one rather than by SQLite, so that a gap always means a
// deleted row. Times are Unix nanoseconds: exact, and ordered as integers.
// The triggers stop an accidental UPDATE or DELETE through SQL; they do not stop
// anyone who can write the file (DROP TRIGGER), which is what the chain is for.
var schema = []string{
	`CREATE TABLE audit_log (
		seq           INTEGER PRIMARY KEY,
		time_ns       INTEGER NOT NULL,
		kind          TEXT NOT NULL,
		user_uuid     TEXT NOT NULL,
		user_name     TEXT NOT NULL,
		role_id       TEXT NOT NULL,
		role_name     TEXT NOT NULL,
		org_code      TEXT NOT NULL,
		org_name      TEXT NOT NULL,
		activity      TEXT NOT NULL,
		patient       TEXT NOT NULL,
		scr_id        TEXT NOT NULL,
		request_id    TEXT NOT NULL,
		outcome       TEXT NOT NULL,
		detail        TEXT NOT NULL,
		alert_type    TEXT NOT NULL,
		alert_subtype TEXT NOT NULL,
		reason        TEXT NOT NULL,
		permission    INTEGER NOT NULL CHECK (permission IN (0, 1)),
		prev_hash     TEXT NOT NULL,
		hash          TEXT NOT NULL
	) STRICT`,
	`CREATE INDEX audit_log_patient ON audit_log (patient)`,
	`CREATE INDEX audit_log_org_kind ON audit_log (org_code, kind)`,
	// The head is updated in the same transaction as each insert, so deleting
	// rows from the end of the log leaves it pointing past them; its MAC (see
	// headMAC) stops it being moved back without the key. key_id names the key
	// (see keyID), so a wrong key is told apart from tampering.
	`CREATE TABLE audit_head (
		id     INTEGER PRIMARY KEY CHECK (id = 1),
		count  INTEGER NOT NULL,
		hash   TEXT NOT NULL,
		mac    TEXT NOT NULL,
		key_id TEXT NOT NULL
	) STRICT`,
	`CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
		BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END`,
	`CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
		BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END`,
	`CREATE TRIGGER audit_head_no_delete BEFORE DELETE ON audit_head
		BEGIN SELECT RAISE(ABORT, 'audit_head cannot be deleted'); END`,
	fmt.Sprintf(`PRAGMA user_version = %d`, schemaVersion),
}

// createSchema writes the schema and the empty head into a database this
// store has just created, in one transaction.
func createSchema(ctx context.Context, db *sql.DB, key []byte) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var version int
	if err := tx.QueryRowContext(ctx, `PRAGMA user_version`).Scan(&version); err != nil {
		return err
	}
	if version != 0 {
		return fmt.Errorf("a new database already has schema version %d", version)
	}
	for _, stmt := range schema {
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("creating schema: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO audit_head (id, count, hash, mac, key_id) VALUES (1, 0, ?, ?, ?)`,
		zeroHash, headMAC(key, 0, zeroHash), keyID(key)); err != nil {
		return fmt.Errorf("creating schema: %w", err)
	}
	return tx.Commit()
}

// checkVersion checks, without writing anything, that an existing database is
// an audit trail of this version. One that is not (not SQLite, another
// program's, a version 1 trail) is refused with an error saying which.
func checkVersion(ctx context.Context, db *sql.DB) error {
	var version int
	if err := db.QueryRowContext(ctx, `PRAGMA user_version`).Scan(&version); err != nil {
		var se interface{ Code() int }
		if errors.As(err, &se) && se.Code()&0xff == sqliteNotADB {
			return errors.New("not an SQLite database, so not an audit trail")
		}
		return err
	}
	switch version {
	case schemaVersion:
	case 0:
		return errors.New("not an audit database (no audit schema in it)")
	case 1:
		return errors.New("an audit trail of schema version 1, whose chain is not keyed: " +
			"this program no longer reads it; move it aside and start a new trail")
	default:
		return fmt.Errorf("database schema version %d, this program knows version %d", version, schemaVersion)
	}
	return nil
}

// checkKey checks, without writing anything, that the database was made with
// key.
func checkKey(ctx context.Context, db *sql.DB, key []byte) error {
	var id string
	err := db.QueryRowContext(ctx, `SELECT key_id FROM audit_head WHERE id = 1`).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return &ChainError{Seq: 1, Reason: "the head row is missing"}
	}
	if err != nil {
		return fmt.Errorf("not an audit database of version %d: %w", schemaVersion, err)
	}
	if id != keyID(key) {
		return fmt.Errorf("%w (its key ID is %s, the key given is %s): the wrong key file, or the database was replaced",
			ErrWrongKey, id, keyID(key))
	}
	return nil
}

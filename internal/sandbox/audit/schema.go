package audit

import (
	"context"
	"database/sql"
	"fmt"
)

// schemaVersion is PRAGMA user_version once the schema below is in place. A
// change to the tables, or to the hash encoding in chain.go, takes a new version
// and a migration: old rows must keep verifying under the encoding they were
// written with.
const schemaVersion = 1

// schema is version 1. audit_log.seq is the rowid, assigned by the store as the
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
	// rows from the end of the log leaves it pointing past them.
	`CREATE TABLE audit_head (
		id    INTEGER PRIMARY KEY CHECK (id = 1),
		count INTEGER NOT NULL,
		hash  TEXT NOT NULL
	) STRICT`,
	`INSERT INTO audit_head (id, count, hash) VALUES (1, 0, '` + zeroHash + `')`,
	`CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
		BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END`,
	`CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
		BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END`,
	`CREATE TRIGGER audit_head_no_delete BEFORE DELETE ON audit_head
		BEGIN SELECT RAISE(ABORT, 'audit_head cannot be deleted'); END`,
	fmt.Sprintf(`PRAGMA user_version = %d`, schemaVersion),
}

// migrate creates the schema in a new database and checks an existing one is a
// version this code understands. It runs in one transaction, so a failure leaves
// the file as it was.
func migrate(ctx context.Context, db *sql.DB) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var version int
	if err := tx.QueryRowContext(ctx, `PRAGMA user_version`).Scan(&version); err != nil {
		return err
	}
	switch version {
	case schemaVersion:
		return nil
	case 0:
		for _, stmt := range schema {
			if _, err := tx.ExecContext(ctx, stmt); err != nil {
				return fmt.Errorf("creating schema: %w", err)
			}
		}
		return tx.Commit()
	default:
		return fmt.Errorf("database schema version %d, this program knows version %d", version, schemaVersion)
	}
}

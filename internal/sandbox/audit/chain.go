package audit

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// zeroHash is the PrevHash of the first row.
var zeroHash = strings.Repeat("0", sha256.Size*2)

// hashDomain starts every hashed message, so a row hash cannot be mistaken for
// the hash of anything else, and names the encoding version.
const hashDomain = "scr-audit-row-v1"

// rowHash is the hex SHA-256 of r's canonical encoding:
//
//	str(hashDomain)
//	u64(Seq) i64(Time as Unix nanoseconds, UTC)
//	str(Kind) str(UserUUID) str(UserName) str(RoleID) str(RoleName)
//	str(OrgCode) str(OrgName) str(Activity) str(Patient) str(SCRID)
//	str(RequestID) str(Outcome) str(Detail) str(AlertType) str(AlertSubtype)
//	str(Reason) u8(Permission: 0 or 1) str(PrevHash)
//
// where u64 and i64 are 8 bytes big-endian and str(s) is u64(len(s)) followed by
// the bytes of s. Every field is there in a fixed order and every string carries
// its length, so no two different records encode alike: moving text from one
// field to the next, or an empty field, changes the hash. Seq is in it, so a row
// moved to another position no longer matches. Hash itself is left out.
func rowHash(r *Record) string {
	h := sha256.New()
	var buf []byte
	str := func(s string) {
		buf = binary.BigEndian.AppendUint64(buf, uint64(len(s)))
		buf = append(buf, s...)
	}
	str(hashDomain)
	buf = binary.BigEndian.AppendUint64(buf, uint64(r.Seq))
	buf = binary.BigEndian.AppendUint64(buf, uint64(r.Time.UnixNano()))
	for _, s := range []string{
		string(r.Kind), r.UserUUID, r.UserName, r.RoleID, r.RoleName,
		r.OrgCode, r.OrgName, r.Activity, r.Patient, r.SCRID,
		r.RequestID, string(r.Outcome), r.Detail, r.AlertType, r.AlertSubtype,
		r.Reason,
	} {
		str(s)
	}
	if r.Permission {
		buf = append(buf, 1)
	} else {
		buf = append(buf, 0)
	}
	str(r.PrevHash)
	h.Write(buf)
	return hex.EncodeToString(h.Sum(nil))
}

// ChainError says where the audit trail stops being what the store wrote.
type ChainError struct {
	Seq    int64  // the first row found wrong or missing
	Reason string // what is wrong with it
}

func (e *ChainError) Error() string {
	return fmt.Sprintf("audit: chain broken at row %d: %s", e.Seq, e.Reason)
}

// Verify walks the log from the first row and checks that the rows are numbered
// 1, 2, 3, … without a gap, that each row's Hash is the hash of its fields, that
// each PrevHash is the Hash of the row before, and that the last row is the one
// the head table names (count and hash). The first failure is returned as a
// *ChainError naming the row; other errors are the database's.
//
// So Verify detects, through SQL or by editing the file: a field of any row
// changed (its hash no longer matches); a row deleted from the middle (a gap in
// Seq) or from the end (the head counts more rows than there are); rows
// reordered or renumbered (Seq is hashed, and each row names the one before);
// a row inserted or appended behind the store's back (a broken link, or rows
// past the head).
//
// It cannot detect what a writer who knows the scheme does consistently: the
// hashes are not keyed, so someone able to write the file can rewrite a row and
// recompute every later hash and the head, or cut the tail and move the head
// back, or replace the whole file. Catching that needs the head hash kept
// somewhere the attacker cannot write (printed, sent off the machine, or signed
// with a key held elsewhere) and compared with Verify's. Nor can it know about
// an access that was never appended.
func (s *Store) Verify(ctx context.Context) error {
	// One read transaction: in WAL mode it is a snapshot, so rows appended while
	// Verify runs neither appear halfway nor disagree with the head it read.
	tx, err := s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return fmt.Errorf("audit: verify: %w", err)
	}
	defer tx.Rollback()

	var headCount int64
	var headHash string
	err = tx.QueryRowContext(ctx, `SELECT count, hash FROM audit_head WHERE id = 1`).Scan(&headCount, &headHash)
	if errors.Is(err, sql.ErrNoRows) {
		return &ChainError{Seq: 1, Reason: "the head row is missing"}
	}
	if err != nil {
		return fmt.Errorf("audit: verify: %w", err)
	}

	rows, err := tx.QueryContext(ctx, `SELECT `+columns+` FROM audit_log ORDER BY seq`)
	if err != nil {
		return fmt.Errorf("audit: verify: %w", err)
	}
	defer rows.Close()
	last, prev := int64(0), zeroHash
	for rows.Next() {
		r, err := scanRecord(rows)
		if err != nil {
			return fmt.Errorf("audit: verify: %w", err)
		}
		if err := checkRow(&r, last+1, prev); err != nil {
			return err
		}
		last, prev = r.Seq, r.Hash
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("audit: verify: %w", err)
	}

	switch {
	case headCount > last:
		return &ChainError{Seq: last + 1, Reason: fmt.Sprintf(
			"missing: the head counts %d rows but the log ends at row %d (rows deleted from the end)", headCount, last)}
	case headCount < last:
		return &ChainError{Seq: headCount + 1, Reason: fmt.Sprintf(
			"not in the head: the head counts %d rows but the log has %d (rows added outside the store, or the head rolled back)", headCount, last)}
	case headHash != prev:
		return &ChainError{Seq: last, Reason: "the last row's hash is not the one the head records"}
	}
	return nil
}

// checkRow checks one row against the position it should hold and the hash of
// the row before it.
func checkRow(r *Record, want int64, prev string) error {
	if r.Seq != want {
		return &ChainError{Seq: want, Reason: fmt.Sprintf("missing: the next row is %d (rows deleted)", r.Seq)}
	}
	if got := rowHash(r); got != r.Hash {
		return &ChainError{Seq: r.Seq, Reason: "the row's fields do not match its hash (row edited)"}
	}
	if r.PrevHash != prev {
		return &ChainError{Seq: r.Seq, Reason: fmt.Sprintf(
			"prev_hash is not the hash of row %d (that row rewritten, or this one moved)", r.Seq-1)}
	}
	return nil
}

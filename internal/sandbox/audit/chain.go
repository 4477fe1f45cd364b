package audit

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// zeroHash is the PrevHash of the first row.
var zeroHash = strings.Repeat("0", sha256.Size*2)

// Every MAC'd message starts with one of these, so a row MAC cannot be taken
// for the head's MAC or anything else, and names the encoding version.
const (
	hashDomain = "scr-audit-row-v2"
	headDomain = "scr-audit-head-v2"
)

// encoder builds the canonical encoding of a message: u64 and i64 are 8 bytes
// big-endian, str(s) is u64(len(s)) followed by the bytes of s.
type encoder []byte

func (e *encoder) u64(v uint64) { *e = binary.BigEndian.AppendUint64(*e, v) }
func (e *encoder) str(s string) { e.u64(uint64(len(s))); *e = append(*e, s...) }

func mac(key []byte, msg encoder) string {
	m := hmac.New(sha256.New, key)
	m.Write(msg)
	return hex.EncodeToString(m.Sum(nil))
}

// rowHash is the hex HMAC-SHA256, under the store's key, of r's canonical
// encoding:
//
//	str(hashDomain)
//	u64(Seq) i64(Time as Unix nanoseconds, UTC)
//	str(Kind) str(UserUUID) str(UserName) str(RoleID) str(RoleName)
//	str(OrgCode) str(OrgName) str(Activity) str(Patient) str(SCRID)
//	str(RequestID) str(Outcome) str(Detail) str(AlertType) str(AlertSubtype)
//	str(Reason) u8(Permission: 0 or 1) str(PrevHash)
//
// Every field is there in a fixed order and every string carries its length,
// so no two different records encode alike: moving text from one field to the
// next, or an empty field, changes the hash. Seq is in it, so a row moved to
// another position no longer matches. Hash itself is left out. Without the key
// no one can compute it, so no one can rewrite a row and re-chain the rows after
// it so that they verify.
func rowHash(key []byte, r *Record) string {
	var e encoder
	e.str(hashDomain)
	e.u64(uint64(r.Seq))
	e.u64(uint64(r.Time.UnixNano()))
	for _, s := range []string{
		string(r.Kind), r.UserUUID, r.UserName, r.RoleID, r.RoleName,
		r.OrgCode, r.OrgName, r.Activity, r.Patient, r.SCRID,
		r.RequestID, string(r.Outcome), r.Detail, r.AlertType, r.AlertSubtype,
		r.Reason,
	} {
		e.str(s)
	}
	if r.Permission {
		e = append(e, 1)
	} else {
		e = append(e, 0)
	}
	e.str(r.PrevHash)
	return mac(key, e)
}

// headMAC is the hex HMAC-SHA256 of str(headDomain) u64(count) str(hash): the
// head table's own MAC, so that moving the head back to an earlier row after
// cutting rows off the end takes the key too.
func headMAC(key []byte, count int64, hash string) string {
	var e encoder
	e.str(headDomain)
	e.u64(uint64(count))
	e.str(hash)
	return mac(key, e)
}

// ChainError says where the audit trail stops being what the store wrote.
type ChainError struct {
	Seq    int64  // the first row found wrong or missing
	Reason string // what is wrong with it
}

func (e *ChainError) Error() string {
	return fmt.Sprintf("audit: chain broken at row %d: %s", e.Seq, e.Reason)
}

// Head names the last row of the trail at one moment: exported with
// `scr-sandbox audit head` and kept where whoever can write the database
// cannot, it lets [Store.VerifyHead] tell later that no row up to it was lost,
// rolled back or rewritten, even by someone holding the key.
type Head struct {
	Seq  int64     // the row's number; 0 for a trail with no rows
	Hash string    // the row's Hash
	Time time.Time // the row's Time, to tell people which moment it was
}

// headFormat names the exported head's format.
const headFormat = "scr-audit-head-v1"

type headJSON struct {
	Format string    `json:"format"`
	Seq    int64     `json:"seq"`
	Hash   string    `json:"hash"`
	Time   time.Time `json:"time"`
}

// Export is h as the one line of JSON `scr-sandbox audit head` prints:
//
//	{"format":"scr-audit-head-v1","seq":42,"hash":"…64 hex digits…","time":"2026-03-02T09:30:00.000000005Z"}
func (h Head) Export() ([]byte, error) {
	return json.Marshal(headJSON{Format: headFormat, Seq: h.Seq, Hash: h.Hash, Time: h.Time.UTC()})
}

// ParseHead reads a head written by Export.
func ParseHead(data []byte) (Head, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var j headJSON
	if err := dec.Decode(&j); err != nil || dec.More() {
		return Head{}, errors.New("audit: not an exported audit head (one JSON object from `scr-sandbox audit head`)")
	}
	if j.Format != headFormat {
		return Head{}, fmt.Errorf("audit: exported head format %q, this program knows %q", j.Format, headFormat)
	}
	if b, err := hex.DecodeString(j.Hash); err != nil || len(b) != sha256.Size || j.Seq < 1 {
		return Head{}, errors.New("audit: exported head: seq must be 1 or more and hash 64 hex digits")
	}
	return Head{Seq: j.Seq, Hash: j.Hash, Time: j.Time.UTC()}, nil
}

// Verify checks the whole chain; see [Store.VerifyHead].
func (s *Store) Verify(ctx context.Context) error {
	_, err := s.VerifyHead(ctx, nil)
	return err
}

// VerifyHead walks the log from the first row and checks that the rows are
// numbered 1, 2, 3, … without a gap, that each row's Hash is the MAC of its
// fields under the store's key, that each PrevHash is the Hash of the row
// before, and that the last row is the one the head table names (count and
// hash) under a MAC of its own. If want is not nil, the log must also hold
// want: row want.Seq with want.Hash and want.Time. It returns the head the
// chain ends at. The first failure is returned as a *ChainError naming the row;
// other errors are the database's.
//
// So, against anyone without the key, it detects: a field of any row changed;
// a row deleted from the middle or the end, or rows cut off the end and the
// head moved back; rows reordered, renumbered, inserted or appended; every row
// deleted and the head reset; the whole chain re-hashed from an edited row.
//
// With want, exported earlier and kept where the attacker cannot write, it also
// detects what a copy of the file allows: the file rolled back to a copy older
// than want (rows cut back past want.Seq, the head with them) or replaced by a
// new trail; and a rewrite of any row up to want.Seq even by someone holding
// the key.
//
// It cannot detect: anything done consistently by someone holding the key to
// rows after want (or to any row, without want); the file rolled back to a copy
// no older than want; the file deleted along with every head; an access that
// was never appended. An empty log verifies, with a Head of Seq 0: whether
// that is right is for the caller to judge.
func (s *Store) VerifyHead(ctx context.Context, want *Head) (Head, error) {
	// One read transaction: in WAL mode it is a snapshot, so rows appended while
	// Verify runs neither appear halfway nor disagree with the head it read.
	tx, err := s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return Head{}, fmt.Errorf("audit: verify: %w", err)
	}
	defer tx.Rollback()

	var headCount int64
	var headHash, headMac string
	err = tx.QueryRowContext(ctx, `SELECT count, hash, mac FROM audit_head WHERE id = 1`).Scan(&headCount, &headHash, &headMac)
	if errors.Is(err, sql.ErrNoRows) {
		return Head{}, &ChainError{Seq: 1, Reason: "the head row is missing"}
	}
	if err != nil {
		return Head{}, fmt.Errorf("audit: verify: %w", err)
	}

	rows, err := tx.QueryContext(ctx, `SELECT `+columns+` FROM audit_log ORDER BY seq`)
	if err != nil {
		return Head{}, fmt.Errorf("audit: verify: %w", err)
	}
	defer rows.Close()
	last := Head{Hash: zeroHash}
	var found *Head // want, once seen
	for rows.Next() {
		r, err := scanRecord(rows)
		if err != nil {
			return Head{}, fmt.Errorf("audit: verify: %w", err)
		}
		if err := checkRow(s.key, &r, last.Seq+1, last.Hash); err != nil {
			return Head{}, err
		}
		last = Head{Seq: r.Seq, Hash: r.Hash, Time: r.Time}
		if want != nil && r.Seq == want.Seq {
			if r.Hash != want.Hash || !r.Time.Equal(want.Time) {
				return Head{}, &ChainError{Seq: r.Seq, Reason: "not the row of the exported head " +
					"(the file rolled back to an older copy or replaced, or that row rewritten with the key)"}
			}
			found = &last
		}
	}
	if err := rows.Err(); err != nil {
		return Head{}, fmt.Errorf("audit: verify: %w", err)
	}

	switch {
	case headCount > last.Seq:
		return Head{}, &ChainError{Seq: last.Seq + 1, Reason: fmt.Sprintf(
			"missing: the head counts %d rows but the log ends at row %d (rows deleted from the end)", headCount, last.Seq)}
	case headCount < last.Seq:
		return Head{}, &ChainError{Seq: headCount + 1, Reason: fmt.Sprintf(
			"not in the head: the head counts %d rows but the log has %d (rows added outside the store, or the head rolled back)", headCount, last.Seq)}
	case headHash != last.Hash:
		return Head{}, &ChainError{Seq: last.Seq, Reason: "the last row's hash is not the one the head records"}
	case !hmac.Equal([]byte(headMac), []byte(headMAC(s.key, headCount, headHash))):
		return Head{}, &ChainError{Seq: last.Seq + 1, Reason: "the head's MAC is wrong: the head was rewritten " +
			"without the key (rows cut off the end and the head moved back, or every row deleted)"}
	case want != nil && found == nil:
		return Head{}, &ChainError{Seq: last.Seq + 1, Reason: fmt.Sprintf(
			"missing: the exported head is row %d but the log ends at row %d "+
				"(rows cut off the end, the file rolled back to an older copy, or wiped)", want.Seq, last.Seq)}
	}
	if err := s.unchanged(); err != nil {
		return Head{}, err
	}
	return last, nil
}

// checkRow checks one row against the position it should hold and the hash of
// the row before it.
func checkRow(key []byte, r *Record, want int64, prev string) error {
	if r.Seq != want {
		return &ChainError{Seq: want, Reason: fmt.Sprintf("missing: the next row is %d (rows deleted)", r.Seq)}
	}
	if got := rowHash(key, r); !hmac.Equal([]byte(got), []byte(r.Hash)) {
		return &ChainError{Seq: r.Seq, Reason: "the row's fields do not match its MAC (row edited, or re-hashed without the key)"}
	}
	if r.PrevHash != prev {
		return &ChainError{Seq: r.Seq, Reason: fmt.Sprintf(
			"prev_hash is not the hash of row %d (that row rewritten, or this one moved)", r.Seq-1)}
	}
	return nil
}

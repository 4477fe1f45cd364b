package records

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// The PDS views keep the published member order of a resource, so a Patient is
// handled as an ordered list of members rather than a map (which encoding/json
// would sort) or a struct (which would drop what it does not name).

// member is one member of a JSON object, its value kept as written.
type member struct {
	name  string
	value json.RawMessage
}

// members splits a JSON object into its members, in order.
func members(obj []byte) ([]member, error) {
	dec := json.NewDecoder(bytes.NewReader(obj))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, fmt.Errorf("not a JSON object")
	}
	var ms []member
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		name, _ := tok.(string) // an object's keys are always strings
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, fmt.Errorf("member %q: %w", name, err)
		}
		ms = append(ms, member{name, v})
	}
	if _, err := dec.Token(); err != nil {
		return nil, err
	}
	return ms, nil
}

// encodeObject writes members as one compact JSON object.
func encodeObject(ms []member) ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteByte('{')
	for i, m := range ms {
		if i > 0 {
			buf.WriteByte(',')
		}
		name, err := json.Marshal(m.name)
		if err != nil {
			return nil, err
		}
		buf.Write(name)
		buf.WriteByte(':')
		if err := json.Compact(&buf, m.value); err != nil {
			return nil, fmt.Errorf("member %q: %w", m.name, err)
		}
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

// filterArray keeps the elements of a JSON array for which keep, given the
// element decoded into a fresh P, is true. It reports false when none is left,
// as FHIR forbids empty arrays and the member must then go.
func filterArray[P any](arr json.RawMessage, keep func(P) bool) (json.RawMessage, bool, error) {
	var elems []json.RawMessage
	if err := json.Unmarshal(arr, &elems); err != nil {
		return nil, false, err
	}
	kept := elems[:0]
	for _, e := range elems {
		var peek P
		if err := json.Unmarshal(e, &peek); err != nil {
			return nil, false, err
		}
		if keep(peek) {
			kept = append(kept, e)
		}
	}
	if len(kept) == 0 {
		return nil, false, nil
	}
	// Joined by hand: json.Marshal would rewrite <, > and & inside the elements.
	var buf bytes.Buffer
	buf.WriteByte('[')
	for i, e := range kept {
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.Write(e)
	}
	buf.WriteByte(']')
	return buf.Bytes(), true, nil
}

package client

import (
	"errors"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/scrterm/scr/internal/safetext"
)

// The client reads JSON with github.com/go-json-experiment/json, the mirror
// of Go's encoding/json/v2 (an alias of the standard library from Go 1.27):
// it decodes an SCR Bundle in half the time encoding/json takes, and
// it refuses an object with a name given twice, where encoding/json quietly
// keeps the last, so two readers cannot disagree about one record.

// decodeOptions: invalid UTF-8 in a record becomes U+FFFD rather than
// losing the whole record; and every JSON string decoded into a Go string
// passes the gate, safetext.Line, as it is decoded (gateStrings). A field
// added to any wire struct is a string, so gated; none can forget. Text
// that is markup, not a line (the narrative's XHTML), is decoded into the
// distinct type markup, which the gate leaves alone for the narrative parser
// to gate text by text.
var decodeOptions = json.JoinOptions(
	jsontext.AllowInvalidUTF8(true),
	json.WithUnmarshalers(gateStrings),
)

// gateStrings decodes a JSON string into a Go string through safetext.Line.
// Anything else (null, or a wrong type) is left to the decoder's own rules.
var gateStrings = json.UnmarshalFromFunc(func(dec *jsontext.Decoder, s *string) error {
	if dec.PeekKind() != '"' {
		return errors.ErrUnsupported
	}
	tok, err := dec.ReadToken()
	if err != nil {
		return err
	}
	*s = safetext.Line(tok.String())
	return nil
})

// markup is text from the server that is XHTML, not one line: the SCR
// narrative's text.div. The decoder does not gate it; parseNarrative gates
// every text it takes out of it.
type markup string

// decodeJSON unmarshals one server document into v.
func decodeJSON(data []byte, v any) error {
	return json.Unmarshal(data, v, decodeOptions)
}

package client

import (
	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// The client reads JSON with github.com/go-json-experiment/json, the mirror
// of Go's encoding/json/v2 (an alias of the standard library from Go 1.27):
// it decodes an SCR Bundle in half the time encoding/json takes, and
// it refuses an object with a name given twice, where encoding/json quietly
// keeps the last, so two readers cannot disagree about one record.

// decodeOptions: invalid UTF-8 in a record becomes U+FFFD rather than
// losing the whole record; cleanText deals with what remains.
var decodeOptions = json.JoinOptions(jsontext.AllowInvalidUTF8(true))

// decodeJSON unmarshals one server document into v.
func decodeJSON(data []byte, v any) error {
	return json.Unmarshal(data, v, decodeOptions)
}

package records

import (
	"net/http"

	"github.com/scrterm/scr/internal/sandbox/wire"
)

// tooManyMatches is PDS's answer to a search that found more patients than
// _max-results: 200, not an error status ("A completed search … might contain a
// 'TOO_MANY_MATCHES' error", patient-search.yaml), an information issue of type
// multiple-matches, as the live service sends it.
var tooManyMatches = []byte(`{"resourceType":"OperationOutcome","issue":[{"severity":"information","code":"multiple-matches",` +
	`"details":{"coding":[{"system":"https://fhir.nhs.uk/R4/CodeSystem/Spine-ErrorOrWarningCode","version":"1",` +
	`"code":"TOO_MANY_MATCHES","display":"Too Many Matches"}]}}]}`)

// spineACFRefusal is Spine's text when access control refuses a record
// (summary-care-record.openapi.yaml, GET /Bundle, 4XX example; the double space
// is Spine's).
const spineACFRefusal = "Code: 420, Display: Business condition related to access control  which prevents the action being performed by PSIS;" +
	"Code: 30418, Display: [PSIS-30418] - ACF does not permit access to resource"

// scrOutcome writes an SCR API error: the OpenAPI file's shape, with the text in
// details.text, and the sandbox's plain explanation in diagnostics, where every
// sandbox error carries one.
func scrOutcome(w http.ResponseWriter, status int, code, text, diagnostics string) {
	wire.WriteJSON(w, status, wire.ContentFHIR, map[string]any{
		"resourceType": "OperationOutcome",
		"issue": []any{map[string]any{
			"severity":    "error",
			"code":        code,
			"details":     map[string]string{"text": text},
			"diagnostics": diagnostics,
		}},
	})
}

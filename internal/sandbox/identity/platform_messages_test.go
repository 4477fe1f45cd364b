package identity

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestPlatformMessagesAreThePlatforms: every error_description the platform's
// token exchange answers in the platform's own words is, word for word, in
// the platform's published tests or claim checks (testdata/nhs-identity).
func TestPlatformMessagesAreThePlatforms(t *testing.T) {
	var all strings.Builder
	for _, name := range []string{
		"test_token_exchange.py", "validate-client-assertion-claims.js",
		"validate-subject-token-claims.js", "validate-id-token-claims.js",
	} {
		b, err := os.ReadFile(filepath.Join("testdata", "nhs-identity", name))
		if err != nil {
			t.Fatal(err)
		}
		all.Write(b)
	}
	// Python and JavaScript split a long string into literals on several
	// lines ("…- "\n    "must be …"): join them.
	text := regexp.MustCompile(`"\s*\n\s*"|"\s*\+\s*\n\s*"`).ReplaceAllString(all.String(), "")
	for _, msg := range []string{
		msgGrantType, msgClientAssertionType, msgSubjectTokenType, msgMissingSubject, msgMalformedSubject,
		msgMissingAssertion, msgMalformedAssertion,
		msgCAAlg, msgCAExpired, msgCAMissingKID, msgCATyp, msgCAMissingExp, msgCAExpNotInt, msgCAIssSub,
		msgCAMissingJTI, msgCAJTINotString, msgCAJTIReused, msgCAExpTooLong, msgCAUnknownApp, msgCAUnknownKID,
		msgCASignature, msgCAAud,
		msgSTMissingKID, msgSTTyp, msgSTMissingAlg, msgSTMissingExp, msgSTExpNotInt, msgSTExpired,
		msgSTMissingIss, msgSTMissingAud, msgSTIss, msgSTAud,
		msgUserinfoSeparateAuth, codePublicKey,
	} {
		if !strings.Contains(text, `"`+msg+`"`) {
			t.Errorf("%q is not, word for word, a string of the platform's", msg)
		}
	}
}

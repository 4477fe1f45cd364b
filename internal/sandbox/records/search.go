package records

import (
	"cmp"
	"fmt"
	"maps"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/scrterm/scr/internal/sandbox/wire"
)

// PDS search (personal-demographics.yaml, "Search for a patient"), as the
// sandbox does it:
//
//   - a non-fuzzy search needs family name and date of birth; names and
//     postcodes may hold * wildcards after at least two characters; names match
//     ignoring case; _history=true also matches previous names and addresses.
//   - a fuzzy search (_fuzzy-match=true) needs given name, family name and date
//     of birth, or family or given name with date of birth, gender and
//     postcode; it allows no wildcards, always searches history, and also
//     matches names without accents or punctuation, by Soundex, and with given
//     and family name swapped, and names one typing slip away (a letter
//     missed, added, changed or two swapped: "Jargreaves", "Hagreaves") when
//     the name has at least four letters, which Soundex misses when the
//     slip is in the first letter.
//   - every match has a score, 1 for an exact match; _exact-match=true keeps
//     only those. Results are best first.
//   - more matches than _max-results (1 to 50, default 50 for a healthcare
//     worker) answers 200 with a TOO_MANY_MATCHES OperationOutcome.
//   - a sensitive patient is never found by postcode or GP practice.

// Spine codes PDS search answers with that wire does not name.
const (
	spineInvalidSearchData    = "INVALID_SEARCH_DATA"
	spineUnsupportedService   = "UNSUPPORTED_SERVICE"
	spineAdditionalProperties = "ADDITIONAL_PROPERTIES"
)

const (
	defaultMaxResults = 50 // healthcare worker access mode
	maxMaxResults     = 50
)

// Scores of a partial match; a match's score is the product of its parts'.
const (
	scoreExact      = 1.0
	scoreFolded     = 0.95 // equal without accents and punctuation
	scoreWildcard   = 0.9
	scoreHistoric   = 0.9 // matched only a previous name or address
	scoreSoundex    = 0.8
	scoreTransposed = 0.75
	scoreMisspelt   = 0.7 // fuzzy: one typing slip from the name held
	scoreMismatch   = 0.9 // fuzzy: date of death or GP practice differ
)

// searchQuery is a parsed PDS search.
type searchQuery struct {
	family, postcode, gp, email, phone, gender string
	given                                      []string
	birth, death                               []dateBound
	fuzzy, exact, history                      bool
	max                                        int
	names                                      []string // the parameters given, for the audit trail
}

// dateBound is one birthdate or death-date parameter: eq, ge or le a day.
type dateBound struct{ op, day string }

func (b dateBound) holds(day string) bool {
	switch b.op {
	case "ge":
		return day >= b.day
	case "le":
		return day <= b.day
	}
	return day == b.day
}

// searchError is a search PDS refuses with 400: the issue code, Spine code and
// diagnostics, and the parameter at fault (for the audit trail, which does not
// keep the values searched for).
type searchError struct{ code, spine, text, param string }

func invalidValue(param, value string) *searchError {
	return &searchError{"value", wire.SpineInvalidValue, fmt.Sprintf("Invalid value - '%s' in field '%s'", value, param), param}
}

func invalidSearch(why string) *searchError {
	return &searchError{"value", spineInvalidSearchData, "Invalid search data provided - " + why, ""}
}

// searchParams are the parameters PDS search takes; single ones may be given once.
var searchParams = map[string]bool{
	"family": true, "given": false, "gender": true, "birthdate": false, "death-date": false,
	"address-postalcode": true, "address-postcode": true, "general-practitioner": true,
	"email": true, "phone": true,
	"_fuzzy-match": true, "_exact-match": true, "_history": true, "_max-results": true,
}

func parseSearch(v url.Values) (searchQuery, *searchError) {
	q := searchQuery{max: defaultMaxResults}
	for _, name := range slices.Sorted(maps.Keys(v)) {
		vals := v[name]
		single, known := searchParams[name]
		switch {
		case !known:
			return q, &searchError{"structure", spineAdditionalProperties, fmt.Sprintf("Invalid request with error - additional property '%s'", name), name}
		case single && len(vals) > 1:
			return q, invalidSearch(fmt.Sprintf("'%s' may be given only once", name))
		}
		for _, val := range vals {
			if strings.TrimSpace(val) == "" {
				return q, invalidValue(name, val)
			}
		}
		q.names = append(q.names, name)
	}
	if len(q.names) == 0 {
		return q, &searchError{"value", spineUnsupportedService, "Unsupported Service - no search parameters were provided", ""}
	}

	q.family, q.given = v.Get("family"), v["given"]
	q.gp, q.email, q.phone = v.Get("general-practitioner"), v.Get("email"), v.Get("phone")
	q.postcode = cmp.Or(v.Get("address-postalcode"), v.Get("address-postcode"))
	if v.Has("address-postalcode") && v.Has("address-postcode") {
		return q, invalidSearch("give address-postalcode or address-postcode, not both")
	}
	if g := v.Get("gender"); g != "" {
		if !slices.Contains([]string{"male", "female", "other", "unknown"}, g) {
			return q, invalidValue("gender", g)
		}
		q.gender = g
	}
	var err *searchError
	if q.birth, err = parseDates("birthdate", v["birthdate"]); err != nil {
		return q, err
	}
	if q.death, err = parseDates("death-date", v["death-date"]); err != nil {
		return q, err
	}
	for _, f := range []struct {
		name string
		flag *bool
	}{{"_fuzzy-match", &q.fuzzy}, {"_exact-match", &q.exact}, {"_history", &q.history}} {
		switch s := v.Get(f.name); s {
		case "", "false":
		case "true":
			*f.flag = true
		default:
			return q, invalidValue(f.name, s)
		}
	}
	if s := v.Get("_max-results"); s != "" {
		n, perr := strconv.Atoi(s)
		if perr != nil || n < 1 || n > maxMaxResults {
			return q, invalidValue("_max-results", s)
		}
		q.max = n
	}
	if err := q.checkWildcards(); err != nil {
		return q, err
	}
	return q, q.checkCombination()
}

// parseDates reads eqYYYY-MM-DD, geYYYY-MM-DD and leYYYY-MM-DD (a bare date
// meaning eq); two values make a range.
func parseDates(param string, vals []string) ([]dateBound, *searchError) {
	if len(vals) > 2 {
		return nil, invalidSearch(fmt.Sprintf("'%s' may be given at most twice, as a range", param))
	}
	var bounds []dateBound
	for _, val := range vals {
		op, date := "eq", val
		if len(val) > 2 && 'a' <= val[0] && val[0] <= 'z' {
			op, date = val[:2], val[2:]
		}
		if _, err := time.Parse(time.DateOnly, date); err != nil || !slices.Contains([]string{"eq", "ge", "le"}, op) {
			return nil, invalidValue(param, val)
		}
		bounds = append(bounds, dateBound{op, date})
	}
	return bounds, nil
}

// checkWildcards applies PDS's wildcard rules: none in a fuzzy search, and at
// least two characters before the first.
func (q *searchQuery) checkWildcards() *searchError {
	for _, f := range append([]string{q.family, q.postcode}, q.given...) {
		i := strings.IndexByte(f, '*')
		switch {
		case i < 0:
		case q.fuzzy:
			return invalidSearch("wildcards cannot be used with a fuzzy search")
		case i < 2:
			return invalidSearch(fmt.Sprintf("wildcard '%s' must start with at least two characters", f))
		}
	}
	return nil
}

// checkCombination insists on enough parameters to find a patient.
func (q *searchQuery) checkCombination() *searchError {
	family, given, born := q.family != "", len(q.given) > 0, len(q.birth) > 0
	postcodeAndGender := q.postcode != "" && q.gender != ""
	if q.fuzzy {
		if born && (family && given || (family || given) && postcodeAndGender) {
			return nil
		}
		return invalidSearch("Not enough search parameters were provided to be able to make a search: " +
			"a fuzzy search needs given name, family name and date of birth, or family or given name with date of birth, gender and postcode")
	}
	if family && born {
		return nil
	}
	return invalidSearch("Not enough search parameters were provided to be able to make a search: " +
		"a search needs at least family name and date of birth")
}

// match is a patient found, with their score.
type match struct {
	p     *patient
	score float64
}

// search finds the patients q matches on day today (YYYY-MM-DD), best first.
func (s *store) search(q searchQuery, today string) []match {
	var found []match
	for _, p := range s.sorted {
		if score := q.score(p, today); score > 0 && (!q.exact || score == scoreExact) {
			found = append(found, match{p, score})
		}
	}
	slices.SortStableFunc(found, func(a, b match) int { return cmp.Compare(b.score, a.score) })
	return found
}

// score is how well p matches q: 0 for no match, 1 for an exact one.
func (q *searchQuery) score(p *patient, today string) float64 {
	d := &p.pds
	if p.pds.restricted() && (q.postcode != "" || q.gp != "") {
		return 0 // PDS never finds a sensitive patient by where they live
	}
	if q.gender != "" && d.Gender != q.gender {
		return 0
	}
	for _, b := range q.birth {
		if !b.holds(day(d.BirthDate)) {
			return 0
		}
	}
	score := 1.0
	// Fuzzy searches score date of death and GP practice rather than filter by them.
	for _, b := range q.death {
		if d.DeceasedDateTime == "" || !b.holds(day(d.DeceasedDateTime)) {
			if !q.fuzzy {
				return 0
			}
			score *= scoreMismatch
		}
	}
	if q.gp != "" && !slices.ContainsFunc(d.GeneralPractitioner, func(g reference) bool {
		return strings.EqualFold(g.Identifier.Value, q.gp)
	}) {
		if !q.fuzzy {
			return 0
		}
		score *= scoreMismatch
	}
	history := q.history || q.fuzzy
	if q.family != "" || len(q.given) > 0 {
		current, previous := splitNames(d.Name, today)
		s := bestOf(current, q.nameScore)
		if history {
			s = max(s, scoreHistoric*bestOf(previous, q.nameScore))
		}
		score *= s
	}
	if q.postcode != "" {
		current, previous := splitAddresses(d.Address, today)
		s := bestOf(current, q.postcodeScore)
		if history {
			s = max(s, scoreHistoric*bestOf(previous, q.postcodeScore))
		}
		score *= s
	}
	for system, want := range map[string]string{"email": q.email, "phone": q.phone} {
		if want != "" && !slices.ContainsFunc(d.Telecom, func(c contactPoint) bool {
			return c.System == system && (history || inForce(c.Period, today)) &&
				(c.Value == want || system == "email" && strings.EqualFold(c.Value, want))
		}) {
			return 0
		}
	}
	return math.Round(score*1e4) / 1e4
}

func bestOf[T any](items []T, score func(T) float64) float64 {
	best := 0.0
	for _, it := range items {
		best = max(best, score(it))
	}
	return best
}

// nameScore is how well one of the patient's names matches the family and
// given names asked for.
func (q *searchQuery) nameScore(n humanName) float64 {
	score := q.textScore(q.family, n.Family)
	for _, g := range q.given {
		score *= bestOf(append(slices.Clip(n.Given), strings.Join(n.Given, " ")), func(given string) float64 {
			return q.textScore(g, given)
		})
	}
	if score == 0 && q.fuzzy && q.family != "" && len(q.given) > 0 {
		// Transposed: "Adam Thomas" for Thomas Adam.
		swapped := *q
		swapped.family, swapped.given = q.given[0], []string{q.family}
		swapped.fuzzy = false // one level of leniency, not two
		score = scoreTransposed * swapped.nameScore(n)
	}
	return score
}

// textScore is how well the name asked for matches one on record: 1 when it was
// not asked for.
func (q *searchQuery) textScore(asked, held string) float64 {
	switch {
	case asked == "":
		return scoreExact
	case strings.Contains(asked, "*"):
		if wildcardMatch(strings.ToLower(asked), strings.ToLower(held)) {
			return scoreWildcard
		}
		return 0
	case strings.EqualFold(asked, held):
		return scoreExact
	case !q.fuzzy:
		return 0
	}
	a, h := foldName(asked), foldName(held)
	switch {
	case a == "":
		return 0
	case a == h:
		return scoreFolded
	case soundex(a) == soundex(h):
		return scoreSoundex
	case len(a) >= minSlipLen && oneSlipApart(a, h):
		return scoreMisspelt
	}
	return 0
}

// minSlipLen is the shortest folded name a typing slip is allowed in: in
// shorter ones one letter is too much of the name ("Ann" is not "Ian").
const minSlipLen = 4

// oneSlipApart reports whether two folded names differ by one letter
// missed, added or changed, or two neighbours swapped.
func oneSlipApart(a, b string) bool {
	if len(a) > len(b) {
		a, b = b, a
	}
	if len(b)-len(a) > 1 {
		return false
	}
	i := 0
	for i < len(a) && a[i] == b[i] {
		i++
	}
	if i == len(a) {
		return len(a) != len(b) // one letter added at the end, or equal
	}
	if len(a) < len(b) {
		return a[i:] == b[i+1:] // one letter added
	}
	if a[i+1:] == b[i+1:] {
		return true // one letter changed
	}
	// Two neighbours swapped.
	return i+1 < len(a) && a[i] == b[i+1] && a[i+1] == b[i] && a[i+2:] == b[i+2:]
}

// postcodeScore matches a postcode, spaces and case aside, wildcards allowed.
func (q *searchQuery) postcodeScore(a address) float64 {
	norm := func(s string) string { return strings.ToUpper(strings.ReplaceAll(s, " ", "")) }
	asked, held := norm(q.postcode), norm(a.PostalCode)
	switch {
	case held == "":
		return 0
	case asked == held:
		return scoreExact
	case strings.Contains(asked, "*") && wildcardMatch(asked, held):
		return scoreWildcard
	}
	return 0
}

// splitNames parts a patient's names into those in force on today and the
// rest. As API.md asks of the viewer, a patient whose usual names have all
// lapsed keeps the latest of them as current rather than having none.
func splitNames(names []humanName, today string) (current, previous []humanName) {
	latest := -1
	for i, n := range names {
		if n.Use != "old" && inForce(n.Period, today) {
			current = append(current, n)
		} else {
			previous = append(previous, n)
		}
		if n.Use == "usual" && (latest < 0 || periodStart(n.Period) > periodStart(names[latest].Period)) {
			latest = i
		}
	}
	if latest >= 0 && !slices.ContainsFunc(current, func(n humanName) bool { return n.Use == "usual" }) {
		current = append(current, names[latest])
	}
	return current, previous
}

// splitAddresses parts addresses as splitNames parts names, the latest home
// address standing in when none is in force.
func splitAddresses(addrs []address, today string) (current, previous []address) {
	latest := -1
	for i, a := range addrs {
		if a.Use != "old" && inForce(a.Period, today) {
			current = append(current, a)
		} else {
			previous = append(previous, a)
		}
		if a.Use == "home" && (latest < 0 || periodStart(a.Period) > periodStart(addrs[latest].Period)) {
			latest = i
		}
	}
	if latest >= 0 && !slices.ContainsFunc(current, func(a address) bool { return a.Use == "home" }) {
		current = append(current, addrs[latest])
	}
	return current, previous
}

// inForce reports whether a period (nil: always) covers today.
func inForce(p *period, today string) bool {
	return p == nil || (p.Start == "" || day(p.Start) <= today) && (p.End == "" || today <= day(p.End))
}

func periodStart(p *period) string {
	if p == nil {
		return ""
	}
	return day(p.Start)
}

// day is the YYYY-MM-DD of a FHIR date or dateTime.
func day(s string) string {
	if len(s) > 10 {
		return s[:10]
	}
	return s
}

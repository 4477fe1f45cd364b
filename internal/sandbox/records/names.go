package records

import (
	"strings"
	"unicode/utf8"
)

// PDS matches names "not case sensitive" always, and a fuzzy search matches
// homophones by Soundex. For a fuzzy search the sandbox also matches names
// without their accents and punctuation, so "Sian" finds Siân and
// "O Suilleabhain" finds Ó Súilleabháin, as a pharmacist typing on an English
// keyboard needs it to.

// latinFold maps the accented Latin letters of names on the Personal
// Demographics Service (Welsh, Irish, Scottish Gaelic and the European
// languages) to the letters they are typed as without their accents.
var latinFold = func() map[rune]string {
	const pairs = "àa áa âa ãa äa åa æae çc èe ée êe ëe ìi íi îi ïi ðd ñn òo óo ôo õo öo øo ùu úu ûu üu ýy þth ÿy ßss " +
		"āa ăa ąa ćc ĉc ċc čc ďd đd ēe ĕe ėe ęe ěe ĝg ğg ġg ģg ĥh ħh ĩi īi ĭi įi ıi ĳij ĵj ķk ĺl ļl ľl ŀl łl " +
		"ńn ņn ňn ŋn ōo ŏo őo œoe ŕr ŗr řr śs ŝs şs šs ťt ŧt ũu ūu ŭu ůu űu ųu ŵw ŷy źz żz žz ẁw ẃw ẅw ỳy șs ţt țt"
	m := map[rune]string{}
	for _, p := range strings.Fields(pairs) {
		r, size := utf8.DecodeRuneInString(p)
		m[r] = p[size:]
	}
	return m
}()

// foldName is name lower-cased, its accents taken off and everything but
// letters and digits dropped: "Ó Súilleabháin" → "osuilleabhain".
func foldName(name string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(name) {
		switch {
		case 'a' <= r && r <= 'z', '0' <= r && r <= '9':
			b.WriteRune(r)
		case latinFold[r] != "":
			b.WriteString(latinFold[r])
		}
	}
	return b.String()
}

// soundex is the American Soundex code of a folded name (letters a–z only), or
// "" if it has no letter.
func soundex(folded string) string {
	const codes = "01230120022455012623010202" // a … z
	code := make([]byte, 0, 4)
	var last byte
	for i := range len(folded) {
		c := folded[i]
		if c < 'a' || c > 'z' {
			continue
		}
		d := codes[c-'a']
		switch {
		case len(code) == 0:
			code = append(code, c-'a'+'A')
		case d != '0' && d != last:
			code = append(code, d)
		}
		// h and w do not separate two letters of one code; vowels do.
		if c != 'h' && c != 'w' {
			last = d
		}
		if len(code) == 4 {
			break
		}
	}
	if len(code) == 0 {
		return ""
	}
	for len(code) < 4 {
		code = append(code, '0')
	}
	return string(code)
}

// wildcardMatch reports whether s matches pattern, in which each * stands for
// any run of characters (PDS wildcards). Both are compared as given.
func wildcardMatch(pattern, s string) bool {
	// Greedy with backtracking to the last *: linear for the patterns PDS allows.
	p, i := 0, 0
	star, mark := -1, 0
	for i < len(s) {
		switch {
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, i
			p++
		case p < len(pattern) && pattern[p] == s[i]:
			p++
			i++
		case star >= 0:
			p = star + 1
			mark++
			i = mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}

package rpm

import (
	"strconv"
	"strings"
)

// Vercmp compares two version (or release) strings as rpm's rpmvercmp
// does: alternating numeric and alphabetic segments, numbers compared by
// value and beating letters, '~' sorting before everything (even the end of
// the string) and '^' sorting after the end of the string but before
// anything else. It returns -1, 0 or 1.
func Vercmp(a, b string) int {
	if a == b {
		return 0
	}
	one, two := a, b
	for one != "" || two != "" {
		one = strings.TrimLeftFunc(one, isSeparator)
		two = strings.TrimLeftFunc(two, isSeparator)

		// '~' sorts before everything else.
		if first(one) == '~' || first(two) == '~' {
			if first(one) != '~' {
				return 1
			}
			if first(two) != '~' {
				return -1
			}
			one, two = one[1:], two[1:]
			continue
		}
		// '^' is like '~', except that the end of the other string (the
		// base version) sorts lower.
		if first(one) == '^' || first(two) == '^' {
			if one == "" {
				return -1
			}
			if two == "" {
				return 1
			}
			if first(one) != '^' {
				return 1
			}
			if first(two) != '^' {
				return -1
			}
			one, two = one[1:], two[1:]
			continue
		}
		if one == "" || two == "" {
			break
		}

		// The next segment: all digits or all letters, as the first
		// string's segment starts.
		isNum := isDigit(one[0])
		var seg1, seg2 string
		if isNum {
			seg1, one = span(one, isDigit)
			seg2, two = span(two, isDigit)
		} else {
			seg1, one = span(one, isAlpha)
			seg2, two = span(two, isAlpha)
		}
		// A numeric segment beats an alphabetic (here: empty) one.
		if seg2 == "" {
			if isNum {
				return 1
			}
			return -1
		}
		if isNum {
			seg1 = strings.TrimLeft(seg1, "0")
			seg2 = strings.TrimLeft(seg2, "0")
			if len(seg1) != len(seg2) {
				if len(seg1) > len(seg2) {
					return 1
				}
				return -1
			}
		}
		if c := strings.Compare(seg1, seg2); c != 0 {
			return c
		}
	}
	switch {
	case one == "" && two == "":
		return 0
	case one == "":
		return -1
	default:
		return 1
	}
}

// CompareEVR compares two epoch:version-release triples, epochs as numbers.
func CompareEVR(e1 uint64, v1, r1 string, e2 uint64, v2, r2 string) int {
	switch {
	case e1 < e2:
		return -1
	case e1 > e2:
		return 1
	}
	if c := Vercmp(v1, v2); c != 0 {
		return c
	}
	return Vercmp(r1, r2)
}

func first(s string) byte {
	if s == "" {
		return 0
	}
	return s[0]
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isAlpha(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// isSeparator reports the characters rpm skips between segments: anything
// but ASCII letters, digits, '~' and '^'.
func isSeparator(r rune) bool {
	return r >= 0x80 || !(isDigit(byte(r)) || isAlpha(byte(r)) || r == '~' || r == '^')
}

// span splits s after its longest prefix of bytes matching ok.
func span(s string, ok func(byte) bool) (string, string) {
	i := 0
	for i < len(s) && ok(s[i]) {
		i++
	}
	return s[:i], s[i:]
}

// CompareEVRStrings compares two "[epoch:]version[-release]" strings as rpm
// orders packages.
func CompareEVRStrings(a, b string) int {
	split := func(s string) (uint64, string, string) {
		var epoch uint64
		if e, rest, ok := strings.Cut(s, ":"); ok {
			epoch, _ = strconv.ParseUint(e, 10, 64)
			s = rest
		}
		v, r := s, ""
		if i := strings.LastIndexByte(s, '-'); i >= 0 {
			v, r = s[:i], s[i+1:]
		}
		return epoch, v, r
	}
	e1, v1, r1 := split(a)
	e2, v2, r2 := split(b)
	return CompareEVR(e1, v1, r1, e2, v2, r2)
}

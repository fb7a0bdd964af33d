package apt

import (
	"fmt"
	"strings"
)

// CompareVersions compares two Debian versions as dpkg does, returning -1, 0
// or +1. It accepts any strings; invalid versions compare by the same rules.
func CompareVersions(a, b string) int {
	ea, ua, ra := splitVersion(a)
	eb, ub, rb := splitVersion(b)
	if c := compareEpochs(ea, eb); c != 0 {
		return c
	}
	if c := compareFragments(ua, ub); c != 0 {
		return c
	}
	return compareFragments(ra, rb)
}

// splitVersion splits [epoch:]upstream[-revision] at the first colon and the
// last hyphen, as dpkg's parseversion does.
func splitVersion(v string) (epoch, upstream, revision string) {
	v = strings.TrimSpace(v)
	if i := strings.IndexByte(v, ':'); i >= 0 {
		epoch, v = v[:i], v[i+1:]
	}
	if i := strings.LastIndexByte(v, '-'); i >= 0 {
		v, revision = v[:i], v[i+1:]
	}
	return epoch, v, revision
}

// compareEpochs compares two strings of digits as numbers of any length.
func compareEpochs(a, b string) int {
	a, b = strings.TrimLeft(a, "0"), strings.TrimLeft(b, "0")
	if len(a) != len(b) {
		return sign(len(a) - len(b))
	}
	return strings.Compare(a, b)
}

// order is dpkg's character weight: '~' before the end of a part, which
// sorts before letters, which sort before everything else.
func order(c byte) int {
	switch {
	case isDigit(c):
		return 0
	case isAlpha(c):
		return int(c)
	case c == '~':
		return -1
	case c != 0:
		return int(c) + 256
	}
	return 0
}

// compareFragments is dpkg's verrevcmp: alternating non-digit parts compared
// by order and digit parts compared numerically.
func compareFragments(a, b string) int {
	at := func(s string, i int) byte {
		if i < len(s) {
			return s[i]
		}
		return 0
	}
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		firstDiff := 0
		for (i < len(a) && !isDigit(a[i])) || (j < len(b) && !isDigit(b[j])) {
			ac, bc := order(at(a, i)), order(at(b, j))
			if ac != bc {
				return sign(ac - bc)
			}
			i++
			j++
		}
		for i < len(a) && a[i] == '0' {
			i++
		}
		for j < len(b) && b[j] == '0' {
			j++
		}
		for i < len(a) && j < len(b) && isDigit(a[i]) && isDigit(b[j]) {
			if firstDiff == 0 {
				firstDiff = int(a[i]) - int(b[j])
			}
			i++
			j++
		}
		if i < len(a) && isDigit(a[i]) {
			return 1
		}
		if j < len(b) && isDigit(b[j]) {
			return -1
		}
		if firstDiff != 0 {
			return sign(firstDiff)
		}
	}
	return 0
}

// checkVersion reports why v is not a Debian version as policy §5.6.12
// defines it: [epoch:]upstream_version[-debian_revision].
func checkVersion(v string) error {
	if v == "" {
		return fmt.Errorf("empty version")
	}
	epoch, rest, hasEpoch := strings.Cut(v, ":")
	if !hasEpoch {
		epoch, rest = "", v
	} else {
		if epoch == "" || len(epoch) > 9 || strings.Trim(epoch, "0123456789") != "" {
			return fmt.Errorf("version %q: epoch must be a number", v)
		}
	}
	upstream, revision := rest, ""
	if i := strings.LastIndexByte(rest, '-'); i >= 0 {
		upstream, revision = rest[:i], rest[i+1:]
		if revision == "" {
			return fmt.Errorf("version %q: empty revision after '-'", v)
		}
	}
	if upstream == "" || !isDigit(upstream[0]) {
		return fmt.Errorf("version %q: upstream version must start with a digit", v)
	}
	for i := 0; i < len(upstream); i++ {
		if c := upstream[i]; !isAlnum(c) && !strings.ContainsRune(".+~-", rune(c)) {
			return fmt.Errorf("version %q: character %q is not allowed in the upstream version", v, c)
		}
	}
	for i := 0; i < len(revision); i++ {
		if c := revision[i]; !isAlnum(c) && !strings.ContainsRune(".+~", rune(c)) {
			return fmt.Errorf("version %q: character %q is not allowed in the revision", v, c)
		}
	}
	return nil
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }
func isAlpha(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }
func isAlnum(c byte) bool { return isDigit(c) || isAlpha(c) }

func sign(n int) int {
	switch {
	case n < 0:
		return -1
	case n > 0:
		return 1
	}
	return 0
}

package pypi

import (
	"fmt"
	"regexp"
	"strings"
)

// Version is a PEP 440 version. Numbers are kept as decimal strings without
// leading zeros, so that no version overflows.
type Version struct {
	Epoch   string
	Release []string
	PreKind string // "a", "b", "rc" or "" for none
	Pre     string
	Post    string // "" for none
	Dev     string // "" for none
	Local   []string
	hasPost bool
	hasDev  bool
}

// versionPattern is PEP 440's VERSION_PATTERN (Appendix B).
var versionPattern = regexp.MustCompile(`(?i)^\s*v?` +
	`(?:(?P<epoch>[0-9]+)!)?` +
	`(?P<release>[0-9]+(?:\.[0-9]+)*)` +
	`(?P<pre>[-_\.]?(?P<pre_l>alpha|a|beta|b|preview|pre|c|rc)[-_\.]?(?P<pre_n>[0-9]+)?)?` +
	`(?P<post>(?:-(?P<post_n1>[0-9]+))|(?:[-_\.]?(?P<post_l>post|rev|r)[-_\.]?(?P<post_n2>[0-9]+)?))?` +
	`(?P<dev>[-_\.]?(?P<dev_l>dev)[-_\.]?(?P<dev_n>[0-9]+)?)?` +
	`(?:\+(?P<local>[a-z0-9]+(?:[-_\.][a-z0-9]+)*))?` +
	`\s*$`)

// ParseVersion parses a PEP 440 version.
func ParseVersion(s string) (Version, error) {
	if len(s) > 256 {
		return Version{}, fmt.Errorf("version of %d characters is too long", len(s))
	}
	m := versionPattern.FindStringSubmatch(s)
	if m == nil {
		return Version{}, fmt.Errorf("%q is not a PEP 440 version", s)
	}
	g := func(name string) string { return m[versionPattern.SubexpIndex(name)] }
	v := Version{Epoch: number(g("epoch"))}
	for _, part := range strings.Split(g("release"), ".") {
		v.Release = append(v.Release, number(part))
	}
	if g("pre") != "" {
		switch strings.ToLower(g("pre_l")) {
		case "a", "alpha":
			v.PreKind = "a"
		case "b", "beta":
			v.PreKind = "b"
		default: // c, rc, pre, preview
			v.PreKind = "rc"
		}
		v.Pre = number(g("pre_n"))
	}
	if g("post") != "" {
		v.hasPost = true
		v.Post = number(g("post_n1") + g("post_n2"))
	}
	if g("dev") != "" {
		v.hasDev = true
		v.Dev = number(g("dev_n"))
	}
	if local := g("local"); local != "" {
		for _, seg := range strings.FieldsFunc(strings.ToLower(local), func(r rune) bool { return r == '.' || r == '-' || r == '_' }) {
			if isDigits(seg) {
				seg = number(seg)
			}
			v.Local = append(v.Local, seg)
		}
	}
	return v, nil
}

// number strips leading zeros from a run of digits ("" reads as "0").
func number(s string) string {
	s = strings.TrimLeft(s, "0")
	if s == "" {
		return "0"
	}
	return s
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// String returns the normalized form of the version (as packaging prints it).
func (v Version) String() string {
	var b strings.Builder
	if v.Epoch != "0" {
		b.WriteString(v.Epoch + "!")
	}
	b.WriteString(strings.Join(v.Release, "."))
	if v.PreKind != "" {
		b.WriteString(v.PreKind + v.Pre)
	}
	if v.hasPost {
		b.WriteString(".post" + v.Post)
	}
	if v.hasDev {
		b.WriteString(".dev" + v.Dev)
	}
	if len(v.Local) > 0 {
		b.WriteString("+" + strings.Join(v.Local, "."))
	}
	return b.String()
}

// IsPrerelease reports whether the version is a pre- or development release.
func (v Version) IsPrerelease() bool { return v.PreKind != "" || v.hasDev }

// Compare orders versions as PEP 440 does: -1, 0 or +1. Versions that differ
// only in trailing zeros of the release ("1.0" and "1.0.0") are equal.
func (v Version) Compare(w Version) int {
	if c := cmpNum(v.Epoch, w.Epoch); c != 0 {
		return c
	}
	a, b := trimZeros(v.Release), trimZeros(w.Release)
	for i := 0; i < len(a) && i < len(b); i++ {
		if c := cmpNum(a[i], b[i]); c != 0 {
			return c
		}
	}
	if c := cmpInt(len(a), len(b)); c != 0 {
		return c
	}
	if c := cmpInt(v.preRank(), w.preRank()); c != 0 {
		return c
	}
	if v.PreKind != "" {
		if c := cmpNum(v.Pre, w.Pre); c != 0 {
			return c
		}
	}
	if c := cmpOptional(v.hasPost, v.Post, w.hasPost, w.Post, -1); c != 0 {
		return c
	}
	if c := cmpOptional(v.hasDev, v.Dev, w.hasDev, w.Dev, +1); c != 0 {
		return c
	}
	return cmpLocal(v.Local, w.Local)
}

// preRank places a version's pre-release part: a development release of a
// final version sorts before every pre-release of it, a final after all.
func (v Version) preRank() int {
	switch {
	case v.PreKind == "" && !v.hasPost && v.hasDev:
		return 0
	case v.PreKind == "a":
		return 1
	case v.PreKind == "b":
		return 2
	case v.PreKind == "rc":
		return 3
	}
	return 4
}

// cmpOptional compares optional numbers; a missing one sorts at missing
// (-1: before every number, +1: after).
func cmpOptional(hasA bool, a string, hasB bool, b string, missing int) int {
	switch {
	case !hasA && !hasB:
		return 0
	case !hasA:
		return missing
	case !hasB:
		return -missing
	}
	return cmpNum(a, b)
}

// cmpLocal compares local version labels: no label sorts first; numeric
// segments sort after alphanumeric ones; a longer label after its prefix.
func cmpLocal(a, b []string) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		an, bn := isDigits(a[i]), isDigits(b[i])
		switch {
		case an && bn:
			if c := cmpNum(a[i], b[i]); c != 0 {
				return c
			}
		case an:
			return 1
		case bn:
			return -1
		default:
			if c := strings.Compare(a[i], b[i]); c != 0 {
				return c
			}
		}
	}
	return cmpInt(len(a), len(b))
}

func trimZeros(r []string) []string {
	for len(r) > 0 && r[len(r)-1] == "0" {
		r = r[:len(r)-1]
	}
	return r
}

// cmpNum compares decimal strings without leading zeros.
func cmpNum(a, b string) int {
	if c := cmpInt(len(a), len(b)); c != 0 {
		return c
	}
	return strings.Compare(a, b)
}

func cmpInt(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

var specifierClause = regexp.MustCompile(`^\s*(~=|===|==|!=|<=|>=|<|>)\s*([^\s,;]+)\s*$`)

// checkSpecifiers checks a PEP 440 version specifier set such as
// ">=3.7, !=3.8.*" (Requires-Python).
func checkSpecifiers(s string) error {
	if len(s) > 1024 {
		return fmt.Errorf("specifier of %d characters is too long", len(s))
	}
	for _, clause := range strings.Split(s, ",") {
		if strings.TrimSpace(clause) == "" {
			continue // packaging ignores empty clauses
		}
		m := specifierClause.FindStringSubmatch(clause)
		if m == nil {
			return fmt.Errorf("%q is not a version specifier (such as >=3.8)", strings.TrimSpace(clause))
		}
		op, ver := m[1], m[2]
		if op == "===" {
			continue
		}
		if op == "==" || op == "!=" {
			ver = strings.TrimSuffix(ver, ".*")
		}
		if _, err := ParseVersion(ver); err != nil {
			return fmt.Errorf("specifier %q: %w", strings.TrimSpace(clause), err)
		}
	}
	return nil
}

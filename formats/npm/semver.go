package npm

import (
	"cmp"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Limits of node-semver, which every npm client uses: longer versions and
// larger numbers are refused or compared as floating point.
const (
	maxVersionLength = 256
	maxSafeInteger   = 1<<53 - 1
)

// semver is a parsed Semantic Versioning 2.0.0 version.
type semver struct {
	major, minor, patch uint64
	pre                 []string // dot-separated pre-release identifiers
	build               string
}

// parseSemver parses a strict SemVer 2.0.0 version: no leading "v" or "=",
// no leading zeros in numbers, no surrounding spaces.
func parseSemver(v string) (semver, error) {
	s, err := parseSemverParts(v)
	if err != nil {
		return semver{}, fmt.Errorf("version %q is not SemVer 2.0.0 (MAJOR.MINOR.PATCH, then -pre-release and +build): %w", v, err)
	}
	return s, nil
}

func parseSemverParts(v string) (semver, error) {
	if v == "" {
		return semver{}, errors.New("empty version")
	}
	if len(v) > maxVersionLength {
		return semver{}, fmt.Errorf("longer than %d characters", maxVersionLength)
	}
	rest, build, hasBuild := strings.Cut(v, "+")
	core, pre, hasPre := strings.Cut(rest, "-")
	var s semver
	nums := strings.Split(core, ".")
	if len(nums) != 3 {
		return semver{}, errors.New("want three numbers")
	}
	for i, p := range []*uint64{&s.major, &s.minor, &s.patch} {
		n, err := numericID(nums[i])
		if err != nil {
			return semver{}, err
		}
		*p = n
	}
	if hasPre {
		s.pre = strings.Split(pre, ".")
		for _, id := range s.pre {
			if err := checkIdentifier(id); err != nil {
				return semver{}, fmt.Errorf("pre-release: %w", err)
			}
			if allDigits(id) {
				if _, err := numericID(id); err != nil {
					return semver{}, fmt.Errorf("pre-release: %w", err)
				}
			}
		}
	}
	if hasBuild {
		for _, id := range strings.Split(build, ".") {
			if err := checkIdentifier(id); err != nil {
				return semver{}, fmt.Errorf("build metadata: %w", err)
			}
		}
		s.build = build
	}
	return s, nil
}

// numericID parses a numeric identifier: digits, no leading zero, at most
// JavaScript's largest safe integer.
func numericID(s string) (uint64, error) {
	if s == "" || !allDigits(s) {
		return 0, fmt.Errorf("%q is not a number", s)
	}
	if len(s) > 1 && s[0] == '0' {
		return 0, fmt.Errorf("%q has a leading zero", s)
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil || n > maxSafeInteger {
		return 0, fmt.Errorf("%q is larger than %d", s, uint64(maxSafeInteger))
	}
	return n, nil
}

func checkIdentifier(id string) error {
	if id == "" {
		return errors.New("empty identifier")
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '-') {
			return fmt.Errorf("identifier %q has characters other than [0-9A-Za-z-]", id)
		}
	}
	return nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// prerelease reports whether v has pre-release identifiers.
func (v semver) prerelease() bool { return len(v.pre) > 0 }

// compare orders versions by SemVer precedence; build metadata is ignored,
// so versions differing only in it compare equal.
func (v semver) compare(w semver) int {
	if c := cmp.Compare(v.major, w.major); c != 0 {
		return c
	}
	if c := cmp.Compare(v.minor, w.minor); c != 0 {
		return c
	}
	if c := cmp.Compare(v.patch, w.patch); c != 0 {
		return c
	}
	switch {
	case len(v.pre) == 0 && len(w.pre) == 0:
		return 0
	case len(v.pre) == 0:
		return 1 // a release ranks above its pre-releases
	case len(w.pre) == 0:
		return -1
	}
	for i := 0; i < len(v.pre) && i < len(w.pre); i++ {
		if c := compareIdentifiers(v.pre[i], w.pre[i]); c != 0 {
			return c
		}
	}
	return cmp.Compare(len(v.pre), len(w.pre))
}

func compareIdentifiers(a, b string) int {
	an, bn := allDigits(a), allDigits(b)
	switch {
	case an && bn:
		x, _ := strconv.ParseUint(a, 10, 64)
		y, _ := strconv.ParseUint(b, 10, 64)
		return cmp.Compare(x, y)
	case an:
		return -1 // numeric identifiers rank below alphanumeric ones
	case bn:
		return 1
	}
	return strings.Compare(a, b)
}

// CompareVersions orders two npm versions by SemVer precedence; versions
// that do not parse fall back to byte order, after every valid one.
func CompareVersions(a, b string) int {
	va, errA := parseSemver(a)
	vb, errB := parseSemver(b)
	switch {
	case errA == nil && errB == nil:
		return va.compare(vb)
	case errA == nil:
		return -1
	case errB == nil:
		return 1
	}
	return strings.Compare(a, b)
}

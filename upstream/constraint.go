package upstream

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/stockpile/stockpile/formats/apt"
	"github.com/stockpile/stockpile/formats/npm"
	"github.com/stockpile/stockpile/formats/pypi"
	"github.com/stockpile/stockpile/formats/yum/rpm"
)

// Constraint reports whether a version is allowed. Versions are compared
// with each format's own ordering (dpkg, rpmvercmp, SemVer, PEP 440).
type Constraint interface {
	Match(version string) bool
	// Prereleases reports whether the constraint names a pre-release, which
	// lets pre-releases match (npm and PEP 440 exclude them otherwise).
	Prereleases() bool
}

// ParseConstraint parses a version constraint in the syntax of format:
//
//	npm   node-semver ranges: 1.2.3, =1.2.3, >=1.2 <2, ^1.2, ~1.2.3, 1.x, 1.2.*, *, 1 - 2, a || b
//	pypi  PEP 440 specifiers: >=1.0, <2, ==1.4.*, ~=1.4.2, !=1.5, ===foo
//	apt   Debian relations, comma-separated: >= 1.2-1, << 2, = 1.2-1
//	yum   rpm relations, comma-separated: >= 1.2, < 2, = 1:1.2-3
//
// An empty constraint (or "*") matches every release.
func ParseConstraint(format, s string) (Constraint, error) {
	switch format {
	case "npm":
		return parseNPMRange(s)
	case "pypi":
		return parsePEP440(s)
	case "apt":
		return parseRelations(s, aptOps, apt.CompareVersions, false)
	case "yum":
		return parseRelations(s, rpmOps, rpm.CompareEVRStrings, true)
	}
	return nil, fmt.Errorf("no version constraints for the %s format", format)
}

// ---- Debian and rpm relations ----

type relation struct {
	op, version string
}

type relations struct {
	rels    []relation
	compare func(a, b string) int
	rpm     bool
}

var (
	aptOps = []string{">=", "<=", ">>", "<<", "="}
	rpmOps = []string{">=", "<=", "==", ">", "<", "="}
)

func parseRelations(s string, ops []string, compare func(a, b string) int, isRPM bool) (Constraint, error) {
	c := &relations{compare: compare, rpm: isRPM}
	if t := strings.TrimSpace(s); t == "" || t == "*" {
		return c, nil
	}
	for _, clause := range strings.Split(s, ",") {
		clause = strings.TrimSpace(clause)
		op := ""
		for _, o := range ops {
			if strings.HasPrefix(clause, o) {
				op = o
				break
			}
		}
		v := strings.TrimSpace(strings.TrimPrefix(clause, op))
		if op == "" || v == "" || strings.ContainsAny(v, " \t") {
			return nil, fmt.Errorf("%q is not a relation such as %s 1.2 (operators: %s)", clause, ops[0], strings.Join(ops, " "))
		}
		c.rels = append(c.rels, relation{op, v})
	}
	return c, nil
}

func (c *relations) Prereleases() bool { return true }

func (c *relations) Match(v string) bool {
	for _, r := range c.rels {
		have := v
		if c.rpm && !strings.Contains(r.version, "-") {
			// rpm compares releases only when both sides have one.
			have = stripRelease(v)
		}
		cmp := c.compare(have, r.version)
		ok := false
		switch r.op {
		case ">=":
			ok = cmp >= 0
		case "<=":
			ok = cmp <= 0
		case ">>", ">":
			ok = cmp > 0
		case "<<", "<":
			ok = cmp < 0
		case "=", "==":
			ok = cmp == 0
		}
		if !ok {
			return false
		}
	}
	return true
}

func stripRelease(evr string) string {
	if i := strings.LastIndexByte(evr, '-'); i >= 0 {
		return evr[:i]
	}
	return evr
}

// ---- PEP 440 ----

type specifier struct {
	op      string
	version pypi.Version
	raw     string
	prefix  bool // ==X.* or !=X.*
}

type specifiers struct {
	specs []specifier
	pre   bool
}

var pep440Clause = regexp.MustCompile(`^\s*(~=|===|==|!=|<=|>=|<|>)\s*([^\s,;]+)\s*$`)

func parsePEP440(s string) (Constraint, error) {
	c := &specifiers{}
	if t := strings.TrimSpace(s); t == "" || t == "*" {
		return c, nil
	}
	for _, clause := range strings.Split(s, ",") {
		m := pep440Clause.FindStringSubmatch(clause)
		if m == nil {
			return nil, fmt.Errorf("%q is not a PEP 440 specifier such as >=1.0", strings.TrimSpace(clause))
		}
		sp := specifier{op: m[1], raw: m[2]}
		if sp.op == "===" {
			c.specs = append(c.specs, sp)
			continue
		}
		ver := m[2]
		if (sp.op == "==" || sp.op == "!=") && strings.HasSuffix(ver, ".*") {
			sp.prefix, ver = true, strings.TrimSuffix(ver, ".*")
		}
		v, err := pypi.ParseVersion(ver)
		if err != nil {
			return nil, fmt.Errorf("specifier %q: %w", strings.TrimSpace(clause), err)
		}
		if sp.op == "~=" && len(v.Release) < 2 {
			return nil, fmt.Errorf("specifier %q: ~= needs at least two release numbers", strings.TrimSpace(clause))
		}
		sp.version = v
		c.pre = c.pre || v.IsPrerelease()
		c.specs = append(c.specs, sp)
	}
	return c, nil
}

func (c *specifiers) Prereleases() bool { return c.pre }

func (c *specifiers) Match(s string) bool {
	v, err := pypi.ParseVersion(s)
	if err != nil {
		return false
	}
	for _, sp := range c.specs {
		if !sp.match(v, s) {
			return false
		}
	}
	return true
}

func (sp specifier) match(v pypi.Version, raw string) bool {
	// Without a local label in the specifier, the candidate's is ignored.
	public := v
	if len(sp.version.Local) == 0 {
		public.Local = nil
	}
	switch sp.op {
	case "===":
		return strings.EqualFold(raw, sp.raw)
	case "==":
		if sp.prefix {
			return releasePrefix(v, sp.version)
		}
		return public.Compare(sp.version) == 0
	case "!=":
		if sp.prefix {
			return !releasePrefix(v, sp.version)
		}
		return public.Compare(sp.version) != 0
	case "~=":
		prefix := sp.version
		prefix.Release = prefix.Release[:len(prefix.Release)-1]
		return public.Compare(sp.version) >= 0 && sameRelease(v, prefix)
	case "<=":
		return public.Compare(sp.version) <= 0
	case ">=":
		return public.Compare(sp.version) >= 0
	case "<":
		return public.Compare(sp.version) < 0
	case ">":
		return public.Compare(sp.version) > 0
	}
	return false
}

// releasePrefix implements ==X.Y.*: the same epoch, and a release that
// starts with X.Y (padded with zeros), pre- and post-releases included.
func releasePrefix(v, prefix pypi.Version) bool {
	if prefix.PreKind != "" || prefix.Post != "" || prefix.Dev != "" {
		// ==1.0rc1.* is unusual; compare the whole public version.
		return v.Compare(prefix) == 0
	}
	return sameRelease(v, prefix)
}

func sameRelease(v, prefix pypi.Version) bool {
	if v.Epoch != prefix.Epoch {
		return false
	}
	for i, n := range prefix.Release {
		have := "0"
		if i < len(v.Release) {
			have = v.Release[i]
		}
		if have != n {
			return false
		}
	}
	return true
}

// ---- npm (node-semver ranges) ----

type comparator struct {
	op      string // "<", "<=", ">", ">=", "="
	version string // full SemVer
}

type npmRange struct {
	sets [][]comparator // OR of ANDs
	pre  bool
}

func parseNPMRange(s string) (Constraint, error) {
	r := &npmRange{}
	for _, part := range strings.Split(s, "||") {
		set, err := parseComparatorSet(strings.TrimSpace(part))
		if err != nil {
			return nil, fmt.Errorf("range %q: %w", strings.TrimSpace(s), err)
		}
		for _, c := range set {
			r.pre = r.pre || strings.Contains(c.version, "-") && !strings.HasSuffix(c.version, "-0")
		}
		r.sets = append(r.sets, set)
	}
	return r, nil
}

func (r *npmRange) Prereleases() bool { return r.pre }

func (r *npmRange) Match(v string) bool {
	if !validSemver(v) {
		return false
	}
	for _, set := range r.sets {
		if matchSet(set, v) {
			return true
		}
	}
	return false
}

func matchSet(set []comparator, v string) bool {
	for _, c := range set {
		cmp := npm.CompareVersions(v, c.version)
		ok := false
		switch c.op {
		case "<":
			ok = cmp < 0
		case "<=":
			ok = cmp <= 0
		case ">":
			ok = cmp > 0
		case ">=":
			ok = cmp >= 0
		case "=":
			ok = cmp == 0
		}
		if !ok {
			return false
		}
	}
	if core, pre, _ := strings.Cut(stripBuild(v), "-"); pre != "" {
		// node-semver: a pre-release matches only a comparator that names a
		// pre-release of the same major.minor.patch.
		for _, c := range set {
			ccore, cpre, _ := strings.Cut(c.version, "-")
			if cpre != "" && ccore == core && c.version != ccore+"-0" {
				return true
			}
		}
		return false
	}
	return true
}

func stripBuild(v string) string {
	v, _, _ = strings.Cut(v, "+")
	return v
}

var semverPattern = regexp.MustCompile(`^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$`)

func validSemver(v string) bool { return semverPattern.MatchString(v) }

// partial is a version with some numbers left out or written as x.
type partial struct {
	nums [3]uint64
	n    int    // how many numbers are given (0–3)
	pre  string // pre-release, only when n == 3
}

var partialPattern = regexp.MustCompile(`^v?(\d+|[xX*])(?:\.(\d+|[xX*]))?(?:\.(\d+|[xX*]))?(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$`)

func parsePartial(s string) (partial, error) {
	if s == "" {
		return partial{}, nil
	}
	m := partialPattern.FindStringSubmatch(s)
	if m == nil {
		return partial{}, fmt.Errorf("%q is not a version", s)
	}
	var p partial
	for i := 1; i <= 3; i++ {
		if m[i] == "" || m[i] == "x" || m[i] == "X" || m[i] == "*" {
			break
		}
		n, err := strconv.ParseUint(m[i], 10, 64)
		if err != nil {
			return partial{}, fmt.Errorf("%q: %w", s, err)
		}
		p.nums[i-1], p.n = n, i
	}
	if p.n == 3 {
		p.pre = m[4]
	}
	return p, nil
}

func (p partial) String() string {
	v := fmt.Sprintf("%d.%d.%d", p.nums[0], p.nums[1], p.nums[2])
	if p.pre != "" {
		v += "-" + p.pre
	}
	return v
}

// bump returns the lowest version above every version p stands for at
// position i (0 major, 1 minor, 2 patch), as "X.Y.Z-0".
func (p partial) bump(i int) string {
	q := partial{n: 3}
	copy(q.nums[:i], p.nums[:i])
	q.nums[i] = p.nums[i] + 1
	return q.String() + "-0"
}

var comparatorPattern = regexp.MustCompile(`^(<=|>=|<|>|=|\^|~>?)?\s*(\S*)$`)

func parseComparatorSet(s string) ([]comparator, error) {
	if s == "" || s == "*" || s == "x" || s == "X" {
		return []comparator{{">=", "0.0.0"}}, nil
	}
	if a, b, ok := strings.Cut(s, " - "); ok {
		lo, err := parsePartial(strings.TrimSpace(a))
		if err != nil {
			return nil, err
		}
		hi, err := parsePartial(strings.TrimSpace(b))
		if err != nil {
			return nil, err
		}
		set := []comparator{{">=", lo.String()}}
		switch {
		case hi.n == 3:
			set = append(set, comparator{"<=", hi.String()})
		case hi.n > 0:
			set = append(set, comparator{"<", hi.bump(hi.n - 1)})
		}
		return set, nil
	}
	// Operators may be separated from their version by spaces: ">= 1.2".
	fields := strings.Fields(s)
	var tokens []string
	for i := 0; i < len(fields); i++ {
		f := fields[i]
		if strings.Trim(f, "<>=^~") == "" && i+1 < len(fields) {
			f += fields[i+1]
			i++
		}
		tokens = append(tokens, f)
	}
	var set []comparator
	for _, t := range tokens {
		m := comparatorPattern.FindStringSubmatch(t)
		if m == nil {
			return nil, fmt.Errorf("%q is not a comparator", t)
		}
		p, err := parsePartial(m[2])
		if err != nil {
			return nil, err
		}
		cs, err := desugar(m[1], p)
		if err != nil {
			return nil, err
		}
		set = append(set, cs...)
	}
	return set, nil
}

// desugar turns one comparator with a partial version into plain ones, as
// node-semver does.
func desugar(op string, p partial) ([]comparator, error) {
	every := []comparator{{">=", "0.0.0"}}
	switch op {
	case "", "=":
		if p.n == 0 {
			return every, nil
		}
		if p.n == 3 {
			return []comparator{{"=", p.String()}}, nil
		}
		return []comparator{{">=", p.String()}, {"<", p.bump(p.n - 1)}}, nil
	case "~", "~>":
		if p.n == 0 {
			return every, nil
		}
		i := 1
		if p.n == 1 {
			i = 0
		}
		return []comparator{{">=", p.String()}, {"<", p.bump(i)}}, nil
	case "^":
		if p.n == 0 {
			return every, nil
		}
		// The upper bound bumps the first non-zero number that is given.
		i := 0
		switch {
		case p.nums[0] != 0 || p.n == 1:
			i = 0
		case p.nums[1] != 0 || p.n == 2:
			i = 1
		default:
			i = 2
		}
		return []comparator{{">=", p.String()}, {"<", p.bump(i)}}, nil
	case ">":
		if p.n == 0 {
			return []comparator{{"<", "0.0.0-0"}}, nil // matches nothing
		}
		if p.n == 3 {
			return []comparator{{">", p.String()}}, nil
		}
		return []comparator{{">=", p.bump(p.n - 1)}}, nil
	case ">=":
		return []comparator{{">=", p.String()}}, nil
	case "<":
		if p.n == 0 {
			return []comparator{{"<", "0.0.0-0"}}, nil
		}
		if p.n == 3 {
			return []comparator{{"<", p.String()}}, nil
		}
		return []comparator{{"<", p.String() + "-0"}}, nil
	case "<=":
		if p.n == 0 {
			return every, nil
		}
		if p.n == 3 {
			return []comparator{{"<=", p.String()}}, nil
		}
		return []comparator{{"<", p.bump(p.n - 1)}}, nil
	}
	return nil, fmt.Errorf("unknown operator %q", op)
}

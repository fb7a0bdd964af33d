package yum

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/stockpile/stockpile/formats/yum/rpm"
)

// maxFileListBytes bounds the total length of the paths a package lists,
// so that a small header whose many base names share one huge directory
// name cannot expand without limit.
const maxFileListBytes = 64 << 20

// ReadPackage reads the headers of the .rpm in r (size bytes) into the
// fields repository metadata lists, following createrepo_c's rules.
func ReadPackage(r io.ReaderAt, size int64) (*Package, error) {
	f, err := rpm.Read(r, size)
	if err != nil {
		return nil, err
	}
	h := f.Header
	rd := reader{h: h}
	p := &Package{
		Name:        rd.raw(rpm.TagName), // checked below: printable ASCII
		Version:     rd.raw(rpm.TagVersion),
		Release:     rd.raw(rpm.TagRelease),
		Arch:        rd.raw(rpm.TagArch),
		Summary:     rd.str(rpm.TagSummary),
		Description: rd.str(rpm.TagDescription),
		Packager:    rd.str(rpm.TagPackager),
		URL:         rd.str(rpm.TagURL),
		License:     rd.str(rpm.TagLicense),
		Vendor:      rd.str(rpm.TagVendor),
		Group:       rd.str(rpm.TagGroup),
		BuildHost:   rd.str(rpm.TagBuildHost),
		SourceRPM:   rd.str(rpm.TagSourceRPM),
		BuildTime:   rd.num(rpm.TagBuildTime),
		Epoch:       rd.num(rpm.TagEpoch),
		PackageSize: size,
		HeaderStart: f.HeaderStart,
		HeaderEnd:   f.HeaderEnd,
	}
	if rd.err != nil {
		return nil, rd.err
	}
	if err := checkNEVRA(p); err != nil {
		return nil, err
	}
	if isSource(h) {
		p.Arch = "src"
	}

	p.InstalledSize, err = firstNumber(h, rpm.TagLongSize, rpm.TagSize)
	if err != nil {
		return nil, err
	}
	if p.ArchiveSize, err = archiveSize(f); err != nil {
		return nil, err
	}

	own, err := readFiles(h, p)
	if err != nil {
		return nil, err
	}
	if err := readDeps(h, p, own); err != nil {
		return nil, err
	}
	if err := readChangelog(h, p); err != nil {
		return nil, err
	}

	sigs, err := f.Signatures()
	if err != nil {
		return nil, err
	}
	for _, s := range sigs {
		covers := "header"
		if s.Tag == rpm.SigPGP || s.Tag == rpm.SigGPG {
			covers = "header+payload"
		}
		p.Signatures = append(p.Signatures, Signature{Covers: covers, Algorithm: s.Algorithm, KeyID: s.KeyID, Fingerprint: s.Fingerprint})
	}
	return p, nil
}

// reader reads tags, keeping the first error.
type reader struct {
	h   *rpm.Header
	err error
}

func (r *reader) raw(tag rpm.Tag) string {
	s, err := r.h.String(tag)
	if err != nil && r.err == nil {
		r.err = err
	}
	return s
}

func (r *reader) str(tag rpm.Tag) string { return xmlText(r.raw(tag)) }

func (r *reader) num(tag rpm.Tag) uint64 {
	v, _, err := r.h.Uint(tag)
	if err != nil && r.err == nil {
		r.err = err
	}
	return v
}

// firstNumber returns the first value of the first of tags the header has.
func firstNumber(h *rpm.Header, tags ...rpm.Tag) (uint64, error) {
	for _, t := range tags {
		if v, ok, err := h.Uint(t); err != nil || ok {
			return v, err
		}
	}
	return 0, nil
}

// archiveSize returns the payload's uncompressed size. rpm merges the
// signature header's sizes into the main header unless that has its own,
// and the 64-bit size wins over the 32-bit one.
func archiveSize(f *rpm.File) (uint64, error) {
	switch {
	case f.Header.Has(rpm.TagLongArchiveSize):
		return firstNumber(f.Header, rpm.TagLongArchiveSize)
	case f.Signature.Has(rpm.SigLongArchiveSize):
		return firstNumber(f.Signature, rpm.SigLongArchiveSize)
	case f.Header.Has(rpm.TagArchiveSize):
		return firstNumber(f.Header, rpm.TagArchiveSize)
	}
	return firstNumber(f.Signature, rpm.SigPayloadSize)
}

// isSource reports a source package as rpm does: marked as one, or built
// from no source package.
func isSource(h *rpm.Header) bool {
	if v, ok, _ := h.Uint(rpm.TagSourcePackage); ok && v != 0 {
		return true
	}
	return !h.Has(rpm.TagSourceRPM)
}

// checkNEVRA refuses packages whose identity is missing or could not be
// written unambiguously: empty fields, white space, control characters, a
// '/' anywhere, or a '-' in the version or release.
func checkNEVRA(p *Package) error {
	for _, f := range []struct{ name, value, extra string }{
		{"name", p.Name, "/"},
		{"version", p.Version, "/-:"},
		{"release", p.Release, "/-:"},
		{"arch", p.Arch, "/-:"},
	} {
		if f.value == "" {
			return fmt.Errorf("rpm header has no %s", f.name)
		}
		if len(f.value) > 1024 || strings.ContainsAny(f.value, f.extra) || strings.ContainsFunc(f.value, func(r rune) bool { return r <= ' ' || r >= 0x7f }) {
			return fmt.Errorf("rpm header has an invalid %s %q", f.name, f.value)
		}
	}
	return nil
}

// readFiles fills in p.Files and returns the set of the package's paths
// that primary.xml lists.
func readFiles(h *rpm.Header, p *Package) (map[string]bool, error) {
	var dirs, bases []string
	var idx []uint64
	var err error
	if h.Has(rpm.TagOldFileNames) && !h.Has(rpm.TagBaseNames) {
		// Before rpm 4 headers listed whole paths; rpm splits them the same
		// way when it reads such a header.
		old, err := h.Strings(rpm.TagOldFileNames)
		if err != nil {
			return nil, err
		}
		dirIndex := map[string]uint64{}
		for _, name := range old {
			i := strings.LastIndexByte(name, '/') + 1
			dir, base := name[:i], name[i:]
			j, ok := dirIndex[dir]
			if !ok {
				j = uint64(len(dirs))
				dirIndex[dir] = j
				dirs = append(dirs, dir)
			}
			bases = append(bases, base)
			idx = append(idx, j)
		}
	} else {
		if bases, err = h.Strings(rpm.TagBaseNames); err != nil {
			return nil, err
		}
		if dirs, err = h.Strings(rpm.TagDirNames); err != nil {
			return nil, err
		}
		if idx, err = h.Uints(rpm.TagDirIndexes); err != nil {
			return nil, err
		}
	}
	modes, err := h.Uints(rpm.TagFileModes)
	if err != nil {
		return nil, err
	}
	flags, err := h.Uints(rpm.TagFileFlags)
	if err != nil {
		return nil, err
	}
	if len(bases) == 0 {
		return nil, nil
	}
	if len(idx) != len(bases) || len(modes) != len(bases) || len(flags) != len(bases) {
		return nil, fmt.Errorf("file list is inconsistent: %d base names, %d directory indexes, %d modes, %d flags",
			len(bases), len(idx), len(modes), len(flags))
	}
	own := map[string]bool{}
	p.Files = make([]File, len(bases))
	total := 0
	for i, base := range bases {
		if idx[i] >= uint64(len(dirs)) {
			return nil, fmt.Errorf("file %d: directory index %d out of range (%d directories)", i, idx[i], len(dirs))
		}
		dir := dirs[idx[i]]
		if total += len(dir) + len(base); total > maxFileListBytes {
			return nil, errors.New("file list too large")
		}
		path := dir + base
		if isPrimaryFile(path) {
			own[path] = true
		}
		f := File{Path: xmlText(path)}
		switch {
		case modes[i]&0o170000 == 0o040000:
			f.Type = "dir"
		case flags[i]&rpm.FileGhost != 0:
			f.Type = "ghost"
		}
		p.Files[i] = f
	}
	return own, nil
}

// depKind is one kind of dependency and the tags that hold it.
type depKind struct {
	list                 func(*Package) *[]Dep
	names, flags, values rpm.Tag
	kind                 int
}

const (
	kindProvides = iota
	kindConflicts
	kindObsoletes
	kindRequires
	kindSuggests
	kindEnhances
	kindRecommends
	kindSupplements
	kindOldSuggests
	kindOldEnhances
)

// depKinds is in createrepo_c's order, which matters: requires that repeat
// a provide are dropped.
var depKinds = []depKind{
	{func(p *Package) *[]Dep { return &p.Provides }, rpm.TagProvideName, rpm.TagProvideFlags, rpm.TagProvideVersion, kindProvides},
	{func(p *Package) *[]Dep { return &p.Conflicts }, rpm.TagConflictName, rpm.TagConflictFlags, rpm.TagConflictVersion, kindConflicts},
	{func(p *Package) *[]Dep { return &p.Obsoletes }, rpm.TagObsoleteName, rpm.TagObsoleteFlags, rpm.TagObsoleteVersion, kindObsoletes},
	{func(p *Package) *[]Dep { return &p.Requires }, rpm.TagRequireName, rpm.TagRequireFlags, rpm.TagRequireVersion, kindRequires},
	{func(p *Package) *[]Dep { return &p.Suggests }, rpm.TagSuggestName, rpm.TagSuggestFlags, rpm.TagSuggestVersion, kindSuggests},
	{func(p *Package) *[]Dep { return &p.Enhances }, rpm.TagEnhanceName, rpm.TagEnhanceFlags, rpm.TagEnhanceVersion, kindEnhances},
	{func(p *Package) *[]Dep { return &p.Recommends }, rpm.TagRecommendName, rpm.TagRecommendFlags, rpm.TagRecommendVersion, kindRecommends},
	{func(p *Package) *[]Dep { return &p.Supplements }, rpm.TagSupplementName, rpm.TagSupplementFlags, rpm.TagSupplementVersion, kindSupplements},
	{nil, rpm.TagOldSuggestsName, rpm.TagOldSuggestsFlags, rpm.TagOldSuggestsVersion, kindOldSuggests},
	{nil, rpm.TagOldEnhancesName, rpm.TagOldEnhancesFlags, rpm.TagOldEnhancesVersion, kindOldEnhances},
}

// readDeps fills in the dependency lists as createrepo_c does: rpmlib()
// requires, requires of the package's own primary files, requires equal to
// a provide and repeated requires are dropped; only the highest
// libc.so.6(...) require is kept, last; requires marked missing-ok and
// SUSE's old weak dependency tags become weak dependencies.
func readDeps(h *rpm.Header, p *Package, own map[string]bool) error {
	type seenReq struct {
		flags, version string
		pre            bool
	}
	provided := map[string]bool{}
	lastReq := map[string]seenReq{}
	for _, k := range depKinds {
		names, err := h.Strings(k.names)
		if err != nil {
			return err
		}
		flags, err := h.Uints(k.flags)
		if err != nil {
			return err
		}
		values, err := h.Strings(k.values)
		if err != nil {
			return err
		}
		if names == nil || flags == nil || values == nil {
			continue // createrepo_c lists a kind only when all three tags are there
		}
		if len(flags) != len(names) || len(values) != len(names) {
			return fmt.Errorf("dependency tags %d/%d/%d are inconsistent: %d names, %d flags, %d versions",
				k.names, k.flags, k.values, len(names), len(flags), len(values))
		}
		var libc *Dep
		for i, name := range names {
			f, value := flags[i], values[i]
			fs := flagString(f)
			nfv := name + fs + value
			pre := false
			if k.kind == kindRequires {
				if strings.HasPrefix(name, "rpmlib(") {
					continue
				}
				if own[name] {
					continue
				}
				if provided[nfv] {
					continue
				}
				pre = f&(rpm.SensePreReq|rpm.SenseScriptPre|rpm.SenseScriptPost) != 0
				if last, ok := lastReq[name]; ok && last.flags == fs && last.version == value && last.pre == pre {
					continue
				}
			}
			epoch, ver, rel, ok := splitEVR(value)
			if !ok {
				continue // createrepo_c skips a dependency with a non-numeric epoch
			}
			d := Dep{Name: xmlText(name), Flags: fs}
			if fs != "" {
				d.Epoch, d.Version, d.Release = xmlText(epoch), xmlText(ver), xmlText(rel)
			}
			// Entries without a name are kept for the rules above but,
			// as createrepo_c does, never written.
			add := func(list *[]Dep) {
				if name != "" {
					*list = append(*list, d)
				}
			}
			switch k.kind {
			case kindProvides:
				provided[nfv] = true
				add(&p.Provides)
			case kindRequires:
				if f&rpm.SenseMissingOK != 0 {
					add(&p.Recommends)
					continue
				}
				d.Pre = pre
				if strings.HasPrefix(name, "libc.so.6") {
					if libc == nil || compareLibc(libc.Name, d.Name) == 2 {
						libc = &d
					}
					continue
				}
				add(&p.Requires)
				lastReq[name] = seenReq{fs, value, pre}
			case kindOldSuggests:
				if f&rpm.SenseStrong != 0 {
					add(&p.Recommends)
				} else {
					add(&p.Suggests)
				}
			case kindOldEnhances:
				if f&rpm.SenseStrong != 0 {
					add(&p.Supplements)
				} else {
					add(&p.Enhances)
				}
			default:
				add(k.list(p))
			}
		}
		if libc != nil {
			p.Requires = append(p.Requires, *libc)
		}
	}
	return nil
}

// flagString names the comparison of a dependency as rpm-md writes it.
func flagString(f uint64) string {
	switch f & 0xf {
	case rpm.SenseLess:
		return "LT"
	case rpm.SenseGreater:
		return "GT"
	case rpm.SenseEqual:
		return "EQ"
	case rpm.SenseLess | rpm.SenseEqual:
		return "LE"
	case rpm.SenseGreater | rpm.SenseEqual:
		return "GE"
	}
	return ""
}

// splitEVR splits a dependency's "[epoch:]version[-release]" as
// createrepo_c's cr_str_to_evr does: the epoch is "0" when absent, and ok
// is false when the epoch is not a number.
func splitEVR(s string) (epoch, version, release string, ok bool) {
	if s == "" {
		return "", "", "", true
	}
	rest := s
	if i := strings.IndexByte(s, ':'); i >= 0 {
		if i > 0 && !strtolPrefix(s[:i]) {
			return "", "", "", false
		}
		epoch, rest = s[:i], s[i+1:]
	}
	if epoch == "" {
		epoch = "0"
	}
	version, release, _ = strings.Cut(rest, "-")
	return epoch, version, release, true
}

// strtolPrefix reports whether C's strtol would read all of s: optional
// white space, an optional sign, then at least one decimal digit.
func strtolPrefix(s string) bool {
	s = strings.TrimLeft(s, " \t\n\v\f\r")
	if s != "" && (s[0] == '+' || s[0] == '-') {
		s = s[1:]
	}
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

// compareLibc compares libc.so.6 requires by the version in their first
// parentheses as createrepo_c does: 2 means the second one is higher.
func compareLibc(dep1, dep2 string) int {
	if dep1 == dep2 {
		return 0
	}
	i1, i2 := strings.IndexByte(dep1, '('), strings.IndexByte(dep2, '(')
	switch {
	case i1 < 0 && i2 < 0:
		return 0
	case i1 < 0:
		return 2
	case i2 < 0:
		return 1
	}
	v1, v2 := dep1[i1+1:], dep2[i2+1:]
	e1, e2 := strings.IndexByte(v1, ')'), strings.IndexByte(v2, ')')
	switch {
	case e1 < 0 && e2 < 0:
		return -1
	case e1 < 0:
		return 2
	case e2 < 0:
		return 1
	case e1 == 0 && e2 == 0:
		return 0
	case e1 == 0:
		return 2
	case e2 == 0:
		return 1
	}
	// Skip to the first digit; past the ')' means no version.
	d1 := strings.IndexFunc(v1, func(r rune) bool { return r >= '0' && r <= '9' })
	d2 := strings.IndexFunc(v2, func(r rune) bool { return r >= '0' && r <= '9' })
	if d1 < 0 {
		d1 = len(v1)
	}
	if d2 < 0 {
		d2 = len(v2)
	}
	past1, past2 := d1 > e1, d2 > e2
	switch {
	case past1 && past2:
		return 0
	case past1:
		return 2
	case past2:
		return 1
	}
	switch rpm.Vercmp(v1[d1:e1], v2[d2:e2]) {
	case -1:
		return 2
	case 1:
		return 1
	}
	return 0
}

// isPrimaryFile is createrepo_c's rule for the files primary.xml lists.
func isPrimaryFile(path string) bool {
	return strings.HasPrefix(path, "/etc/") || path == "/usr/lib/sendmail" || strings.Contains(path, "bin/")
}

// readChangelog fills in p.Changelog from the header's newest entries,
// listed oldest first. As in createrepo_c, trailing spaces of an author are
// dropped and, of entries with equal times, the newer ones are moved a
// second later each, so that dates are distinct.
func readChangelog(h *rpm.Header, p *Package) error {
	times, err := h.Uints(rpm.TagChangelogTime)
	if err != nil {
		return err
	}
	names, err := h.Strings(rpm.TagChangelogName)
	if err != nil {
		return err
	}
	texts, err := h.Strings(rpm.TagChangelogText)
	if err != nil {
		return err
	}
	if times == nil || names == nil || texts == nil {
		return nil
	}
	if len(names) != len(times) || len(texts) != len(times) {
		return fmt.Errorf("changelog is inconsistent: %d times, %d names, %d texts", len(times), len(names), len(texts))
	}
	n := min(len(times), ChangelogLimit)
	out := make([]Change, n)
	var last uint64
	for i := 0; i < n; i++ {
		author := names[i]
		if j := len(strings.TrimRight(author, " ")); j > 0 {
			author = author[:j]
		} else if author != "" {
			author = author[:1]
		}
		c := Change{Author: xmlText(author), Date: times[i], Text: xmlText(texts[i])}
		// out is filled from the end: header order is newest first.
		pos := n - 1 - i
		out[pos] = c
		if i > 0 && last == c.Date {
			t := c.Date
			for j := pos + 1; j < n && out[j].Date == t; j++ {
				out[j].Date++
				t++
			}
		} else {
			last = c.Date
		}
	}
	p.Changelog = out
	return nil
}

// xmlText returns s as text XML can hold: invalid UTF-8 is read as
// ISO-8859-1 as createrepo_c does (dropping the C1 range), and characters
// XML 1.0 forbids are dropped.
func xmlText(s string) string {
	clean := true
	for i := 0; i < len(s); {
		c := s[i]
		if c < 0x80 {
			if c < 0x20 && c != '\t' && c != '\n' && c != '\r' {
				clean = false
				break
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError || r == 0xfffe || r == 0xffff {
			clean = false
			break
		}
		i += n
	}
	if clean {
		return s
	}
	latin1 := !utf8.ValidString(s)
	var b strings.Builder
	b.Grow(len(s) + len(s)/4)
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c < 0x20 && c != '\t' && c != '\n' && c != '\r':
			i++
		case c < 0x80:
			b.WriteByte(c)
			i++
		case latin1:
			if c >= 0xc0 {
				b.WriteRune(rune(c))
			}
			i++
		default:
			r, n := utf8.DecodeRuneInString(s[i:])
			if r != 0xfffe && r != 0xffff && !(r == utf8.RuneError && n == 1) {
				b.WriteString(s[i : i+n])
			}
			i += n
		}
	}
	return b.String()
}

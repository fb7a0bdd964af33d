package apt

import (
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"
)

// field is one field of a control paragraph. Value is the text after the
// colon with surrounding white space removed; continuation lines follow it
// after "\n", as they were written.
type field struct {
	Name, Value string
}

// paragraph is a parsed binary package control file.
type paragraph struct {
	// Text is the paragraph exactly as written, from its first field to its
	// last line, each line ending in "\n".
	Text   string
	Fields []field
}

// Get returns the value of the field name (case-insensitive), or "".
func (p *paragraph) Get(name string) string {
	for _, f := range p.Fields {
		if strings.EqualFold(f.Name, name) {
			return f.Value
		}
	}
	return ""
}

// parseControl parses the control file of a binary package: a single deb822
// paragraph, with no comments (dpkg writes none into a .deb), in UTF-8.
func parseControl(data []byte) (*paragraph, error) {
	if !utf8.Valid(data) {
		return nil, fmt.Errorf("control file is not valid UTF-8")
	}
	text := string(data)
	p := &paragraph{}
	var b strings.Builder
	seen := map[string]int{}
	lineNo, started, ended := 0, false, false
	for len(text) > 0 {
		line, rest, _ := strings.Cut(text, "\n")
		text = rest
		lineNo++
		if i := strings.IndexFunc(line, func(r rune) bool { return r < 0x20 && r != '\t' || r == 0x7f }); i >= 0 {
			return nil, fmt.Errorf("control file line %d: control character %q", lineNo, line[i])
		}
		if strings.Trim(line, " \t") == "" {
			// A blank line ends the paragraph; only blank lines may follow.
			ended = started
			continue
		}
		if ended {
			return nil, fmt.Errorf("control file line %d: more than one paragraph", lineNo)
		}
		switch c := line[0]; {
		case c == '#':
			return nil, fmt.Errorf("control file line %d: comments are not allowed", lineNo)
		case c == ' ' || c == '\t':
			if !started {
				return nil, fmt.Errorf("control file line %d: continuation line before the first field", lineNo)
			}
			f := &p.Fields[len(p.Fields)-1]
			f.Value += "\n" + line
		default:
			name, value, ok := strings.Cut(line, ":")
			if !ok {
				return nil, fmt.Errorf("control file line %d: %q is not a field (Name: value)", lineNo, line)
			}
			if !fieldName.MatchString(name) {
				return nil, fmt.Errorf("control file line %d: invalid field name %q", lineNo, name)
			}
			key := strings.ToLower(name)
			if first, dup := seen[key]; dup {
				return nil, fmt.Errorf("control file line %d: field %s repeats line %d", lineNo, name, first)
			}
			seen[key] = lineNo
			p.Fields = append(p.Fields, field{Name: name, Value: strings.Trim(value, " \t")})
			started = true
		}
		b.WriteString(line)
		b.WriteByte('\n')
	}
	if !started {
		return nil, fmt.Errorf("control file is empty")
	}
	p.Text = b.String()
	return p, nil
}

// fieldName is a deb822 field name: printable ASCII but colon and space,
// not starting with '#' or '-'.
var fieldName = regexp.MustCompile(`^[!-"$-,.-9;-~][!-9;-~]*$`)

var (
	packageName = regexp.MustCompile(`^[a-z0-9][a-z0-9+.-]+$`)
	archName    = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)
	sourceField = regexp.MustCompile(`^(\S+)(?:[ \t]+\(([^()\s]+)\))?$`)
)

// packageOf checks the fields the index needs and returns them.
func packageOf(p *paragraph) (*Package, error) {
	pkg := &Package{
		Control:      p.Text,
		Package:      p.Get("Package"),
		Version:      p.Get("Version"),
		Architecture: p.Get("Architecture"),
	}
	if pkg.Package == "" {
		return nil, fmt.Errorf("control file has no Package field")
	}
	if !packageName.MatchString(pkg.Package) {
		return nil, fmt.Errorf("package name %q is invalid (want lowercase letters, digits, '+', '-', '.', starting with a letter or digit, at least two characters)", pkg.Package)
	}
	if pkg.Version == "" {
		return nil, fmt.Errorf("package %s: control file has no Version field", pkg.Package)
	}
	if err := checkVersion(pkg.Version); err != nil {
		return nil, fmt.Errorf("package %s: %w", pkg.Package, err)
	}
	if pkg.Architecture == "" {
		return nil, fmt.Errorf("package %s: control file has no Architecture field", pkg.Package)
	}
	if !archName.MatchString(pkg.Architecture) {
		return nil, fmt.Errorf("package %s: architecture %q is invalid (want one architecture name such as amd64 or all)", pkg.Package, pkg.Architecture)
	}
	pkg.Source = pkg.Package
	if src := p.Get("Source"); src != "" {
		m := sourceField.FindStringSubmatch(src)
		if m == nil || !packageName.MatchString(m[1]) {
			return nil, fmt.Errorf("package %s: Source %q is not a source package name with an optional (version)", pkg.Package, src)
		}
		pkg.Source = m[1]
	}
	return pkg, nil
}

package check

import (
	"encoding/json"
	"fmt"
	"path"
	"strings"

	"github.com/stockpile/stockpile/config"
	"github.com/stockpile/stockpile/formats"
	"github.com/stockpile/stockpile/formats/apt"
	"github.com/stockpile/stockpile/formats/npm"
	"github.com/stockpile/stockpile/formats/pypi"
	"github.com/stockpile/stockpile/formats/yum"
)

// Package is what a change does to one artifact, as read from its bytes.
type Package struct {
	Repository string `json:"repository"`
	Action     string `json:"action"` // added, removed or changed (placement only)
	Name       string `json:"name,omitempty"`
	Version    string `json:"version,omitempty"`
	Arch       string `json:"arch,omitempty"`
	File       string `json:"file"`
	Manifest   string `json:"manifest"`
	// Detail says what changed for a changed manifest (suite, yanked, ...).
	Detail string `json:"detail,omitempty"`
}

// info is what check reads from a format's metadata.
type info struct {
	name, version, arch string
	license             string
	hasLicense          bool // the format's metadata carries a license field
	wantFile            string
}

// describe reads name, version, architecture and license from a format's
// metadata, and the file name the format's own tools would give the
// artifact ("" when the format checks the file name itself).
func describe(format string, meta formats.Meta) (info, error) {
	switch format {
	case "apt":
		p, err := apt.DecodeMeta(meta)
		if err != nil {
			return info{}, err
		}
		v := p.Version
		if _, after, ok := strings.Cut(v, ":"); ok {
			v = after // dpkg-name leaves the epoch out of file names
		}
		return info{name: p.Package, version: p.Version, arch: p.Architecture,
			wantFile: p.Package + "_" + v + "_" + p.Architecture + ".deb"}, nil
	case "yum":
		var p yum.Package
		if err := json.Unmarshal(meta, &p); err != nil || p.Name == "" {
			return info{}, fmt.Errorf("yum metadata: %v", err)
		}
		v := p.Version + "-" + p.Release
		full := v
		if p.Epoch > 0 {
			full = fmt.Sprintf("%d:%s", p.Epoch, v)
		}
		return info{name: p.Name, version: full, arch: p.Arch, license: p.License, hasLicense: true,
			wantFile: p.Name + "-" + v + "." + p.Arch + ".rpm"}, nil
	case "pypi":
		d, err := pypi.DecodeMeta(meta)
		if err != nil {
			return info{}, err
		}
		i := info{name: d.Name, version: d.Version, hasLicense: true}
		if m, err := pypi.ParseMetadata([]byte(d.Metadata)); err == nil {
			i.license = strings.TrimSpace(m.Get("License-Expression"))
			if l := strings.TrimSpace(m.Get("License")); i.license == "" && !strings.Contains(l, "\n") {
				i.license = l
			}
		}
		return i, nil
	case "npm":
		p, err := npm.DecodeMeta(meta)
		if err != nil {
			return info{}, err
		}
		return info{name: p.Name, version: p.Version, license: p.License, hasLicense: true}, nil
	}
	return info{}, fmt.Errorf("unknown format %q", format)
}

// policyName is the name policy patterns are matched against.
func policyName(format, name string) string {
	if format == "pypi" {
		return pypi.Normalize(name)
	}
	return name
}

// nameAllowed reports whether pol lets a package of this name in.
func nameAllowed(pol *config.Policy, format, name string) bool {
	if len(pol.Names) == 0 && len(pol.Scopes) == 0 {
		return true
	}
	n := policyName(format, name)
	for _, pat := range pol.Names {
		if ok, _ := path.Match(pat, n); ok {
			return true
		}
	}
	for _, s := range pol.Scopes {
		if strings.HasPrefix(n, "@"+strings.TrimPrefix(s, "@")+"/") {
			return true
		}
	}
	return false
}

// licenseAllowed evaluates an SPDX license expression against the allowed
// patterns: an identifier passes when a pattern matches it, "A OR B" when
// either does, "A AND B" when both do. WITH exceptions are kept with their
// identifier. An expression that cannot be parsed passes only as a whole.
func licenseAllowed(allowed []string, expr string) bool {
	match := func(id string) bool {
		for _, pat := range allowed {
			if ok, _ := path.Match(strings.ToLower(pat), strings.ToLower(id)); ok {
				return true
			}
		}
		return false
	}
	if match(strings.TrimSpace(expr)) {
		return true
	}
	toks := strings.Fields(strings.NewReplacer("(", " ( ", ")", " ) ").Replace(expr))
	p := &spdx{toks: toks, match: match}
	ok := p.or()
	return ok && p.err == nil && p.i == len(toks)
}

// spdx is a small recursive-descent evaluator of SPDX expressions.
type spdx struct {
	toks  []string
	i     int
	err   error
	match func(string) bool
}

func (p *spdx) peek() string {
	if p.i < len(p.toks) {
		return p.toks[p.i]
	}
	return ""
}

func (p *spdx) or() bool {
	v := p.and()
	for strings.EqualFold(p.peek(), "OR") {
		p.i++
		w := p.and()
		v = v || w
	}
	return v
}

func (p *spdx) and() bool {
	v := p.term()
	for strings.EqualFold(p.peek(), "AND") {
		p.i++
		w := p.term()
		v = v && w
	}
	return v
}

func (p *spdx) term() bool {
	t := p.peek()
	switch {
	case t == "(":
		p.i++
		v := p.or()
		if p.peek() != ")" {
			p.err = fmt.Errorf("unbalanced parentheses")
			return false
		}
		p.i++
		return v
	case t == "" || t == ")" || strings.EqualFold(t, "AND") || strings.EqualFold(t, "OR"):
		p.err = fmt.Errorf("unexpected %q", t)
		return false
	}
	p.i++
	if strings.EqualFold(p.peek(), "WITH") && p.i+1 < len(p.toks) {
		id := t + " WITH " + p.toks[p.i+1]
		p.i += 2
		return p.match(id) || p.match(t)
	}
	return p.match(t)
}

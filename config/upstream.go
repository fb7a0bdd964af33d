package config

import (
	"fmt"
	"net/mail"
	"net/url"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"
)

// Upstream says which versions of which packages `stockpile sync` mirrors
// from a public registry into a repository. The version syntax of each
// package is the repository format's own (npm ranges, PEP 440 specifiers,
// Debian and rpm relations); the sync command parses it.
type Upstream struct {
	// URL is the upstream's root: an apt archive (…/debian), a yum baseurl
	// (the folder holding repodata/), a PyPI index root (https://pypi.org)
	// or an npm registry (https://registry.npmjs.org).
	URL      string            `yaml:"url"`
	Packages []UpstreamPackage `yaml:"packages"`
	// Cooldown holds back a version until it has been public that long.
	Cooldown Duration `yaml:"cooldown"`
	// Author of the commits `sync --commit` makes: "Name <email>".
	Author string `yaml:"author"`

	// apt: the suite and component to read, the architectures whose
	// Packages indexes are read (default: the repository's), and the
	// upstream's public key (a path in the registry repository).
	Suite         string   `yaml:"suite"`
	Component     string   `yaml:"component"`
	Architectures []string `yaml:"architectures"` // apt and yum
	Key           string   `yaml:"key"`           // apt (required) and yum (optional)

	// API selects how a PyPI upstream is read: "simple" (PEP 691 JSON, the
	// default) or "json" (PyPI's /pypi/<name>/json).
	API string `yaml:"api"`

	Line int `yaml:"-"` // line in repos.yaml
}

// UpstreamPackage is one package to mirror.
type UpstreamPackage struct {
	Name string `yaml:"name"`
	// Versions is a constraint in the format's syntax; empty mirrors only
	// the newest version that passes the cooldown.
	Versions string `yaml:"versions"`

	Line int `yaml:"-"` // line in repos.yaml
}

var (
	upstreamFields        = []string{"url", "packages", "cooldown", "author", "suite", "component", "architectures", "key", "api"}
	upstreamPackageFields = []string{"name", "versions"}
)

// UnmarshalYAML keeps the line of the settings and refuses unknown fields
// (a custom unmarshaler loses the decoder's strictness).
func (u *Upstream) UnmarshalYAML(n *yaml.Node) error {
	if err := knownFields(n, "upstream", upstreamFields); err != nil {
		return err
	}
	type plain Upstream
	if err := n.Decode((*plain)(u)); err != nil {
		return err
	}
	u.Line = n.Line
	return nil
}

// UnmarshalYAML keeps the package's line and refuses unknown fields.
func (p *UpstreamPackage) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		// "- left-pad" is short for {name: left-pad}.
		*p = UpstreamPackage{Name: n.Value, Line: n.Line}
		return nil
	}
	if err := knownFields(n, "upstream package", upstreamPackageFields); err != nil {
		return err
	}
	type plain UpstreamPackage
	if err := n.Decode((*plain)(p)); err != nil {
		return err
	}
	p.Line = n.Line
	return nil
}

func knownFields(n *yaml.Node, what string, fields []string) error {
	if n.Kind != yaml.MappingNode {
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: %s must be a mapping", n.Line, what)}}
	}
	var msgs []string
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k := n.Content[i]; !contains(fields, k.Value) {
			msgs = append(msgs, fmt.Sprintf("line %d: unknown field %q in %s (want one of %s)", k.Line, k.Value, what, strings.Join(fields, ", ")))
		}
	}
	if msgs != nil {
		return &yaml.TypeError{Errors: msgs}
	}
	return nil
}

// validateUpstream checks a repository's upstream settings and fills in
// defaults.
func validateUpstream(repo *Repository, p *problems) {
	u := repo.Upstream
	if u == nil {
		return
	}
	line := u.Line
	if line == 0 {
		line = repo.Line
	}
	bad := func(format string, args ...any) {
		p.add(ConfigFile, line, "repository %q: upstream: %s", repo.Name, fmt.Sprintf(format, args...))
	}
	if uu, err := url.Parse(u.URL); err != nil || (uu.Scheme != "http" && uu.Scheme != "https") || uu.Host == "" {
		bad("url %q is not an absolute http(s) URL", u.URL)
	} else if uu.User != nil {
		// Manifests record URLs derived from it, and manifests live in Git.
		bad("url must not hold credentials")
	} else {
		u.URL = strings.TrimSuffix(u.URL, "/")
	}
	if len(u.Packages) == 0 {
		bad("no packages listed")
	}
	seen := map[string]int{}
	for _, pkg := range u.Packages {
		switch first, dup := seen[pkg.Name]; {
		case strings.TrimSpace(pkg.Name) == "" || strings.ContainsAny(pkg.Name, " \t\n"):
			p.add(ConfigFile, pkg.Line, "repository %q: upstream package name %q is empty or has spaces", repo.Name, pkg.Name)
		case dup:
			p.add(ConfigFile, pkg.Line, "repository %q: upstream package %q is listed twice (first at line %d)", repo.Name, pkg.Name, first)
		}
		seen[pkg.Name] = pkg.Line
	}
	if u.Author != "" {
		if _, err := mail.ParseAddress(u.Author); err != nil {
			bad("author %q is not \"Name <email>\"", u.Author)
		}
	}
	only := func(field, value string, formats ...string) {
		if value != "" && !contains(formats, repo.Format) {
			bad("%s does not apply to %s repositories", field, repo.Format)
		}
	}
	only("suite", u.Suite, "apt")
	only("component", u.Component, "apt")
	only("key", u.Key, "apt", "yum")
	only("api", u.API, "pypi")
	only("architectures", strings.Join(u.Architectures, " "), "apt", "yum")
	if u.Key != "" && !cleanRelPath(u.Key) {
		bad("key %q must be a path inside the registry repository", u.Key)
	}
	switch repo.Format {
	case "apt":
		if u.Suite == "" {
			bad("suite is required for an apt upstream (e.g. bookworm)")
		}
		if u.Component == "" {
			u.Component = "main"
		}
		if u.Key == "" {
			bad("key is required for an apt upstream: the public key that signs its Release file")
		}
		for _, v := range append([]string{u.Suite, u.Component}, u.Architectures...) {
			if v != "" && !aptUpstreamWord.MatchString(v) {
				bad("%q is not a valid suite, component or architecture name", v)
			}
		}
	case "pypi":
		switch u.API {
		case "":
			u.API = "simple"
		case "simple", "json":
		default:
			bad("api %q must be simple or json", u.API)
		}
	}
}

// aptUpstreamWord also allows the slashes and capitals some archives use
// in suite names ("stable/updates").
var aptUpstreamWord = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._+/-]*$`)

// Package config reads a registry repository: repos.yaml and the per-artifact
// manifests under packages/. Every problem is reported with its file and line,
// and all problems are reported together.
package config

import (
	"bytes"
	"fmt"
	"io/fs"
	"net/url"
	"path"
	"regexp"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// File names inside a registry repository.
const (
	ConfigFile  = "repos.yaml"
	ManifestDir = "packages"
	BlobDir     = "blobs"
)

// Formats lists the repository formats repos.yaml accepts.
var Formats = []string{"apt", "yum", "pypi", "npm"}

// Registry is a whole registry repository: settings, repositories, manifests.
type Registry struct {
	Name    string `yaml:"name"`
	BaseURL string `yaml:"base_url"`
	// SourceURL, when set, is where the registry repository is browsed at
	// a branch (e.g. https://github.com/org/registry/blob/main/): the browse
	// site links each manifest as SourceURL + its path.
	SourceURL    string        `yaml:"source_url"`
	Signing      Signing       `yaml:"signing"`
	Repositories []*Repository `yaml:"repositories"`
	Publish      *Publish      `yaml:"publish"`

	Policy *RegistryPolicy `yaml:"policy"` // registry-wide rules `check` enforces

	// Manifests holds every manifest under packages/, sorted by path.
	Manifests []*Manifest `yaml:"-"`
}

// Signing names the private keys the build signs with. A reference is a path
// relative to the registry root, "env:NAME" for a key held in an environment
// variable, or "file:///abs/path".
type Signing struct {
	OpenPGP string `yaml:"openpgp"` // apt Release, yum repomd.xml
	NPM     string `yaml:"npm"`     // ECDSA P-256 key for npm registry signatures
	TUF     *TUF   `yaml:"tuf"`     // TUF roles over every file of the tree
}

// Repository is one published repository, in one format.
type Repository struct {
	Name        string `yaml:"name"`
	Format      string `yaml:"format"`
	Description string `yaml:"description"`

	Apt *Apt `yaml:"apt"`
	Yum *Yum `yaml:"yum"`

	Policy *Policy `yaml:"policy"` // rules `check` holds changes to

	Upstream *Upstream `yaml:"upstream"`

	Line int `yaml:"-"` // line in repos.yaml
}

// Apt holds the settings of an apt repository.
type Apt struct {
	Origin        string   `yaml:"origin"`
	Label         string   `yaml:"label"`
	Suites        []string `yaml:"suites"`
	Components    []string `yaml:"components"`
	Architectures []string `yaml:"architectures"`
	// ValidFor sets Valid-Until to the build date plus this duration; zero
	// means Release files never expire.
	ValidFor Duration `yaml:"valid_for"`
}

// Yum holds the settings of a yum repository.
type Yum struct {
	// PackagerKeys are the public OpenPGP keys (paths inside the registry
	// repository) that sign the packages themselves. They are published
	// beside the repository and listed in its .repo file, so that dnf's
	// gpgcheck works with the file as written.
	PackagerKeys []string `yaml:"packager_keys"`
}

// Duration is a time.Duration written as "36h" or "7d" in YAML.
type Duration time.Duration

func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	s := n.Value
	mult := time.Duration(1)
	if strings.HasSuffix(s, "d") {
		s, mult = strings.TrimSuffix(s, "d")+"h", 24
	}
	v, err := time.ParseDuration(s)
	if err != nil || v < 0 {
		return fmt.Errorf("line %d: invalid duration %q (use e.g. 12h or 7d)", n.Line, n.Value)
	}
	*d = Duration(v * mult)
	return nil
}

// Repository returns the repository named name, or nil.
func (r *Registry) Repository(name string) *Repository {
	for _, repo := range r.Repositories {
		if repo.Name == name {
			return repo
		}
	}
	return nil
}

var repoName = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)

// reservedNames are folder and role names the TUF metadata uses.
var reservedNames = map[string]bool{"tuf": true, "root": true, "targets": true, "snapshot": true, "timestamp": true, "site": true}

// Load reads repos.yaml and every manifest from fsys, the root of a registry
// repository (a working tree or a Git commit).
func Load(fsys fs.FS) (*Registry, error) {
	reg, err := LoadConfig(fsys)
	if err != nil {
		return nil, err
	}
	var p problems
	reg.Manifests = loadManifests(fsys, reg, &p)
	if err := p.err(); err != nil {
		return nil, err
	}
	return reg, nil
}

// LoadConfig reads and validates repos.yaml alone.
func LoadConfig(fsys fs.FS) (*Registry, error) {
	data, err := fs.ReadFile(fsys, ConfigFile)
	if err != nil {
		return nil, &Error{File: ConfigFile, Msg: fmt.Sprintf("cannot read: %v", err)}
	}
	return ParseConfig(data)
}

// ParseConfig parses and validates the bytes of repos.yaml.
func ParseConfig(data []byte) (*Registry, error) {
	var p problems
	reg := parseConfig(data, &p)
	return reg, p.err()
}

func parseConfig(data []byte, p *problems) *Registry {
	reg := &Registry{}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(reg); err != nil {
		addYAMLError(p, ConfigFile, err)
		return reg
	}
	var root yaml.Node
	_ = yaml.Unmarshal(data, &root)
	lines := repositoryLines(&root)

	if reg.BaseURL != "" {
		if u, err := url.Parse(reg.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			p.add(ConfigFile, keyLine(&root, "base_url"), "base_url %q is not an absolute http(s) URL", reg.BaseURL)
		} else if !strings.HasSuffix(reg.BaseURL, "/") {
			reg.BaseURL += "/"
		}
	}
	if reg.SourceURL != "" {
		if u, err := url.Parse(reg.SourceURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			p.add(ConfigFile, keyLine(&root, "source_url"), "source_url %q is not an absolute http(s) URL", reg.SourceURL)
		} else if !strings.HasSuffix(reg.SourceURL, "/") {
			reg.SourceURL += "/"
		}
	}
	if reg.Signing.TUF != nil {
		reg.Signing.TUF.Line = keyLine(valueOf(&root, "signing"), "tuf")
		reg.Signing.TUF.validate(p)
	}
	if len(reg.Repositories) == 0 {
		p.add(ConfigFile, keyLine(&root, "repositories"), "no repositories defined")
	}
	seen := map[string]int{}
	for i, repo := range reg.Repositories {
		if i < len(lines) {
			repo.Line = lines[i]
		}
		validateRepository(repo, p)
		if first, dup := seen[repo.Name]; dup && repo.Name != "" {
			p.add(ConfigFile, repo.Line, "repository %q is defined twice (first at line %d)", repo.Name, first)
		}
		seen[repo.Name] = repo.Line
	}
	validatePolicies(reg, &root, p)
	validatePublish(reg, &root, p)
	return reg
}

func validateRepository(repo *Repository, p *problems) {
	switch {
	case repo.Name == "":
		p.add(ConfigFile, repo.Line, "repository without a name")
	case !repoName.MatchString(repo.Name):
		p.add(ConfigFile, repo.Line, "repository name %q must be lowercase letters, digits and '-'", repo.Name)
	case reservedNames[repo.Name]:
		p.add(ConfigFile, repo.Line, "repository name %q is taken by the TUF metadata (tuf/ and its roles root, targets, snapshot, timestamp, site); choose another", repo.Name)
	}
	known := false
	for _, f := range Formats {
		known = known || f == repo.Format
	}
	if !known {
		p.add(ConfigFile, repo.Line, "repository %q: unknown format %q (want one of %s)", repo.Name, repo.Format, strings.Join(Formats, ", "))
	}
	if repo.Apt != nil && repo.Format != "apt" {
		p.add(ConfigFile, repo.Line, "repository %q: apt settings on a %s repository", repo.Name, repo.Format)
	}
	if repo.Yum != nil && repo.Format != "yum" {
		p.add(ConfigFile, repo.Line, "repository %q: yum settings on a %s repository", repo.Name, repo.Format)
	}
	validateUpstream(repo, p)
	if repo.Yum != nil {
		seen := map[string]bool{}
		for _, k := range repo.Yum.PackagerKeys {
			base := path.Base(k)
			if !cleanRelPath(k) || seen[base] || base == "key.asc" {
				p.add(ConfigFile, repo.Line, "repository %q: packager key %q must be a path inside the repository, with a file name of its own", repo.Name, k)
			}
			seen[base] = true
		}
	}
	if repo.Format == "apt" {
		if repo.Apt == nil {
			repo.Apt = &Apt{}
		}
		repo.Apt.setDefaults(repo.Name)
		for _, list := range [][]string{repo.Apt.Suites, repo.Apt.Components, repo.Apt.Architectures} {
			for _, v := range list {
				if !aptWord.MatchString(v) {
					p.add(ConfigFile, repo.Line, "repository %q: %q is not a valid suite, component or architecture name", repo.Name, v)
				}
			}
		}
	}
}

var aptWord = regexp.MustCompile(`^[a-z0-9][a-z0-9.+-]*$`)

func (a *Apt) setDefaults(repo string) {
	if len(a.Suites) == 0 {
		a.Suites = []string{"stable"}
	}
	if len(a.Components) == 0 {
		a.Components = []string{"main"}
	}
	if len(a.Architectures) == 0 {
		a.Architectures = []string{"amd64", "arm64"}
	}
	if a.Origin == "" {
		a.Origin = repo
	}
	if a.Label == "" {
		a.Label = a.Origin
	}
}

// repositoryLines returns the line of each item of the repositories list.
func repositoryLines(root *yaml.Node) []int {
	n := valueOf(root, "repositories")
	if n == nil || n.Kind != yaml.SequenceNode {
		return nil
	}
	lines := make([]int, len(n.Content))
	for i, item := range n.Content {
		lines[i] = item.Line
	}
	return lines
}

// valueOf returns the value node of key in the top-level mapping of a document.
func valueOf(doc *yaml.Node, key string) *yaml.Node {
	n := doc
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	if n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

func keyLine(doc *yaml.Node, key string) int {
	if v := valueOf(doc, key); v != nil {
		return v.Line
	}
	return 0
}

var yamlLine = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)

// addYAMLError turns a yaml.v3 error, which may hold several messages that each
// start with "line N:", into located problems.
func addYAMLError(p *problems, file string, err error) {
	var msgs []string
	if te, ok := err.(*yaml.TypeError); ok {
		msgs = te.Errors
	} else {
		msgs = []string{err.Error()}
	}
	for _, m := range msgs {
		line := 0
		if sub := yamlLine.FindStringSubmatch(m); sub != nil {
			fmt.Sscan(sub[1], &line)
			m = sub[2]
		}
		p.add(file, line, "%s", strings.TrimPrefix(m, "yaml: "))
	}
}

// cleanRelPath reports whether p is a clean, relative, slash-separated path
// that stays inside the repository.
func cleanRelPath(p string) bool {
	return p != "" && fs.ValidPath(p) && path.Clean(p) == p && !strings.Contains(p, "\\")
}

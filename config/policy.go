package config

import (
	"fmt"
	"path"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Policy holds the rules `stockpile check` holds a change to, for one
// repository. Every rule is optional; an empty list allows everything.
type Policy struct {
	// Names are glob patterns (path.Match syntax) of the package names the
	// repository accepts: the name read from the artifact, PEP 503
	// normalized for PyPI. npm scopes are written "@acme/*".
	Names []string `yaml:"names"`
	// Scopes are the npm scopes the repository accepts ("acme" or "@acme");
	// npm repositories only. A name passes when it matches Names or is in one
	// of Scopes.
	Scopes []string `yaml:"scopes"`
	// MaxSize is the largest artifact accepted, e.g. 50MB, 1GiB or bytes.
	MaxSize ByteSize `yaml:"max_size"`
	// Licenses are glob patterns of the licenses accepted (SPDX identifiers
	// such as MIT or Apache-2.0). An SPDX expression passes when its AND and
	// OR terms do. Checked for the formats whose metadata has a license
	// (npm, yum, pypi); an artifact without one is refused.
	Licenses []string `yaml:"licenses"`
	// AllowRemoval lets a change remove manifests of published artifacts.
	AllowRemoval bool `yaml:"allow_removal"`

	Lines map[string]int `yaml:"-"` // line of each field in repos.yaml
}

// RegistryPolicy holds the rules that apply to the whole registry.
type RegistryPolicy struct {
	// CommitSigners are OpenPGP public key files (paths in the registry
	// repository). When set, every commit a change brings must carry an
	// OpenPGP signature by one of them.
	CommitSigners []string `yaml:"commit_signers"`

	Lines map[string]int `yaml:"-"` // line of each field in repos.yaml
}

// Line returns the line of field in repos.yaml, or 0.
func (p *Policy) Line(field string) int {
	if p == nil {
		return 0
	}
	return p.Lines[field]
}

// Line returns the line of field in repos.yaml, or 0.
func (p *RegistryPolicy) Line(field string) int {
	if p == nil {
		return 0
	}
	return p.Lines[field]
}

// ByteSize is a number of bytes written as 1048576, 500KB, 50MB, 1GiB.
type ByteSize int64

var byteSize = regexp.MustCompile(`^(\d+)\s*([KMGT]i?B|B)?$`)

func (s *ByteSize) UnmarshalYAML(n *yaml.Node) error {
	m := byteSize.FindStringSubmatch(strings.TrimSpace(n.Value))
	if n.Kind != yaml.ScalarNode || m == nil {
		return fmt.Errorf("line %d: invalid size %q (use e.g. 50MB, 1GiB or a number of bytes)", n.Line, n.Value)
	}
	v, err := strconv.ParseInt(m[1], 10, 64)
	if err != nil {
		return fmt.Errorf("line %d: invalid size %q", n.Line, n.Value)
	}
	units := map[string]int64{"": 1, "B": 1, "KB": 1e3, "MB": 1e6, "GB": 1e9, "TB": 1e12,
		"KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30, "TiB": 1 << 40}
	mult := units[m[2]]
	if v > (1<<63-1)/mult {
		return fmt.Errorf("line %d: size %q is too large", n.Line, n.Value)
	}
	*s = ByteSize(v * mult)
	return nil
}

var npmScope = regexp.MustCompile(`^@?[a-z0-9][a-z0-9._~-]*$`)

// validatePolicies checks the policy settings of repos.yaml and notes the
// line of each field.
func validatePolicies(reg *Registry, root *yaml.Node, p *problems) {
	if rp := reg.Policy; rp != nil {
		rp.Lines = fieldLines(valueOf(root, "policy"))
		line := keyLine(root, "policy")
		for _, k := range rp.CommitSigners {
			if !cleanRelPath(k) {
				p.add(ConfigFile, max(rp.Lines["commit_signers"], line), "policy: commit signer key %q must be a path inside the repository", k)
			}
		}
	}
	repos := valueOf(root, "repositories")
	for i, repo := range reg.Repositories {
		pol := repo.Policy
		if pol == nil {
			continue
		}
		var node *yaml.Node
		if repos != nil && repos.Kind == yaml.SequenceNode && i < len(repos.Content) {
			node = valueOf(repos.Content[i], "policy")
		}
		pol.Lines = fieldLines(node)
		at := func(field string) int { return max(pol.Lines[field], repo.Line) }
		for _, pat := range pol.Names {
			if _, err := path.Match(pat, ""); err != nil || pat == "" {
				p.add(ConfigFile, at("names"), "repository %q: policy name pattern %q is not a valid glob", repo.Name, pat)
			}
		}
		for _, pat := range pol.Licenses {
			if _, err := path.Match(pat, ""); err != nil || pat == "" {
				p.add(ConfigFile, at("licenses"), "repository %q: policy license pattern %q is not a valid glob", repo.Name, pat)
			}
		}
		if len(pol.Scopes) > 0 && repo.Format != "npm" {
			p.add(ConfigFile, at("scopes"), "repository %q: policy scopes apply to npm repositories only", repo.Name)
		}
		for _, s := range pol.Scopes {
			if !npmScope.MatchString(s) {
				p.add(ConfigFile, at("scopes"), "repository %q: %q is not an npm scope", repo.Name, s)
			}
		}
		if _, set := pol.Lines["max_size"]; set && pol.MaxSize <= 0 {
			p.add(ConfigFile, at("max_size"), "repository %q: policy max_size must be more than 0", repo.Name)
		}
	}
}

// fieldLines maps each key of a mapping node to its line.
func fieldLines(n *yaml.Node) map[string]int {
	lines := map[string]int{}
	if n == nil || n.Kind != yaml.MappingNode {
		return lines
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		lines[n.Content[i].Value] = n.Content[i].Line
	}
	return lines
}

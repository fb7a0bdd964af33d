package config

import (
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"path"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"
)

// Manifest names one artifact: its bytes (file name, sha256, size, source) and
// the placement only a human can decide. Metadata such as package name and
// version is read from the artifact by the build, not written here.
type Manifest struct {
	Path string // path of the manifest in the registry repository
	Line int    // line of the manifest's first field
	Repo string // repository, from the manifest's folder packages/<repo>/

	File   string // artifact file name
	SHA256 string // lowercase hex
	Size   int64
	// Source says where the bytes are: a path inside the registry repository
	// (blobs/...), or a file://, http://, https:// or s3:// URL.
	Source string

	// apt placement; empty means the repository's first suite and component.
	Suite     string
	Component string

	// PyPI: a yanked file stays listed; installers skip it unless pinned.
	Yanked     bool
	YankReason string
	// npm: extra dist-tags pointing at this version, and a deprecation message.
	Tags       []string
	Deprecated string

	// Lines maps each field name to its line, for later diagnostics.
	Lines map[string]int
}

// Pos returns "path:line" for field (or the manifest itself if field is unknown).
func (m *Manifest) Pos(field string) string {
	line := m.Line
	if l, ok := m.Lines[field]; ok {
		line = l
	}
	return fmt.Sprintf("%s:%d", m.Path, line)
}

// Errorf returns a located error about field of the manifest.
func (m *Manifest) Errorf(field, format string, args ...any) *Error {
	line := m.Line
	if l, ok := m.Lines[field]; ok {
		line = l
	}
	return &Error{File: m.Path, Line: line, Msg: fmt.Sprintf(format, args...)}
}

// manifestFields lists the fields a manifest may have, with the formats that
// accept each (nil: every format).
var manifestFields = map[string][]string{
	"file":       nil,
	"sha256":     nil,
	"size":       nil,
	"source":     nil,
	"suite":      {"apt"},
	"component":  {"apt"},
	"yanked":     {"pypi"},
	"tags":       {"npm"},
	"deprecated": {"npm"},
}

var distTag = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9._-]*$`)

var (
	hexSHA256 = regexp.MustCompile(`^[0-9a-f]{64}$`)
	fileName  = regexp.MustCompile(`^[A-Za-z0-9@._+~-][A-Za-z0-9@._+~!^-]*$`)
)

// loadManifests reads every *.yaml file below packages/ in parallel.
func loadManifests(fsys fs.FS, reg *Registry, p *problems) []*Manifest {
	var paths []string
	err := fs.WalkDir(fsys, ManifestDir, func(name string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && (strings.HasSuffix(name, ".yaml") || strings.HasSuffix(name, ".yml")) {
			paths = append(paths, name)
		}
		return nil
	})
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		p.add(ManifestDir, 0, "cannot list manifests: %v", err)
	}

	type result struct {
		m    *Manifest
		errs problems
	}
	results := make([]result, len(paths))
	var wg sync.WaitGroup
	next := make(chan int)
	for w := 0; w < runtime.GOMAXPROCS(0); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				var errs problems
				data, err := fs.ReadFile(fsys, paths[i])
				if err != nil {
					errs.add(paths[i], 0, "cannot read: %v", err)
				} else {
					results[i].m = parseManifest(paths[i], data, reg, &errs)
				}
				results[i].errs = errs
			}
		}()
	}
	for i := range paths {
		next <- i
	}
	close(next)
	wg.Wait()

	var out []*Manifest
	byFile := map[[2]string]*Manifest{}
	for _, r := range results {
		*p = append(*p, r.errs...)
		if r.m == nil {
			continue
		}
		key := [2]string{r.m.Repo, r.m.File}
		if first, dup := byFile[key]; dup {
			*p = append(*p, r.m.Errorf("file", "artifact %q is already listed in repository %q by %s", r.m.File, r.m.Repo, first.Pos("file")))
			continue
		}
		byFile[key] = r.m
		out = append(out, r.m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

// ParseManifest parses one manifest file at path name (packages/<repo>/...).
func ParseManifest(name string, data []byte, reg *Registry) (*Manifest, error) {
	var p problems
	m := parseManifest(name, data, reg, &p)
	return m, p.err()
}

func parseManifest(name string, data []byte, reg *Registry, p *problems) *Manifest {
	m := &Manifest{Path: name, Lines: map[string]int{}}
	rest := strings.TrimPrefix(name, ManifestDir+"/")
	repoName, _, _ := strings.Cut(rest, "/")
	repo := reg.Repository(repoName)
	if repo == nil || !strings.Contains(rest, "/") {
		p.add(name, 0, "manifest is not inside the folder of a repository defined in %s (packages/<repository>/...)", ConfigFile)
		return nil
	}
	m.Repo = repo.Name

	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		addYAMLError(p, name, err)
		return nil
	}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		p.add(name, doc.Line, "a manifest must be a mapping of fields (file, sha256, size, source)")
		return nil
	}
	before := len(*p)
	root := doc.Content[0]
	m.Line = root.Line
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		formats, known := manifestFields[k.Value]
		if !known {
			p.add(name, k.Line, "unknown field %q", k.Value)
			continue
		}
		if _, dup := m.Lines[k.Value]; dup {
			p.add(name, k.Line, "field %q is set twice", k.Value)
			continue
		}
		m.Lines[k.Value] = k.Line
		if formats != nil && !contains(formats, repo.Format) {
			p.add(name, k.Line, "field %q does not apply to %s repositories", k.Value, repo.Format)
			continue
		}
		if k.Value == "tags" {
			m.Tags = parseTags(name, v, p)
			continue
		}
		if v.Kind != yaml.ScalarNode || v.Tag == "!!null" {
			p.add(name, v.Line, "field %q must be a single value", k.Value)
			continue
		}
		switch k.Value {
		case "yanked":
			// "yanked: true" or "yanked: <reason>"
			switch {
			case v.Tag == "!!bool":
				m.Yanked = v.Value == "true"
			case strings.TrimSpace(v.Value) == "":
				p.add(name, v.Line, "yanked must be true, false or a reason")
			default:
				m.Yanked, m.YankReason = true, v.Value
			}
		case "deprecated":
			m.Deprecated = v.Value
		case "file":
			m.File = v.Value
		case "sha256":
			m.SHA256 = v.Value
		case "size":
			n, err := strconv.ParseInt(v.Value, 10, 64)
			if err != nil || n < 0 {
				p.add(name, v.Line, "size %q is not a whole number of bytes", v.Value)
			}
			m.Size = n
		case "source":
			m.Source = v.Value
		case "suite":
			m.Suite = v.Value
		case "component":
			m.Component = v.Value
		}
	}
	for _, f := range []string{"file", "sha256", "size", "source"} {
		if _, ok := m.Lines[f]; !ok {
			p.add(name, m.Line, "missing field %q", f)
		}
	}
	if _, ok := m.Lines["file"]; ok && !fileName.MatchString(m.File) {
		p.add(name, m.Lines["file"], "file %q must be a plain file name (no folders)", m.File)
	}
	if _, ok := m.Lines["sha256"]; ok && !hexSHA256.MatchString(m.SHA256) {
		p.add(name, m.Lines["sha256"], "sha256 %q is not 64 lowercase hex digits", m.SHA256)
	}
	if _, ok := m.Lines["source"]; ok {
		if err := checkSource(m.Source); err != "" {
			p.add(name, m.Lines["source"], "source %q %s", m.Source, err)
		}
	}
	if repo.Format == "apt" {
		if m.Suite != "" && !contains(repo.Apt.Suites, m.Suite) {
			p.add(name, m.Lines["suite"], "suite %q is not one of repository %q's suites (%s)", m.Suite, repo.Name, strings.Join(repo.Apt.Suites, ", "))
		}
		if m.Component != "" && !contains(repo.Apt.Components, m.Component) {
			p.add(name, m.Lines["component"], "component %q is not one of repository %q's components (%s)", m.Component, repo.Name, strings.Join(repo.Apt.Components, ", "))
		}
		if m.Suite == "" {
			m.Suite = repo.Apt.Suites[0]
		}
		if m.Component == "" {
			m.Component = repo.Apt.Components[0]
		}
	}
	if len(*p) > before {
		return nil
	}
	return m
}

// parseTags reads an npm dist-tag list: "tags: [next, beta]" or one tag.
func parseTags(name string, v *yaml.Node, p *problems) []string {
	items := []*yaml.Node{v}
	if v.Kind == yaml.SequenceNode {
		items = v.Content
	}
	var tags []string
	for _, item := range items {
		switch {
		case item.Kind != yaml.ScalarNode || !distTag.MatchString(item.Value):
			p.add(name, item.Line, "tag %q must be a word such as next or beta", item.Value)
		case item.Value == "latest":
			p.add(name, item.Line, "tag \"latest\" is set by the build (the highest release); choose another tag")
		default:
			tags = append(tags, item.Value)
		}
	}
	return tags
}

// checkSource returns why src is not an acceptable artifact source, or "".
func checkSource(src string) string {
	scheme, rest, hasScheme := strings.Cut(src, "://")
	if !hasScheme {
		if !cleanRelPath(src) || path.IsAbs(src) {
			return "must be a clean path inside the registry repository (no .., no leading /) or a URL"
		}
		return ""
	}
	u, err := url.Parse(src)
	if err != nil {
		return "is not a valid URL"
	}
	switch scheme {
	case "http", "https", "s3":
		if u.Host == "" || rest == "" {
			return "has no host or bucket"
		}
	case "file":
		if u.Host != "" || !path.IsAbs(u.Path) {
			return "must be file:///absolute/path"
		}
	default:
		return "has an unsupported scheme (want a repository path, file://, http://, https:// or s3://)"
	}
	return ""
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// Package npm reads npm package tarballs and writes a static npm registry:
// one packument per package that npm, yarn and pnpm all install from, the
// tarballs beside it, version documents, and the registry's signing keys.
package npm

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/stockpile/stockpile/formats"
)

type format struct {
	limits limits // tests lower them to fuzz faster
}

// New returns the npm format.
func New() formats.Format { return format{limits: defaultLimits} }

// Manifest is what the registry lists of one version: the fields of its
// package.json that installers read, normalized as npm's publish does.
type Manifest struct {
	Name                 string              `json:"name"`
	Version              string              `json:"version"`
	Description          string              `json:"description,omitempty"`
	License              string              `json:"license,omitempty"`
	Dependencies         map[string]string   `json:"dependencies,omitempty"`
	OptionalDependencies map[string]string   `json:"optionalDependencies,omitempty"`
	PeerDependencies     map[string]string   `json:"peerDependencies,omitempty"`
	PeerDependenciesMeta map[string]PeerMeta `json:"peerDependenciesMeta,omitempty"`
	// BundleDependencies is a JSON array of names, or true for all
	// dependencies; nil when the package bundles nothing.
	BundleDependencies json.RawMessage   `json:"bundleDependencies,omitempty"`
	Bin                map[string]string `json:"bin,omitempty"`
	Directories        map[string]string `json:"directories,omitempty"`
	Engines            map[string]string `json:"engines,omitempty"`
	OS                 []string          `json:"os,omitempty"`
	CPU                []string          `json:"cpu,omitempty"`
	Libc               []string          `json:"libc,omitempty"`
	// HasInstallScript tells installers that the package runs a
	// preinstall, install or postinstall script (node-gyp counts).
	HasInstallScript bool `json:"hasInstallScript,omitempty"`
	// HasShrinkwrap tells npm to read npm-shrinkwrap.json from the tarball.
	HasShrinkwrap bool `json:"_hasShrinkwrap,omitempty"`
}

// PeerMeta is one entry of peerDependenciesMeta.
type PeerMeta struct {
	Optional bool `json:"optional"`
}

// Package is what Inspect reads from a tarball: the registry's view of the
// version, the whole package.json as written, and the tarball's size.
type Package struct {
	Manifest
	// PackageJSON is the package.json of the tarball, compacted.
	PackageJSON  json.RawMessage `json:"packageJSON"`
	FileCount    int             `json:"fileCount"`
	UnpackedSize int64           `json:"unpackedSize"`
}

// DecodeMeta returns the Package that Inspect stored as m.
func DecodeMeta(m formats.Meta) (*Package, error) {
	var p Package
	if err := json.Unmarshal(m, &p); err != nil {
		return nil, fmt.Errorf("npm metadata: %w", err)
	}
	if err := ValidName(p.Name); err != nil {
		return nil, fmt.Errorf("npm metadata: %w", err)
	}
	if _, err := parseSemver(p.Version); err != nil {
		return nil, fmt.Errorf("npm metadata: %w", err)
	}
	return &p, nil
}

// Inspect reads package.json from an npm tarball, checks its name, version
// and the file name, and notes what installers need to know of the rest of
// the tarball.
func (f format) Inspect(r io.ReaderAt, size int64, filename string) (formats.Meta, error) {
	c, err := readTarball(r, size, f.limits, false)
	if err != nil {
		return nil, err
	}
	pj, err := parsePackageJSON(c.packageJSON)
	if err != nil {
		return nil, err
	}
	if err := checkFileName(filename, pj.manifest.Name, pj.manifest.Version); err != nil {
		return nil, err
	}
	m := pj.manifest
	m.HasInstallScript = pj.hasInstallScript || (c.hasGypFile && pj.gypfile)
	m.HasShrinkwrap = c.hasShrinkwrap
	if m.Bin == nil && m.Directories["bin"] != "" {
		// npm publish lists the files of directories.bin as bin entries;
		// installers expect the registry to have done so.
		all, err := readTarball(r, size, f.limits, true)
		if err != nil {
			return nil, err
		}
		m.Bin = binsFromDir(m.Directories["bin"], all.files)
	}
	return json.Marshal(&Package{
		Manifest:     m,
		PackageJSON:  pj.raw,
		FileCount:    c.fileCount,
		UnpackedSize: c.unpackedSize,
	})
}

// packageJSON is a parsed package.json.
type packageJSON struct {
	raw              json.RawMessage
	manifest         Manifest
	hasInstallScript bool
	gypfile          bool // false only when "gypfile": false
}

// parsePackageJSON reads the fields the registry lists. Fields that npm
// would drop or rewrite when publishing (a bin string, an os string, a
// license object) are normalized the same way; dependency maps of the wrong
// shape are errors, since dropping them would install a broken package.
func parsePackageJSON(data []byte) (*packageJSON, error) {
	data = bytes.TrimPrefix(data, []byte("\uFEFF"))
	var fields map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&fields); err != nil {
		return nil, fmt.Errorf("package.json: %w", err)
	}
	if fields == nil {
		return nil, errors.New("package.json is not a JSON object")
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("package.json has data after its JSON object")
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, data); err != nil {
		return nil, fmt.Errorf("package.json: %w", err)
	}
	pj := &packageJSON{raw: compact.Bytes(), gypfile: true}
	m := &pj.manifest
	var errs []error
	if !stringField(fields, "name", &m.Name) {
		return nil, errors.New("package.json has no name")
	}
	if err := ValidName(m.Name); err != nil {
		return nil, fmt.Errorf("package.json: %w", err)
	}
	if !stringField(fields, "version", &m.Version) {
		return nil, fmt.Errorf("package.json of %s has no version", m.Name)
	}
	if _, err := parseSemver(m.Version); err != nil {
		return nil, fmt.Errorf("package.json of %s: %w", m.Name, err)
	}
	stringField(fields, "description", &m.Description)
	m.License = license(fields["license"])
	for _, d := range []struct {
		field string
		to    *map[string]string
	}{
		{"dependencies", &m.Dependencies},
		{"optionalDependencies", &m.OptionalDependencies},
		{"peerDependencies", &m.PeerDependencies},
	} {
		deps, err := dependencyMap(fields[d.field])
		if err != nil {
			errs = append(errs, fmt.Errorf("package.json: %s: %w", d.field, err))
		}
		*d.to = deps
	}
	m.PeerDependenciesMeta = peerMeta(fields["peerDependenciesMeta"])
	bundle := fields["bundleDependencies"]
	if bundle == nil {
		bundle = fields["bundledDependencies"]
	}
	b, err := bundleDependencies(bundle)
	if err != nil {
		errs = append(errs, fmt.Errorf("package.json: bundleDependencies: %w", err))
	}
	m.BundleDependencies = b
	m.Directories = stringMap(fields["directories"])
	m.Engines = stringMap(fields["engines"])
	m.OS = stringList(fields["os"])
	m.CPU = stringList(fields["cpu"])
	m.Libc = stringList(fields["libc"])
	m.Bin = normalizeBin(m.Name, fields["bin"])

	scripts := stringMap(fields["scripts"])
	for _, s := range []string{"preinstall", "install", "postinstall"} {
		if strings.TrimSpace(scripts[s]) != "" {
			pj.hasInstallScript = true
		}
	}
	if string(fields["gypfile"]) == "false" {
		pj.gypfile = false
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return pj, nil
}

// stringField sets *to to fields[name] if that is a JSON string.
func stringField(fields map[string]json.RawMessage, name string, to *string) bool {
	raw, ok := fields[name]
	if !ok {
		return false
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return false
	}
	*to = s
	return true
}

// dependencyMap reads a map of package names to version ranges. Absent,
// null and the empty list (seen in old packages) mean no dependencies.
func dependencyMap(raw json.RawMessage) (map[string]string, error) {
	if isNullish(raw) {
		return nil, nil
	}
	var m map[string]string
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, errors.New("want an object of package names and version ranges")
	}
	for name := range m {
		if name == "" {
			return nil, errors.New("a dependency has an empty name")
		}
	}
	if len(m) == 0 {
		return nil, nil
	}
	return m, nil
}

func isNullish(raw json.RawMessage) bool {
	s := string(bytes.TrimSpace(raw))
	return s == "" || s == "null" || s == "[]" || s == "{}"
}

func peerMeta(raw json.RawMessage) map[string]PeerMeta {
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil || len(m) == 0 {
		return nil
	}
	out := map[string]PeerMeta{}
	for name, v := range m {
		var pm PeerMeta
		if json.Unmarshal(v, &pm) == nil {
			out[name] = pm
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// bundleDependencies returns true, a list of names, or nil.
func bundleDependencies(raw json.RawMessage) (json.RawMessage, error) {
	if isNullish(raw) || string(bytes.TrimSpace(raw)) == "false" {
		return nil, nil
	}
	if string(bytes.TrimSpace(raw)) == "true" {
		return json.RawMessage("true"), nil
	}
	var names []string
	if err := json.Unmarshal(raw, &names); err != nil {
		return nil, errors.New("want a list of package names or true")
	}
	return json.Marshal(names)
}

// stringMap reads an object, keeping its string values only.
func stringMap(raw json.RawMessage) map[string]string {
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil {
		return nil
	}
	out := map[string]string{}
	for k, v := range m {
		var s string
		if json.Unmarshal(v, &s) == nil {
			out[k] = s
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// stringList reads a list of strings, or one string as a list of one.
func stringList(raw json.RawMessage) []string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		if s == "" {
			return nil
		}
		return []string{s}
	}
	var list []json.RawMessage
	if json.Unmarshal(raw, &list) != nil {
		return nil
	}
	var out []string
	for _, v := range list {
		if json.Unmarshal(v, &s) == nil {
			out = append(out, s)
		}
	}
	return out
}

// license reads "MIT", or the old {"type": "MIT"} form.
func license(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var obj struct {
		Type string `json:"type"`
	}
	if json.Unmarshal(raw, &obj) == nil {
		return obj.Type
	}
	return ""
}

// normalizeBin turns bin (a string, list or object) into the object of
// command names and paths that npm-normalize-package-bin makes.
func normalizeBin(name string, raw json.RawMessage) map[string]string {
	var entries map[string]json.RawMessage
	var s string
	var list []string
	switch {
	case json.Unmarshal(raw, &s) == nil:
		if s == "" {
			return nil
		}
		b, _ := json.Marshal(s)
		entries = map[string]json.RawMessage{name: b}
	case json.Unmarshal(raw, &list) == nil:
		entries = map[string]json.RawMessage{}
		for _, p := range list {
			b, _ := json.Marshal(p)
			entries[path.Base(p)] = b
		}
	case json.Unmarshal(raw, &entries) == nil:
	default:
		return nil
	}
	out := map[string]string{}
	for k, v := range entries {
		var target string
		if json.Unmarshal(v, &target) != nil {
			continue
		}
		cmd := cleanPath(path.Base(strings.NewReplacer("\\", "/", ":", "/").Replace(k)))
		target = cleanPath(strings.ReplaceAll(target, "\\", "/"))
		if cmd == "" || target == "" {
			continue
		}
		out[cmd] = target
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// cleanPath makes p relative to the package root without leaving it, as
// npm's path.join('/', p).slice(1) does.
func cleanPath(p string) string {
	return strings.TrimPrefix(path.Join("/", p), "/")
}

// binsFromDir lists the files under dir as commands, as npm publish does
// for directories.bin.
func binsFromDir(dir string, files []string) map[string]string {
	dir = cleanPath(strings.ReplaceAll(dir, "\\", "/"))
	if dir == "" {
		return nil
	}
	out := map[string]string{}
	// files is sorted: of several files with one base name, the last
	// wins, as in npm's glob order.
	for _, f := range files {
		rel, ok := strings.CutPrefix(f, dir+"/")
		if !ok || rel == "" || strings.HasPrefix(rel, ".") {
			continue
		}
		out[path.Base(rel)] = dir + "/" + rel
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

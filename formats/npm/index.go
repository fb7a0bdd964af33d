package npm

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/stockpile/stockpile/config"
	"github.com/stockpile/stockpile/dist"
	"github.com/stockpile/stockpile/formats"
)

// TimeFormat is how npm writes times in packuments.
const TimeFormat = "2006-01-02T15:04:05.000Z"

// KeysPath is where the registry's public keys are, relative to the
// repository folder: clients fetch <registry>/-/npm/v1/keys, and the folder's
// index.json is served at that name.
const KeysPath = "-/npm/v1/keys/index.json"

// Key types of npm's -/npm/v1/keys for an ECDSA P-256 key.
const keyType = "ecdsa-sha2-nistp256"

// version is one version of a package.
type version struct {
	a       *formats.Artifact
	pkg     *Package
	sv      semver
	version string // as the registry lists it: without build metadata
	tags    []string
}

// registryVersion drops build metadata, as npm publish does: npm looks
// versions up by the cleaned spec (npm install a@1.0.0+b asks for 1.0.0),
// and yarn 4 derives tarball URLs from the cleaned version.
func registryVersion(v string) string {
	clean, _, _ := strings.Cut(v, "+")
	return clean
}

// packageVersions is every version of one package, lowest first.
type packageVersions struct {
	name     string
	versions []*version
	distTags map[string]string
}

// Index writes, per package, the packument at <name>/index.json, the
// document of each dist-tag's version at <name>/<dist-tag>/index.json (pnpm
// asks for <name>/latest), and the tarballs at <name>/-/<base>-<version>.tgz;
// with a registry key, every version is signed and the key listed at
// -/npm/v1/keys. No client asks for <name>/<version>, so those documents are
// not written: a registry of many versions would pay a file for each.
func (format) Index(b *formats.Build, repo *config.Repository, artifacts []*formats.Artifact, tree *dist.Tree) error {
	pkgs, err := group(artifacts)
	if err != nil {
		return err
	}
	if len(pkgs) > 0 && b.BaseURL == "" {
		return errors.New("npm tarball URLs must be absolute: set base_url in repos.yaml or pass --base-url")
	}
	w := &writer{
		prefix:   repo.Name + "/",
		baseURL:  b.BaseURL + repo.Name + "/",
		key:      b.RegistryKey,
		previous: b.Previous,
		tree:     tree,
	}
	if w.key != nil {
		w.keyID = w.key.KeyID()
	}
	errs := make([]error, len(pkgs))
	next := make(chan int)
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				errs[i] = w.writePackage(pkgs[i])
			}
		}()
	}
	for i := range pkgs {
		next <- i
	}
	close(next)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	if b.RegistryKey != nil {
		doc, err := keysDocument(b.RegistryKey)
		if err != nil {
			return err
		}
		return tree.Add(w.prefix+KeysPath, doc)
	}
	return nil
}

// group decodes every artifact and sorts them into packages, checking that
// no two share a version and that each dist-tag names one version.
func group(artifacts []*formats.Artifact) ([]*packageVersions, error) {
	var errs []error
	byName := map[string]*packageVersions{}
	decoded := decodeAll(artifacts)
	for i, a := range artifacts {
		m := a.Manifest
		pkg, err := decoded[i].pkg, decoded[i].err
		if err != nil {
			errs = append(errs, m.Errorf("file", "%s: %v", m.File, err))
			continue
		}
		// Metadata is cached by content: the same bytes may arrive under
		// another file name.
		if err := checkFileName(m.File, pkg.Name, pkg.Version); err != nil {
			errs = append(errs, m.Errorf("file", "%v", err))
			continue
		}
		sv, _ := parseSemver(pkg.Version)
		p := byName[pkg.Name]
		if p == nil {
			p = &packageVersions{name: pkg.Name, distTags: map[string]string{}}
			byName[pkg.Name] = p
		}
		p.versions = append(p.versions, &version{a: a, pkg: pkg, sv: sv, version: registryVersion(pkg.Version), tags: m.Tags})
	}
	pkgs := make([]*packageVersions, 0, len(byName))
	for _, p := range byName {
		pkgs = append(pkgs, p)
	}
	sort.Slice(pkgs, func(i, j int) bool { return pkgs[i].name < pkgs[j].name })
	for _, p := range pkgs {
		// Ties (build metadata only) keep manifest order, for stable errors.
		sort.SliceStable(p.versions, func(i, j int) bool { return p.versions[i].sv.compare(p.versions[j].sv) < 0 })
		for i := 1; i < len(p.versions); i++ {
			prev, v := p.versions[i-1], p.versions[i]
			if prev.sv.compare(v.sv) != 0 {
				continue
			}
			m := v.a.Manifest
			if prev.pkg.Version == v.pkg.Version {
				errs = append(errs, m.Errorf("file", "%s: %s@%s is already listed by %s", m.File, p.name, v.pkg.Version, prev.a.Manifest.Pos("file")))
			} else {
				errs = append(errs, m.Errorf("file", "%s: %s@%s has the same precedence as %s (listed by %s): build metadata does not tell versions apart",
					m.File, p.name, v.pkg.Version, prev.pkg.Version, prev.a.Manifest.Pos("file")))
			}
		}
		errs = append(errs, p.assignTags()...)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return pkgs, nil
}

type decodedMeta struct {
	pkg *Package
	err error
}

// decodeAll decodes the metadata of every artifact, in parallel: a large
// registry has many.
func decodeAll(artifacts []*formats.Artifact) []decodedMeta {
	out := make([]decodedMeta, len(artifacts))
	workers := runtime.GOMAXPROCS(0)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(artifacts); i += workers {
				out[i].pkg, out[i].err = DecodeMeta(artifacts[i].Meta)
			}
		}()
	}
	wg.Wait()
	return out
}

// assignTags sets dist-tags: latest is the highest release (the highest
// pre-release when there is no release), the others come from manifests.
func (p *packageVersions) assignTags() []error {
	var errs []error
	latest := p.versions[len(p.versions)-1]
	for i := len(p.versions) - 1; i >= 0; i-- {
		if !p.versions[i].sv.prerelease() {
			latest = p.versions[i]
			break
		}
	}
	p.distTags["latest"] = latest.version
	claimed := map[string]*version{}
	for _, v := range p.versions {
		m := v.a.Manifest
		for _, tag := range v.tags {
			switch first, dup := claimed[tag]; {
			case dup:
				errs = append(errs, m.Errorf("tags", "dist-tag %q of %s is claimed by %s@%s and by %s@%s (%s)",
					tag, p.name, first.pkg.Name, first.version, v.pkg.Name, v.version, first.a.Manifest.Pos("tags")))
			case tag == "latest" || tag == "index.json":
				errs = append(errs, m.Errorf("tags", "dist-tag %q is reserved", tag))
			default:
				claimed[tag] = v
				p.distTags[tag] = v.version
			}
		}
	}
	return errs
}

// writer adds one repository's documents to the tree.
type writer struct {
	prefix   string // repository folder in the tree, with a trailing "/"
	baseURL  string // public URL of the repository folder, with a trailing "/"
	key      formats.RegistryKey
	keyID    string
	previous func(path string) ([]byte, error)
	tree     *dist.Tree
}

// Dist is the dist object of a version.
type Dist struct {
	Tarball      string      `json:"tarball"`
	Shasum       string      `json:"shasum"`
	Integrity    string      `json:"integrity"`
	FileCount    int         `json:"fileCount,omitempty"`
	UnpackedSize int64       `json:"unpackedSize,omitempty"`
	Signatures   []Signature `json:"signatures,omitempty"`
}

// Signature is one registry signature of a version.
type Signature struct {
	KeyID string `json:"keyid"`
	Sig   string `json:"sig"`
}

// VersionDoc is one version as the packument lists it and as the dist-tag
// documents serve it.
type VersionDoc struct {
	Manifest
	Deprecated string `json:"deprecated,omitempty"`
	ID         string `json:"_id"`
	Dist       Dist   `json:"dist"`
}

func (w *writer) writePackage(p *packageVersions) error {
	docs := make([][]byte, len(p.versions))
	prev := w.previousPackument(p.name)
	for i, v := range p.versions {
		m := v.a.Manifest
		tarball := p.name + "/-/" + tarballBase(p.name, v.version)
		d := v.a.Digests
		if err := w.tree.AddArtifact(w.prefix+tarball, v.a.Local, d.Size, d.SHA256); err != nil {
			return m.Errorf("file", "%s: %v", m.File, err)
		}
		doc, err := w.versionDoc(v, tarball, previousDist(prev, p.name+"@"+v.version))
		if err != nil {
			return m.Errorf("file", "%s: %v", m.File, err)
		}
		docs[i] = doc
	}
	tags := sortedTags(p.distTags)
	for _, tag := range tags {
		for i, v := range p.versions {
			if v.version == p.distTags[tag] {
				if err := w.tree.Add(w.prefix+p.name+"/"+tag+"/index.json", docs[i]); err != nil {
					return fmt.Errorf("package %s: dist-tag %s: %w", p.name, tag, err)
				}
			}
		}
	}
	return w.tree.Add(w.prefix+p.name+"/index.json", packument(p, tags, docs))
}

// previousPackument returns the package's packument as the previous build
// in the output folder wrote it, or nil.
func (w *writer) previousPackument(name string) []byte {
	if w.previous == nil {
		return nil
	}
	data, err := w.previous(w.prefix + name + "/index.json")
	if err != nil {
		return nil
	}
	return data
}

// previousDist finds the dist object of version id ("name@version") in a
// packument this format wrote, where it follows "_id". Only that object is
// decoded: a rebuild reads every packument of the registry, and decoding
// them whole would cost more than the rest of the index. Anything
// unexpected reads as no previous version.
func previousDist(packument []byte, id string) *Dist {
	if packument == nil {
		return nil
	}
	key, _ := json.Marshal(id)
	marker := append(append([]byte(`"_id":`), key...), `,"dist":`...)
	at := bytes.Index(packument, marker)
	if at < 0 {
		return nil
	}
	obj := jsonObject(packument[at+len(marker):])
	integrity, ok := stringAfter(obj, `"integrity":"`)
	if !ok {
		return nil
	}
	d := &Dist{Integrity: integrity}
	keyID, okKey := stringAfter(obj, `"signatures":[{"keyid":"`)
	sig, okSig := stringAfter(obj, `","sig":"`)
	if okKey && okSig && bytes.Contains(obj, []byte(`"keyid":"`+keyID+`","sig":"`+sig+`"}]`)) {
		d.Signatures = []Signature{{KeyID: keyID, Sig: sig}}
	}
	return d
}

// stringAfter returns the JSON string that follows prefix in b, if it has
// no escapes (integrity strings, key ids and signatures have none).
func stringAfter(b []byte, prefix string) (string, bool) {
	at := bytes.Index(b, []byte(prefix))
	if at < 0 {
		return "", false
	}
	rest := b[at+len(prefix):]
	end := bytes.IndexByte(rest, '"')
	if end <= 0 || bytes.IndexByte(rest[:end], '\\') >= 0 {
		return "", false
	}
	return string(rest[:end]), true
}

// jsonObject returns the JSON object at the start of b, up to its closing
// brace, or nil. It only matches braces outside strings; the caller
// validates what it returns.
func jsonObject(b []byte) []byte {
	if len(b) == 0 || b[0] != '{' {
		return nil
	}
	depth, inString := 0, false
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch {
		case inString && c == '\\':
			i++
		case c == '"':
			inString = !inString
		case inString:
		case c == '{':
			depth++
		case c == '}':
			depth--
			if depth == 0 {
				return b[:i+1]
			}
		}
	}
	return nil
}

// versionDoc writes one version's document. prev is the version's dist as
// the previous build listed it, if any: its bytes must not have changed,
// and its signature is reused when the key is the same (signatures are
// deterministic, so reuse only saves the work).
func (w *writer) versionDoc(v *version, tarball string, prev *Dist) ([]byte, error) {
	d := v.a.Digests
	sha512, err := hex.DecodeString(d.SHA512)
	if err != nil || len(sha512) != 64 {
		return nil, fmt.Errorf("no sha512 digest")
	}
	m := v.pkg.Manifest
	m.Version = v.version
	doc := VersionDoc{
		Manifest:   m,
		Deprecated: v.a.Manifest.Deprecated,
		ID:         v.pkg.Name + "@" + v.version,
		Dist: Dist{
			// S3 reads a literal '+' in a path as a space. Registry
			// versions have none, but the guard is cheap.
			Tarball:      w.baseURL + strings.ReplaceAll(tarball, "+", "%2B"),
			Shasum:       d.SHA1,
			Integrity:    "sha512-" + base64.StdEncoding.EncodeToString(sha512),
			FileCount:    v.pkg.FileCount,
			UnpackedSize: v.pkg.UnpackedSize,
		},
	}
	if prev != nil && prev.Integrity != doc.Dist.Integrity {
		return nil, fmt.Errorf("%s was built before with other bytes (integrity %s, now %s): a published version never changes, since lockfiles pin its integrity; "+
			"release a new version (if the old one was never published, remove the output folder)", doc.ID, prev.Integrity, doc.Dist.Integrity)
	}
	if w.key != nil {
		if prev != nil && len(prev.Signatures) == 1 && prev.Signatures[0].KeyID == w.keyID {
			doc.Dist.Signatures = prev.Signatures
		} else {
			sig, err := w.key.Sign([]byte(doc.ID + ":" + doc.Dist.Integrity))
			if err != nil {
				return nil, fmt.Errorf("sign %s: %w", doc.ID, err)
			}
			doc.Dist.Signatures = []Signature{{KeyID: w.keyID, Sig: base64.StdEncoding.EncodeToString(sig)}}
		}
	}
	return marshal(doc)
}

// sortedTags returns latest first, then the other tags by name.
func sortedTags(tags map[string]string) []string {
	out := make([]string, 0, len(tags))
	for t := range tags {
		if t != "latest" {
			out = append(out, t)
		}
	}
	sort.Strings(out)
	return append([]string{"latest"}, out...)
}

// packument writes the package document: name, dist-tags, versions in
// precedence order, time and modified. The order of keys is fixed so that
// the bytes depend on the registry alone.
func packument(p *packageVersions, tags []string, docs [][]byte) []byte {
	var buf bytes.Buffer
	str := func(s string) {
		b, _ := json.Marshal(s)
		buf.Write(b)
	}
	created, modified := p.versions[0].a.Added, p.versions[0].a.Added
	for _, v := range p.versions {
		if v.a.Added.Before(created) {
			created = v.a.Added
		}
		if v.a.Added.After(modified) {
			modified = v.a.Added
		}
	}
	buf.WriteString(`{"name":`)
	str(p.name)
	buf.WriteString(`,"dist-tags":{`)
	for i, t := range tags {
		if i > 0 {
			buf.WriteByte(',')
		}
		str(t)
		buf.WriteByte(':')
		str(p.distTags[t])
	}
	buf.WriteString(`},"versions":{`)
	for i, v := range p.versions {
		if i > 0 {
			buf.WriteByte(',')
		}
		str(v.version)
		buf.WriteByte(':')
		buf.Write(bytes.TrimSuffix(docs[i], []byte("\n")))
	}
	buf.WriteString(`},"time":{"created":`)
	str(npmTime(created))
	buf.WriteString(`,"modified":`)
	str(npmTime(modified))
	for _, v := range p.versions {
		buf.WriteByte(',')
		str(v.version)
		buf.WriteByte(':')
		str(npmTime(v.a.Added))
	}
	buf.WriteString(`},"modified":`)
	str(npmTime(modified))
	buf.WriteString("}\n")
	return buf.Bytes()
}

func npmTime(t time.Time) string { return t.UTC().Format(TimeFormat) }

// KeysDoc is npm's -/npm/v1/keys.
type KeysDoc struct {
	Keys []Key `json:"keys"`
}

// Key is one registry key of -/npm/v1/keys.
type Key struct {
	Expires *string `json:"expires"`
	KeyID   string  `json:"keyid"`
	KeyType string  `json:"keytype"`
	Scheme  string  `json:"scheme"`
	Key     string  `json:"key"` // base64 DER SubjectPublicKeyInfo
}

func keysDocument(k formats.RegistryKey) ([]byte, error) {
	return marshal(KeysDoc{Keys: []Key{{
		KeyID:   k.KeyID(),
		KeyType: keyType,
		Scheme:  keyType,
		Key:     base64.StdEncoding.EncodeToString(k.PublicKey()),
	}}})
}

// marshal writes v as JSON without HTML escaping, ending in a newline.
func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

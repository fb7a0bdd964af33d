package npm

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"io/fs"
	"math/rand"
	"path"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/stockpile/stockpile/config"
	"github.com/stockpile/stockpile/digest"
	"github.com/stockpile/stockpile/dist"
	"github.com/stockpile/stockpile/formats"
	"github.com/stockpile/stockpile/internal/golden"
	"github.com/stockpile/stockpile/internal/npmgen"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/")

// testKey is a fixed P-256 key, so that golden signatures never change
// (signatures are deterministic, RFC 6979).
type testKey struct{ priv *ecdsa.PrivateKey }

func newTestKey(t testing.TB) *testKey {
	t.Helper()
	d := sha256.Sum256([]byte("stockpile npm golden test key"))
	priv, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), d[:])
	if err != nil {
		t.Fatal(err)
	}
	return &testKey{priv}
}

func (k *testKey) PublicKey() []byte {
	der, _ := x509.MarshalPKIXPublicKey(&k.priv.PublicKey)
	return der
}

func (k *testKey) KeyID() string {
	sum := sha256.Sum256(k.PublicKey())
	return "SHA256:" + base64.RawStdEncoding.EncodeToString(sum[:])
}

func (k *testKey) Sign(msg []byte) ([]byte, error) {
	sum := sha256.Sum256(msg)
	return k.priv.Sign(nil, sum[:], crypto.SHA256)
}

var t0 = time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)

func testBuild(t testing.TB) *formats.Build {
	return &formats.Build{
		Now:         t0.Add(24 * time.Hour),
		BaseURL:     "https://registry.example.org/",
		RegistryKey: newTestKey(t),
		Previous:    func(string) ([]byte, error) { return nil, fs.ErrNotExist },
	}
}

func testRepo() *config.Repository { return &config.Repository{Name: "npm", Format: "npm"} }

// spec is one artifact of a test registry.
type spec struct {
	pkg        npmgen.Package
	file       string // default: npm pack's name
	tags       []string
	deprecated string
	added      time.Duration // after t0
}

func pkg(name, version string, fields ...any) npmgen.Package {
	j := map[string]any{"name": name, "version": version, "description": name + " for tests", "license": "MIT"}
	for i := 0; i+1 < len(fields); i += 2 {
		j[fields[i].(string)] = fields[i+1]
	}
	return npmgen.Package{JSON: j, Files: map[string][]byte{"index.js": []byte("module.exports = " + fmt.Sprintf("%q", name+"@"+version) + "\n")}}
}

func goldenSpecs() []spec {
	return []spec{
		{pkg: pkg("hello-npm", "1.0.0", "bin", map[string]any{"hello": "bin/hello.js"}), added: 0},
		{pkg: pkg("hello-npm", "1.0.1"), deprecated: "use 1.1.0", added: time.Hour},
		{pkg: pkg("hello-npm", "1.1.0", "dependencies", map[string]any{"@demo/greet": "^0.1.0"}, "engines", map[string]any{"node": ">=18"}), added: 2 * time.Hour},
		{pkg: pkg("hello-npm", "2.0.0-beta.1", "dependencies", map[string]any{"@demo/greet": "^0.2.0"}), tags: []string{"next", "beta"}, added: 3 * time.Hour},
		{pkg: pkg("hello-npm", "1.2.0+build.7"), added: 4 * time.Hour},
		{pkg: pkg("@demo/greet", "0.1.0", "peerDependencies", map[string]any{"react": ">=17"},
			"peerDependenciesMeta", map[string]any{"react": map[string]any{"optional": true}}), added: 30 * time.Minute},
		{pkg: pkg("@demo/greet", "0.2.0", "os", []any{"linux", "darwin"}, "cpu", []any{"x64"}), file: "greet-0.2.0.tgz", added: 90 * time.Minute},
		{pkg: pkg("@demo/edge", "1.0.0-alpha.2", "scripts", map[string]any{"install": "node-gyp rebuild"}), added: 0},
		{pkg: pkg("@demo/edge", "1.0.0-alpha.10", "optionalDependencies", map[string]any{"fsevents": "^2.3.0"}), added: time.Minute},
		{pkg: pkg("@demo/edge", "1.0.0-alpha.1"), added: 2 * time.Minute},
	}
}

// artifacts packs every spec and wraps it as the artifact of the manifest
// packages/npm/<n>.yaml.
func artifacts(t testing.TB, specs []spec) []*formats.Artifact {
	t.Helper()
	var out []*formats.Artifact
	for i, s := range specs {
		tgz := mustPack(t, s.pkg)
		file := s.file
		if file == "" {
			file = s.pkg.FileName()
		}
		out = append(out, artifactOf(t, i, tgz, file, s))
	}
	return out
}

func artifactOf(t testing.TB, n int, tgz []byte, file string, s spec) *formats.Artifact {
	t.Helper()
	meta, err := New().Inspect(bytes.NewReader(tgz), int64(len(tgz)), file)
	if err != nil {
		t.Fatalf("Inspect(%s): %v", file, err)
	}
	d, err := digest.Of(bytes.NewReader(tgz))
	if err != nil {
		t.Fatal(err)
	}
	lines := map[string]int{"file": 2, "sha256": 3, "size": 4, "source": 5}
	if s.tags != nil {
		lines["tags"] = 6
	}
	return &formats.Artifact{
		Manifest: &config.Manifest{
			Path: fmt.Sprintf("packages/npm/%02d.yaml", n), Line: 1, Repo: "npm",
			File: file, SHA256: d.SHA256, Size: d.Size, Source: "blobs/npm/" + file,
			Tags: s.tags, Deprecated: s.deprecated, Lines: lines,
		},
		Digests: d,
		Meta:    meta,
		Local:   "/blobs/" + file,
		Added:   t0.Add(s.added),
	}
}

func index(t testing.TB, b *formats.Build, arts []*formats.Artifact) *dist.Tree {
	t.Helper()
	tree := dist.NewTree()
	if err := New().Index(b, testRepo(), arts, tree); err != nil {
		t.Fatalf("Index: %v", err)
	}
	return tree
}

// TestIndexGolden compares the packuments and keys document with golden
// files (indented there for review; written compact), and lists the tree.
// Dist-tag documents must equal the packument's entries.
func TestIndexGolden(t *testing.T) {
	tree := index(t, testBuild(t), artifacts(t, goldenSpecs()))
	var listing []string
	got := map[string]string{}
	for _, f := range tree.Files() {
		if f.Data == nil {
			listing = append(listing, fmt.Sprintf("%s <- %s %d\n", f.Path, f.Source, f.Size))
			continue
		}
		listing = append(listing, fmt.Sprintf("%s %d\n", f.Path, f.Size))
		if !json.Valid(f.Data) || !bytes.HasSuffix(f.Data, []byte("}\n")) || bytes.Count(f.Data, []byte("\n")) != 1 {
			t.Errorf("%s is not one line of compact JSON", f.Path)
		}
		var pretty bytes.Buffer
		if err := json.Indent(&pretty, f.Data, "", "  "); err != nil {
			t.Fatalf("%s: %v", f.Path, err)
		}
		switch {
		case strings.HasSuffix(f.Path, "/index.json") && isPackument(f.Path):
			got[f.Path] = pretty.String()
		case strings.HasPrefix(f.Path, "npm/-/"):
			got[f.Path] = pretty.String()
		}
	}
	got["tree.txt"] = strings.Join(listing, "")
	golden.Tree(t, "testdata/golden", got, *update)
	checkVersionDocs(t, tree)
}

// isPackument reports whether an npm tree path is a packument, not a
// version document.
func isPackument(p string) bool {
	rest := strings.TrimSuffix(strings.TrimPrefix(p, "npm/"), "/index.json")
	if strings.HasPrefix(rest, "@") {
		return strings.Count(rest, "/") == 1
	}
	return !strings.Contains(rest, "/")
}

type packumentDoc struct {
	Name     string                     `json:"name"`
	DistTags map[string]string          `json:"dist-tags"`
	Versions map[string]json.RawMessage `json:"versions"`
	Time     map[string]string          `json:"time"`
	Modified string                     `json:"modified"`
}

func readPackument(t testing.TB, tree *dist.Tree, name string) *packumentDoc {
	t.Helper()
	f := tree.Get("npm/" + name + "/index.json")
	if f == nil {
		t.Fatalf("no packument for %s", name)
	}
	var p packumentDoc
	if err := json.Unmarshal(f.Data, &p); err != nil {
		t.Fatal(err)
	}
	return &p
}

// checkVersionDocs checks that every dist-tag document equals the
// packument's entry, and that every tarball URL names a tree file.
func checkVersionDocs(t *testing.T, tree *dist.Tree) {
	for _, f := range tree.Files() {
		if !strings.HasSuffix(f.Path, "/index.json") || !isPackument(f.Path) || strings.HasPrefix(f.Path, "npm/-/") {
			continue
		}
		var p packumentDoc
		if err := json.Unmarshal(f.Data, &p); err != nil {
			t.Fatal(err)
		}
		dir := path.Dir(f.Path)
		for v, raw := range p.Versions {
			if tree.Get(dir+"/"+v+"/index.json") != nil {
				t.Errorf("%s: a document for version %s", dir, v)
			}
			var vd VersionDoc
			if err := json.Unmarshal(raw, &vd); err != nil {
				t.Fatal(err)
			}
			if strings.Contains(vd.Dist.Tarball, "+") {
				t.Errorf("%s: tarball URL %s has a literal '+'", vd.ID, vd.Dist.Tarball)
			}
			u := strings.TrimPrefix(strings.ReplaceAll(vd.Dist.Tarball, "%2B", "+"), "https://registry.example.org/")
			if tgz := tree.Get(u); tgz == nil || tgz.Data != nil {
				t.Errorf("%s: tarball %s is not an artifact of the tree", vd.ID, vd.Dist.Tarball)
			}
		}
		for tag, v := range p.DistTags {
			doc := tree.Get(dir + "/" + tag + "/index.json")
			if doc == nil {
				t.Errorf("%s: no document for dist-tag %s", dir, tag)
				continue
			}
			if got := bytes.TrimSuffix(doc.Data, []byte("\n")); !bytes.Equal(got, p.Versions[v]) {
				t.Errorf("%s/%s differs from the packument's entry of %s", dir, tag, v)
			}
		}
		if len(p.Time) != len(p.Versions)+2 {
			t.Errorf("%s: time has %d entries for %d versions", f.Path, len(p.Time), len(p.Versions))
		}
	}
}

func TestIndexDistTagsAndTimes(t *testing.T) {
	tree := index(t, testBuild(t), artifacts(t, goldenSpecs()))
	tests := []struct {
		name      string
		tags      map[string]string
		versions  []string // in document order
		created   string
		modified  string
		deprecate map[string]string
	}{
		// Build metadata is dropped, as npm publish does.
		{"hello-npm", map[string]string{"latest": "1.2.0", "next": "2.0.0-beta.1", "beta": "2.0.0-beta.1"},
			[]string{"1.0.0", "1.0.1", "1.1.0", "1.2.0", "2.0.0-beta.1"},
			"2024-05-06T07:08:09.000Z", "2024-05-06T11:08:09.000Z", map[string]string{"1.0.1": "use 1.1.0"}},
		{"@demo/greet", map[string]string{"latest": "0.2.0"}, []string{"0.1.0", "0.2.0"},
			"2024-05-06T07:38:09.000Z", "2024-05-06T08:38:09.000Z", nil},
		{"@demo/edge", map[string]string{"latest": "1.0.0-alpha.10"}, []string{"1.0.0-alpha.1", "1.0.0-alpha.2", "1.0.0-alpha.10"},
			"2024-05-06T07:08:09.000Z", "2024-05-06T07:10:09.000Z", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := readPackument(t, tree, tt.name)
			if diff := cmp.Diff(tt.tags, p.DistTags); diff != "" {
				t.Errorf("dist-tags (-want +got):\n%s", diff)
			}
			raw := string(tree.Get("npm/" + tt.name + "/index.json").Data)
			last := -1
			for _, v := range tt.versions {
				at := strings.Index(raw, `"`+v+`":{`)
				if at <= last {
					t.Errorf("version %s is not in precedence order %v", v, tt.versions)
				}
				last = at
			}
			if p.Time["created"] != tt.created || p.Time["modified"] != tt.modified || p.Modified != tt.modified {
				t.Errorf("times: created %s modified %s/%s, want %s %s", p.Time["created"], p.Time["modified"], p.Modified, tt.created, tt.modified)
			}
			for v, raw := range p.Versions {
				var vd VersionDoc
				json.Unmarshal(raw, &vd)
				if vd.Deprecated != tt.deprecate[v] {
					t.Errorf("%s deprecated = %q, want %q", v, vd.Deprecated, tt.deprecate[v])
				}
				if vd.ID != tt.name+"@"+v || vd.Name != tt.name || vd.Version != v {
					t.Errorf("%s: _id %q name %q version %q", v, vd.ID, vd.Name, vd.Version)
				}
			}
		})
	}
}

func TestIndexSignatures(t *testing.T) {
	b := testBuild(t)
	tree := index(t, b, artifacts(t, goldenSpecs()))
	var keys KeysDoc
	if err := json.Unmarshal(tree.Get("npm/"+KeysPath).Data, &keys); err != nil {
		t.Fatal(err)
	}
	if len(keys.Keys) != 1 || keys.Keys[0].KeyID != b.RegistryKey.KeyID() || keys.Keys[0].KeyType != "ecdsa-sha2-nistp256" || keys.Keys[0].Expires != nil {
		t.Fatalf("keys document: %+v", keys)
	}
	der, _ := base64.StdEncoding.DecodeString(keys.Keys[0].Key)
	pub, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, f := range tree.Files() {
		if !strings.HasSuffix(f.Path, "/index.json") || !isPackument(f.Path) || strings.HasPrefix(f.Path, "npm/-/") {
			continue
		}
		var p packumentDoc
		json.Unmarshal(f.Data, &p)
		for v, raw := range p.Versions {
			var vd VersionDoc
			json.Unmarshal(raw, &vd)
			if len(vd.Dist.Signatures) != 1 || vd.Dist.Signatures[0].KeyID != keys.Keys[0].KeyID {
				t.Errorf("%s@%s: signatures %+v", p.Name, v, vd.Dist.Signatures)
				continue
			}
			sig, _ := base64.StdEncoding.DecodeString(vd.Dist.Signatures[0].Sig)
			sum := sha256.Sum256([]byte(p.Name + "@" + v + ":" + vd.Dist.Integrity))
			if !ecdsa.VerifyASN1(pub.(*ecdsa.PublicKey), sum[:], sig) {
				t.Errorf("%s@%s: signature does not verify", p.Name, v)
			}
			n++
		}
	}
	if n != len(goldenSpecs()) {
		t.Errorf("checked %d signatures, want %d", n, len(goldenSpecs()))
	}
}

func TestIndexWithoutKey(t *testing.T) {
	b := testBuild(t)
	b.RegistryKey = nil
	tree := index(t, b, artifacts(t, goldenSpecs()))
	if tree.Get("npm/"+KeysPath) != nil {
		t.Errorf("keys document written without a key")
	}
	for _, f := range tree.Files() {
		if bytes.Contains(f.Data, []byte(`"signatures"`)) {
			t.Errorf("%s has signatures without a key", f.Path)
		}
	}
}

func TestIndexEmpty(t *testing.T) {
	b := testBuild(t)
	b.BaseURL = ""
	tree := index(t, b, nil)
	if files := tree.Files(); len(files) != 1 || files[0].Path != "npm/"+KeysPath {
		t.Errorf("empty repository: %d files", len(files))
	}
}

func TestIndexDeterministic(t *testing.T) {
	arts := artifacts(t, goldenSpecs())
	first := index(t, testBuild(t), arts)
	shuffled := append([]*formats.Artifact(nil), arts...)
	rand.New(rand.NewSource(1)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	second := index(t, testBuild(t), shuffled)
	a, b := first.Files(), second.Files()
	if len(a) != len(b) {
		t.Fatalf("%d files, then %d", len(a), len(b))
	}
	for i := range a {
		if a[i].Path != b[i].Path || a[i].SHA256 != b[i].SHA256 {
			t.Errorf("%s differs between runs", a[i].Path)
		}
	}
}

func TestIndexErrors(t *testing.T) {
	tests := []struct {
		name  string
		specs []spec
		edit  func(b *formats.Build, arts []*formats.Artifact)
		want  []string
	}{
		{
			name: "same version twice",
			specs: []spec{
				{pkg: pkg("@s/x", "1.0.0")},
				{pkg: pkg("@s/x", "1.0.0"), file: "x-1.0.0.tgz"},
			},
			want: []string{"packages/npm/01.yaml:2", "@s/x@1.0.0 is already listed by packages/npm/00.yaml:2"},
		},
		{
			name:  "build metadata only",
			specs: []spec{{pkg: pkg("a", "1.0.0+one")}, {pkg: pkg("a", "1.0.0+two")}},
			want:  []string{"packages/npm/01.yaml:2", "same precedence as 1.0.0+one"},
		},
		{
			name:  "tag twice",
			specs: []spec{{pkg: pkg("a", "1.0.0"), tags: []string{"next"}}, {pkg: pkg("a", "2.0.0"), tags: []string{"next"}}},
			want:  []string{"packages/npm/01.yaml:6", `dist-tag "next" of a is claimed by a@1.0.0 and by a@2.0.0 (packages/npm/00.yaml:6)`},
		},
		{
			name:  "same tag in two packages is fine, reserved tag is not",
			specs: []spec{{pkg: pkg("a", "1.0.0"), tags: []string{"next"}}, {pkg: pkg("b", "2.0.0"), tags: []string{"next", "index.json"}}},
			want:  []string{"packages/npm/01.yaml:6", `dist-tag "index.json" is reserved`},
		},
		{
			name:  "no base URL",
			specs: []spec{{pkg: pkg("a", "1.0.0")}},
			edit:  func(b *formats.Build, _ []*formats.Artifact) { b.BaseURL = "" },
			want:  []string{"base_url"},
		},
		{
			name:  "cached metadata under another file name",
			specs: []spec{{pkg: pkg("a", "1.0.0")}},
			edit:  func(_ *formats.Build, arts []*formats.Artifact) { arts[0].Manifest.File = "b-1.0.0.tgz" },
			want:  []string{"packages/npm/00.yaml:2", `file name "b-1.0.0.tgz" does not match`},
		},
		{
			name:  "bad metadata",
			specs: []spec{{pkg: pkg("a", "1.0.0")}},
			edit:  func(_ *formats.Build, arts []*formats.Artifact) { arts[0].Meta = formats.Meta(`{"name":"A"}`) },
			want:  []string{"packages/npm/00.yaml:2", "npm metadata"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := testBuild(t)
			arts := artifacts(t, tt.specs)
			if tt.edit != nil {
				tt.edit(b, arts)
			}
			err := New().Index(b, testRepo(), arts, dist.NewTree())
			if err == nil {
				t.Fatal("Index() = nil error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Index() error = %v\nwant it to mention %q", err, w)
				}
			}
		})
	}
}

// countingKey counts signatures.
type countingKey struct {
	*testKey
	n int
}

func (k *countingKey) Sign(msg []byte) ([]byte, error) {
	k.n++
	return k.testKey.Sign(msg)
}

// previousOf serves a built tree as the previous build's output.
func previousOf(tree *dist.Tree) func(string) ([]byte, error) {
	return func(p string) ([]byte, error) {
		if f := tree.Get(p); f != nil && f.Data != nil {
			return f.Data, nil
		}
		return nil, fs.ErrNotExist
	}
}

func TestIndexPreviousBuild(t *testing.T) {
	specs := goldenSpecs()
	arts := artifacts(t, specs)
	first := index(t, testBuild(t), arts)

	t.Run("signatures are reused", func(t *testing.T) {
		b := testBuild(t)
		key := &countingKey{testKey: newTestKey(t)}
		b.RegistryKey, b.Previous = key, previousOf(first)
		extra := artifacts(t, append(specs, spec{pkg: pkg("hello-npm", "3.0.0")}))
		second := index(t, b, extra)
		if key.n != 1 {
			t.Errorf("%d signatures made, want 1 (the new version only)", key.n)
		}
		for _, f := range first.Files() {
			if f.Path == "npm/hello-npm/index.json" || f.Path == "npm/hello-npm/latest/index.json" {
				continue
			}
			if g := second.Get(f.Path); g == nil || g.SHA256 != f.SHA256 {
				t.Errorf("%s differs from the previous build", f.Path)
			}
		}
	})

	t.Run("another key signs anew", func(t *testing.T) {
		b := testBuild(t)
		d := sha256.Sum256([]byte("another key"))
		priv, _ := ecdsa.ParseRawPrivateKey(elliptic.P256(), d[:])
		key := &countingKey{testKey: &testKey{priv}}
		b.RegistryKey, b.Previous = key, previousOf(first)
		index(t, b, arts)
		if key.n != len(specs) {
			t.Errorf("%d signatures made, want %d", key.n, len(specs))
		}
	})

	t.Run("published bytes never change", func(t *testing.T) {
		b := testBuild(t)
		b.Previous = previousOf(first)
		changed := append([]spec(nil), specs...)
		changed[1].pkg = pkg("hello-npm", "1.0.1", "description", "other bytes")
		err := New().Index(b, testRepo(), artifacts(t, changed), dist.NewTree())
		if err == nil || !strings.Contains(err.Error(), "packages/npm/01.yaml:2") || !strings.Contains(err.Error(), "hello-npm@1.0.1 was built before with other bytes") {
			t.Fatalf("Index() error = %v, want a located refusal", err)
		}
	})

	t.Run("damaged previous output is ignored", func(t *testing.T) {
		b := testBuild(t)
		b.Previous = func(string) ([]byte, error) { return []byte("{not json"), nil }
		index(t, b, arts)
	})
}

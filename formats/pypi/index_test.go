package pypi

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"html"
	"io/fs"
	"math/rand"
	"net/url"
	"path"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/stockpile/stockpile/config"
	"github.com/stockpile/stockpile/digest"
	"github.com/stockpile/stockpile/dist"
	"github.com/stockpile/stockpile/formats"
	"github.com/stockpile/stockpile/internal/golden"
	"github.com/stockpile/stockpile/internal/pygen"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/")

var added = time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)

func testBuild() *formats.Build {
	return &formats.Build{
		Now:      time.Unix(1700000000, 0).UTC(),
		Compress: dist.NewCompressor(""),
		Previous: func(string) ([]byte, error) { return nil, fs.ErrNotExist },
	}
}

func testRepo() *config.Repository { return &config.Repository{Name: "pypi", Format: "pypi"} }

// distSpec is one file of the golden repository.
type distSpec struct {
	project    pygen.Project
	kind       string // "wheel", "sdist" or "zip"
	manifest   string // path below packages/pypi/; "" for <file>.yaml
	yanked     bool
	yankReason string
}

func (s distSpec) build(t testing.TB) (string, []byte) {
	must := mustFn(t)
	switch s.kind {
	case "sdist":
		return s.project.SdistName(), must(s.project.Sdist())
	case "zip":
		return s.project.SdistZipName(), must(s.project.SdistZip())
	}
	return s.project.WheelName(), must(s.project.Wheel())
}

func goldenSpecs() []distSpec {
	fooAt := func(version string) pygen.Project {
		p := foo
		p.Version = version
		return p
	}
	baz := pygen.Project{Name: "baz", Version: "2.0", Summary: "no Requires-Python"}
	qux := pygen.Project{Name: "Qux_Lib", Version: "1!1.0.post1", RequiresPython: ">=3.8,!=3.9.*"}
	return []distSpec{
		{project: foo, kind: "wheel"},
		{project: foo, kind: "sdist"},
		{project: fooAt("0.9"), kind: "wheel", yanked: true, yankReason: `broken <"quotes"> & all`},
		{project: fooAt("1.0b1"), kind: "zip", yanked: true},
		{project: fooAt("1.0.post1"), kind: "wheel"},
		{project: baz, kind: "wheel", manifest: "baz/baz-2.0-py3-none-any.whl.yaml"},
		{project: qux, kind: "wheel"},
	}
}

// artifactOf inspects data and wraps it as the artifact of a manifest.
func artifactOf(t testing.TB, manifest, file string, data []byte, local string) *formats.Artifact {
	t.Helper()
	meta, err := New().Inspect(bytes.NewReader(data), int64(len(data)), file)
	if err != nil {
		t.Fatalf("Inspect(%s): %v", file, err)
	}
	d, err := digest.Of(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	return &formats.Artifact{
		Manifest: &config.Manifest{
			Path: "packages/pypi/" + manifest, Line: 1, Repo: "pypi",
			File: file, SHA256: d.SHA256, Size: d.Size, Source: "blobs/pypi/" + file,
			Lines: map[string]int{"file": 1, "sha256": 2, "size": 3, "source": 4},
		},
		Digests: d,
		Meta:    meta,
		Local:   local,
		Added:   added,
	}
}

func goldenArtifacts(t testing.TB) []*formats.Artifact {
	var out []*formats.Artifact
	for _, s := range goldenSpecs() {
		file, data := s.build(t)
		manifest := s.manifest
		if manifest == "" {
			manifest = file + ".yaml"
		}
		a := artifactOf(t, manifest, file, data, "/blobs/"+file)
		a.Manifest.Yanked, a.Manifest.YankReason = s.yanked, s.yankReason
		out = append(out, a)
	}
	return out
}

func index(t testing.TB, arts []*formats.Artifact) *dist.Tree {
	t.Helper()
	tree := dist.NewTree()
	if err := New().Index(testBuild(), testRepo(), arts, tree); err != nil {
		t.Fatalf("Index: %v", err)
	}
	return tree
}

func TestIndexGolden(t *testing.T) {
	tree := index(t, goldenArtifacts(t))
	var listing strings.Builder
	got := map[string]string{}
	for _, f := range tree.Files() {
		rule := dist.RuleFor(f.Path)
		switch {
		case f.Data == nil:
			fmt.Fprintf(&listing, "%s <- %s %d %s\n", f.Path, f.Source, f.Size, f.SHA256)
		default:
			fmt.Fprintf(&listing, "%s %d %s\n", f.Path, f.Size, f.SHA256)
		}
		fmt.Fprintf(&listing, "  %s; %s; phase %d\n", rule.ContentType, rule.CacheControl, rule.Phase)
		if path.Base(f.Path) == "index.html" || path.Base(f.Path) == "index.json" {
			got[f.Path] = string(f.Data)
		}
	}
	got["tree.txt"] = listing.String()
	golden.Tree(t, "testdata/golden", got, *update)
}

// The pages are consistent with the tree: every link resolves to a file
// with the hash it gives, every advertised .metadata file exists with that
// hash and the wheel's METADATA bytes, JSON and HTML agree.
func TestIndexPagesConsistent(t *testing.T) {
	arts := goldenArtifacts(t)
	tree := index(t, arts)
	byFile := map[string]*formats.Artifact{}
	for _, a := range arts {
		byFile[a.Manifest.File] = a
	}
	anchor := regexp.MustCompile(`<a href="([^"]*)"([^>]*)>([^<]*)</a>`)
	attr := regexp.MustCompile(` (data-[a-z-]+)="([^"]*)"`)
	projects := 0
	for _, f := range tree.Files() {
		if !strings.HasSuffix(f.Path, "/index.json") || f.Path == "pypi/simple/index.json" {
			continue
		}
		projects++
		dir := path.Dir(f.Path)
		var page struct {
			Meta     map[string]string `json:"meta"`
			Versions []string          `json:"versions"`
			Files    []map[string]any  `json:"files"`
		}
		if err := json.Unmarshal(f.Data, &page); err != nil {
			t.Fatalf("%s: %v", f.Path, err)
		}
		if page.Meta["api-version"] != "1.1" {
			t.Errorf("%s: api-version %q", f.Path, page.Meta["api-version"])
		}
		htmlPage := tree.Get(dir + "/index.html")
		links := anchor.FindAllStringSubmatch(string(htmlPage.Data), -1)
		if len(links) != len(page.Files) {
			t.Fatalf("%s lists %d files, index.html %d", f.Path, len(page.Files), len(links))
		}
		for i, jf := range page.Files {
			name := jf["filename"].(string)
			a := byFile[name]
			if _, ok := jf["dist-info-metadata"]; ok {
				t.Errorf("%s: %s has dist-info-metadata (pip 23.0 fails on it)", f.Path, name)
			}
			target := resolve(t, dir+"/", jf["url"].(string))
			tf := tree.Get(target)
			if tf == nil || tf.SHA256 != a.Digests.SHA256 {
				t.Errorf("%s: %s links to %s, which is not the artifact", f.Path, name, target)
				continue
			}
			if path.Base(target) != name {
				t.Errorf("%s: URL %s does not end in the file name %s", f.Path, jf["url"], name)
			}
			if got := jf["hashes"].(map[string]any)["sha256"]; got != a.Digests.SHA256 {
				t.Errorf("%s: %s hash %v", f.Path, name, got)
			}
			if got := jf["size"].(float64); int64(got) != a.Digests.Size {
				t.Errorf("%s: %s size %v", f.Path, name, got)
			}
			if got := jf["upload-time"]; got != "2024-01-02T03:04:05.000000Z" {
				t.Errorf("%s: %s upload-time %v", f.Path, name, got)
			}
			var wantYanked any = false
			if a.Manifest.Yanked {
				wantYanked = true
				if a.Manifest.YankReason != "" {
					wantYanked = a.Manifest.YankReason
				}
			}
			if jf["yanked"] != wantYanked {
				t.Errorf("%s: %s yanked %v, want %v", f.Path, name, jf["yanked"], wantYanked)
			}

			// The HTML link of the same file, in the same order.
			l := links[i]
			if html.UnescapeString(l[3]) != name {
				t.Errorf("%s: link %d is %q, JSON has %q", dir, i, l[3], name)
			}
			href := html.UnescapeString(l[1])
			if want := jf["url"].(string) + "#sha256=" + a.Digests.SHA256; href != want {
				t.Errorf("%s: href %q, want %q", dir, href, want)
			}
			attrs := map[string]string{}
			for _, m := range attr.FindAllStringSubmatch(l[2], -1) {
				attrs[m[1]] = html.UnescapeString(m[2])
			}
			if rp, _ := jf["requires-python"].(string); attrs["data-requires-python"] != rp {
				t.Errorf("%s: %s data-requires-python %q, JSON %q", dir, name, attrs["data-requires-python"], rp)
			}
			if y, ok := attrs["data-yanked"]; ok != a.Manifest.Yanked || y != a.Manifest.YankReason {
				t.Errorf("%s: %s data-yanked %q (present %v)", dir, name, y, ok)
			}

			cm, hasCM := jf["core-metadata"].(map[string]any)
			if isWheel := strings.HasSuffix(name, ".whl"); hasCM != isWheel {
				t.Errorf("%s: %s core-metadata %v", f.Path, name, jf["core-metadata"])
			}
			if !hasCM {
				if tree.Get(target+".metadata") != nil {
					t.Errorf("%s.metadata exists for an sdist", target)
				}
				continue
			}
			mf := tree.Get(target + ".metadata")
			d, _ := DecodeMeta(a.Meta)
			if mf == nil || cm["sha256"] != mf.SHA256 || string(mf.Data) != d.Metadata {
				t.Errorf("%s.metadata missing, or not the METADATA its hash %v says", target, cm["sha256"])
			}
			for _, at := range []string{"data-core-metadata", "data-dist-info-metadata"} {
				if attrs[at] != "sha256="+mf.SHA256 {
					t.Errorf("%s: %s %s=%q", dir, name, at, attrs[at])
				}
			}
		}
	}
	if projects != 3 {
		t.Errorf("%d project pages, want 3", projects)
	}
}

// resolve resolves a relative URL against a tree folder, as a client does.
func resolve(t *testing.T, base, ref string) string {
	b, _ := url.Parse("http://h/" + base)
	r, err := url.Parse(ref)
	if err != nil {
		t.Fatalf("url %q: %v", ref, err)
	}
	return strings.TrimPrefix(b.ResolveReference(r).Path, "/")
}

func TestIndexDeterministic(t *testing.T) {
	arts := goldenArtifacts(t)
	first := index(t, arts)
	shuffled := append([]*formats.Artifact(nil), arts...)
	rand.New(rand.NewSource(1)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	for _, in := range [][]*formats.Artifact{arts, shuffled} {
		if diff := cmp.Diff(first.Files(), index(t, in).Files()); diff != "" {
			t.Errorf("files differ (-first +again):\n%s", diff)
		}
	}
}

func TestIndexEmpty(t *testing.T) {
	tree := index(t, nil)
	var paths []string
	for _, f := range tree.Files() {
		paths = append(paths, f.Path)
	}
	if diff := cmp.Diff([]string{"pypi/simple/index.html", "pypi/simple/index.json"}, paths); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
	if js := string(tree.Get("pypi/simple/index.json").Data); !strings.Contains(js, `"projects": []`) {
		t.Errorf("empty index.json: %s", js)
	}
}

func TestIndexErrors(t *testing.T) {
	must := mustFn(t)
	wheel := must(foo.Wheel())
	tests := []struct {
		name string
		arts func() []*formats.Artifact
		err  string
	}{
		{"folder of another project", func() []*formats.Artifact {
			return []*formats.Artifact{artifactOf(t, "other/x.yaml", foo.WheelName(), wheel, "/x")}
		}, `packages/pypi/other/x.yaml:1: foo_bar-1.0+local.1-py3-none-any.whl belongs to project "foo-bar", not to "other"`},
		{"cached metadata under another name", func() []*formats.Artifact {
			a := artifactOf(t, "x.yaml", foo.WheelName(), wheel, "/x")
			a.Manifest.File = "other-1.0+local.1-py3-none-any.whl"
			return []*formats.Artifact{a}
		}, `packages/pypi/x.yaml:1: other-1.0+local.1-py3-none-any.whl: file name is for project "other"`},
		{"names differing in case", func() []*formats.Artifact {
			a := artifactOf(t, "a.yaml", foo.WheelName(), wheel, "/x")
			b := artifactOf(t, "b.yaml", strings.ToUpper(foo.WheelName()[:7])+foo.WheelName()[7:], wheel, "/y")
			return []*formats.Artifact{a, b}
		}, "differs only in case"},
		{"bad metadata", func() []*formats.Artifact {
			a := artifactOf(t, "x.yaml", foo.WheelName(), wheel, "/x")
			a.Meta = []byte(`{"kind":"egg"}`)
			return []*formats.Artifact{a}
		}, "packages/pypi/x.yaml:1: foo_bar-1.0+local.1-py3-none-any.whl: pypi metadata lacks"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := New().Index(testBuild(), testRepo(), tt.arts(), dist.NewTree())
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Fatalf("Index = %v, want an error containing %q", err, tt.err)
			}
			if !config.IsInvalid(err) {
				t.Errorf("Index error %v is not a located config.Error", err)
			}
		})
	}
}

// A manifest in the folder of its own project is fine.
func TestIndexProjectFolder(t *testing.T) {
	wheel := mustFn(t)(foo.Wheel())
	a := artifactOf(t, "foo-bar/sub/x.yaml", foo.WheelName(), wheel, "/x")
	if tree := index(t, []*formats.Artifact{a}); tree.Get("pypi/files/foo-bar/"+foo.WheelName()) == nil {
		t.Error("wheel not placed")
	}
}

func TestEscapeSegment(t *testing.T) {
	for in, want := range map[string]string{
		"foo-1.0+local-py3-none-any.whl": "foo-1.0%2Blocal-py3-none-any.whl",
		"foo-1!2.0.tar.gz":               "foo-1%212.0.tar.gz",
		"a b~c@d.zip":                    "a%20b~c@d.zip",
	} {
		if got := escapeSegment(in); got != want {
			t.Errorf("escapeSegment(%q) = %q, want %q", in, got, want)
		}
		if back, _ := url.PathUnescape(escapeSegment(in)); back != in {
			t.Errorf("escapeSegment(%q) does not decode back: %q", in, back)
		}
	}
}

// versions lists each version once, in PEP 440 order, however its files
// spell it ("1.0" and "1.0.0" are one version).
func TestIndexVersions(t *testing.T) {
	must := mustFn(t)
	var arts []*formats.Artifact
	for _, s := range []struct{ version, kind string }{
		{"1.0.0", "wheel"}, {"1.0", "sdist"}, {"1.0.0", "sdist"}, {"0.9rc1", "wheel"}, {"1.0", "wheel"}, {"1!0.1", "wheel"},
	} {
		p := pygen.Project{Name: "v", Version: s.version}
		file, data := p.WheelName(), must(p.Wheel())
		if s.kind == "sdist" {
			file, data = p.SdistName(), must(p.Sdist())
		}
		arts = append(arts, artifactOf(t, file+".yaml", file, data, "/"+file))
	}
	var page struct{ Versions []string }
	if err := json.Unmarshal(index(t, arts).Get("pypi/simple/v/index.json").Data, &page); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"0.9rc1", "1.0", "1!0.1"}, page.Versions); diff != "" {
		t.Errorf("versions (-want +got):\n%s", diff)
	}
}

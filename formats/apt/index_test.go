package apt

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"math/rand"
	"path"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/ulikunitz/xz"

	"github.com/stockpile/stockpile/config"
	"github.com/stockpile/stockpile/digest"
	"github.com/stockpile/stockpile/dist"
	"github.com/stockpile/stockpile/formats"
	"github.com/stockpile/stockpile/internal/debgen"
	"github.com/stockpile/stockpile/internal/golden"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/")

func testBuild() *formats.Build {
	return &formats.Build{
		Now:      time.Unix(1700000000, 0).UTC(),
		Compress: dist.NewCompressor(""),
		Previous: func(string) ([]byte, error) { return nil, fs.ErrNotExist },
	}
}

func testRepo() *config.Repository {
	return &config.Repository{
		Name:        "apt",
		Format:      "apt",
		Description: "Example packages",
		Apt: &config.Apt{
			Origin:        "Example",
			Label:         "Example Repo",
			Suites:        []string{"stable", "testing", "old"},
			Components:    []string{"main", "contrib"},
			Architectures: []string{"amd64", "arm64"},
			ValidFor:      config.Duration(7 * 24 * time.Hour),
		},
	}
}

// pkgSpec is one package of the golden repository.
type pkgSpec struct {
	control          debgen.Control
	suite, component string
	compression      debgen.Compression
}

func goldenSpecs() []pkgSpec {
	ctl := func(name, version, arch string) debgen.Control {
		return debgen.Control{
			Package: name, Version: version, Architecture: arch,
			Maintainer:    "Jane Doe <jane@example.org>",
			InstalledSize: 4,
			Section:       "misc",
			Priority:      "optional",
			Description:   name + " for tests\nA package of the golden repository.\n\nIt has two paragraphs.",
		}
	}
	hello := func(version, arch string) debgen.Control {
		c := ctl("hello", version, arch)
		c.Source = "hello-src (2.10-3)"
		c.Depends = "libc6 (>= 2.36), data-common (>= 0.1)"
		c.Extra = []debgen.Field{{Name: "Multi-Arch", Value: "foreign"}}
		return c
	}
	libfoo := ctl("libfoo++1", "1.0+dfsg-1", "amd64")
	libfoo.Source = "foo (1.0+dfsg-1)"
	tool := ctl("tool", "3.0~beta2", "amd64")
	tool.Depends = "data-common"
	return []pkgSpec{
		{hello("1:2.10-3+b1", "amd64"), "stable", "main", debgen.XZ},
		{hello("1:2.10-3+b1", "arm64"), "stable", "main", debgen.Gzip},
		{hello("2.9~rc1-1", "amd64"), "stable", "main", debgen.Zstd},
		{hello("1:2.10-3~bpo12+1", "amd64"), "stable", "main", debgen.None},
		{libfoo, "stable", "main", debgen.Gzip},
		{ctl("libbar", "0.5-1", "arm64"), "stable", "main", debgen.Gzip},
		{ctl("data-common", "0.1-1", "all"), "stable", "main", debgen.Gzip},
		{tool, "testing", "contrib", debgen.Gzip},
		{ctl("data-common", "0.2-1", "all"), "testing", "main", debgen.Gzip},
	}
}

// debFileName is the name Debian gives a package file.
func debFileName(c debgen.Control) string {
	v := c.Version
	if _, after, ok := strings.Cut(v, ":"); ok {
		v = after
	}
	return c.Package + "_" + v + "_" + c.Architecture + ".deb"
}

// artifactOf inspects deb and wraps it as an artifact of a manifest at
// packages/apt/<n>.yaml.
func artifactOf(t testing.TB, n int, deb []byte, file, suite, component, local string) *formats.Artifact {
	t.Helper()
	meta, err := New().Inspect(bytes.NewReader(deb), int64(len(deb)), file)
	if err != nil {
		t.Fatalf("Inspect(%s): %v", file, err)
	}
	d, err := digest.Of(bytes.NewReader(deb))
	if err != nil {
		t.Fatal(err)
	}
	return &formats.Artifact{
		Manifest: &config.Manifest{
			Path: fmt.Sprintf("packages/apt/%02d.yaml", n), Line: 1, Repo: "apt",
			File: file, SHA256: d.SHA256, Size: d.Size, Source: "blobs/" + file,
			Suite: suite, Component: component,
			Lines: map[string]int{"file": 2, "sha256": 3, "size": 4, "source": 5},
		},
		Digests: d,
		Meta:    meta,
		Local:   local,
	}
}

func goldenArtifacts(t testing.TB) []*formats.Artifact {
	var out []*formats.Artifact
	for i, s := range goldenSpecs() {
		deb := mustBuild(t, debgen.Options{Control: s.compression}, s.control, map[string][]byte{"usr/share/doc/x": []byte(s.control.Package)})
		file := debFileName(s.control)
		out = append(out, artifactOf(t, i, deb, file, s.suite, s.component, "/blobs/"+file))
	}
	return out
}

func index(t testing.TB, b *formats.Build, repo *config.Repository, arts []*formats.Artifact) *dist.Tree {
	t.Helper()
	tree := dist.NewTree()
	if err := New().Index(b, repo, arts, tree); err != nil {
		t.Fatalf("Index: %v", err)
	}
	return tree
}

func TestIndexGolden(t *testing.T) {
	tree := index(t, testBuild(), testRepo(), goldenArtifacts(t))
	got := map[string]string{"tree.txt": describeTree(t, tree)}
	for _, f := range tree.Files() {
		switch path.Base(f.Path) {
		case "Packages", "Release":
			got[f.Path] = string(f.Data)
		}
		if path.Base(f.Path) == "Release" {
			got[f.Path] = normalizeRelease(t, tree, f)
		}
	}
	golden.Tree(t, "testdata/golden", got, *update)
}

// describeTree lists every file of the tree and every signature request.
// Compressed files are named, not hashed, so that the listing does not
// depend on the compressor; their content is checked against Packages.
func describeTree(t *testing.T, tree *dist.Tree) string {
	var lines []string
	for _, f := range tree.Files() {
		var b strings.Builder
		switch {
		case f.Data == nil:
			fmt.Fprintf(&b, "%s <- %s %d %s\n", f.Path, f.Source, f.Size, f.SHA256)
		case strings.Contains(f.Path, "/by-hash/SHA256/"):
			dir := f.Path[:strings.Index(f.Path, "/by-hash/")]
			variant := ""
			for _, v := range []string{"Packages", "Packages.gz", "Packages.xz"} {
				if named := tree.Get(dir + "/" + v); named != nil && named.SHA256 == path.Base(f.Path) && bytes.Equal(named.Data, f.Data) {
					variant = v
				}
			}
			if variant == "" {
				t.Errorf("%s copies none of the Packages files of %s", f.Path, dir)
			}
			if variant == "Packages" {
				fmt.Fprintf(&b, "%s = %s\n", f.Path, variant)
			} else {
				fmt.Fprintf(&b, "%s/by-hash/SHA256/{%s} = %s\n", dir, variant, variant)
			}
		case path.Base(f.Path) == "Release":
			// Its bytes hold the compressed files' hashes; its golden file
			// is normalized.
			fmt.Fprintf(&b, "%s (see golden file)\n", f.Path)
		case strings.HasSuffix(f.Path, ".gz") || strings.HasSuffix(f.Path, ".xz"):
			plain := tree.Get(strings.TrimSuffix(strings.TrimSuffix(f.Path, ".gz"), ".xz"))
			if plain == nil {
				t.Fatalf("%s has no uncompressed twin", f.Path)
			}
			if got := decompress(t, f.Path, f.Data); !bytes.Equal(got, plain.Data) {
				t.Errorf("%s decompresses to other bytes than %s", f.Path, plain.Path)
			}
			fmt.Fprintf(&b, "%s (compressed)\n", f.Path)
		default:
			fmt.Fprintf(&b, "%s %d %s\n", f.Path, f.Size, f.SHA256)
		}
		lines = append(lines, b.String())
	}
	sort.Strings(lines)
	b := strings.Builder{}
	b.WriteString(strings.Join(lines, ""))
	kinds := map[dist.SignKind]string{dist.ClearSign: "clearsign", dist.DetachSign: "detach", dist.PublicKeyArmor: "key-armor", dist.PublicKeyBinary: "key-binary"}
	for _, r := range tree.SignRequests() {
		fmt.Fprintf(&b, "sign %s %s -> %s\n", kinds[r.Kind], r.Of, r.Path)
	}
	return b.String()
}

func decompress(t testing.TB, name string, data []byte) []byte {
	t.Helper()
	var r io.Reader
	var err error
	if strings.HasSuffix(name, ".gz") {
		r, err = gzip.NewReader(bytes.NewReader(data))
	} else {
		r, err = xz.NewReader(bytes.NewReader(data))
	}
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	out, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return out
}

var releaseSum = regexp.MustCompile(`^ ([0-9a-f]{64}) +(\d+) (\S+)$`)

// normalizeRelease checks every SHA256 line of a Release file against the
// tree and replaces the hash and size of compressed files by placeholders.
func normalizeRelease(t *testing.T, tree *dist.Tree, rel *dist.File) string {
	dir := path.Dir(rel.Path)
	lines := strings.Split(string(rel.Data), "\n")
	for i, line := range lines {
		m := releaseSum.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		f := tree.Get(dir + "/" + m[3])
		if f == nil {
			t.Errorf("%s lists %s, which is not in the tree", rel.Path, m[3])
			continue
		}
		if f.SHA256 != m[1] || fmt.Sprint(f.Size) != m[2] {
			t.Errorf("%s lists %s as %s %s, the tree has %s %d", rel.Path, m[3], m[1], m[2], f.SHA256, f.Size)
		}
		if tree.Get(path.Dir(f.Path)+"/by-hash/SHA256/"+m[1]) == nil {
			t.Errorf("%s: no by-hash copy of %s", rel.Path, m[3])
		}
		if !strings.HasSuffix(m[3], "/Packages") {
			lines[i] = fmt.Sprintf(" {sha256} {size} %s", m[3])
		}
	}
	return strings.Join(lines, "\n")
}

func TestIndexDeterministic(t *testing.T) {
	arts := goldenArtifacts(t)
	first := index(t, testBuild(), testRepo(), arts)
	shuffled := append([]*formats.Artifact(nil), arts...)
	rand.New(rand.NewSource(1)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	for _, in := range [][]*formats.Artifact{arts, shuffled} {
		again := index(t, testBuild(), testRepo(), in)
		if diff := cmp.Diff(first.Files(), again.Files()); diff != "" {
			t.Errorf("files differ (-first +again):\n%s", diff)
		}
		if diff := cmp.Diff(first.SignRequests(), again.SignRequests()); diff != "" {
			t.Errorf("sign requests differ (-first +again):\n%s", diff)
		}
	}
}

func TestIndexErrors(t *testing.T) {
	mk := func(n int, c debgen.Control, file string) *formats.Artifact {
		deb := mustBuild(t, debgen.Options{}, c, nil)
		return artifactOf(t, n, deb, file, "stable", "main", "/x/"+file)
	}
	c := func(name, version, arch string) debgen.Control {
		return debgen.Control{Package: name, Version: version, Architecture: arch, Description: "x"}
	}
	badMeta := mk(5, c("ok", "1", "all"), "ok_1_all.deb")
	badMeta.Meta = formats.Meta(`{"package":"ok"}`)
	arts := []*formats.Artifact{
		mk(0, c("hello", "1.0", "amd64"), "hello_1.0_amd64.deb"),
		mk(1, c("hello", "1.0", "amd64"), "hello_1.0_amd64-again.deb"),
		mk(2, c("hello", "1.0", "s390x"), "hello_1.0_s390x.deb"),
		mk(3, c("pp", "1.0+x", "amd64"), "pp_1.0+x.deb"),
		mk(4, c("pp", "1.0.x", "amd64"), "pp_1.0_x.deb"),
		badMeta,
	}
	err := New().Index(testBuild(), testRepo(), arts, dist.NewTree())
	if err == nil {
		t.Fatal("Index: no error")
	}
	want := []string{
		`packages/apt/01.yaml:2: hello_1.0_amd64-again.deb: package hello 1.0 (amd64) is already in stable/main by packages/apt/00.yaml:2`,
		`packages/apt/02.yaml:2: hello_1.0_s390x.deb: architecture "s390x" is not one of repository "apt"'s architectures (amd64, arm64) nor all`,
		`packages/apt/04.yaml:2: pp_1.0_x.deb: pool path pool/main/p/pp_1.0_x.deb is also taken by packages/apt/03.yaml:2`,
		`packages/apt/05.yaml:2: ok_1_all.deb: apt metadata lacks control, package, version, architecture or source`,
	}
	if diff := cmp.Diff(strings.Join(want, "\n"), err.Error()); diff != "" {
		t.Errorf("Index error (-want +got):\n%s", diff)
	}
	if !config.IsInvalid(err) {
		t.Errorf("Index error is not a config.Error: %v", err)
	}
}

func TestReleaseDate(t *testing.T) {
	later := "Origin: x\nDate: Wed, 15 Nov 2023 00:00:00 UTC\nSuite: stable\n"
	tests := []struct {
		name      string
		prev      string
		prevErr   error
		date      string
		validTill string
	}{
		{"no previous", "", fs.ErrNotExist, "Tue, 14 Nov 2023 22:13:20 UTC", "Tue, 21 Nov 2023 22:13:20 UTC"},
		{"previous is older", "Date: Mon, 13 Nov 2023 00:00:00 UTC\n", nil, "Tue, 14 Nov 2023 22:13:20 UTC", "Tue, 21 Nov 2023 22:13:20 UTC"},
		{"previous is later", later, nil, "Wed, 15 Nov 2023 00:00:00 UTC", "Wed, 22 Nov 2023 00:00:00 UTC"},
		{"previous with offset", "Date: Wed, 15 Nov 2023 02:00:00 +0200\n", nil, "Wed, 15 Nov 2023 00:00:00 UTC", "Wed, 22 Nov 2023 00:00:00 UTC"},
		{"previous signed", "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\n" + later, nil, "Wed, 15 Nov 2023 00:00:00 UTC", "Wed, 22 Nov 2023 00:00:00 UTC"},
		{"previous unreadable", "Date: yesterday\n", nil, "Tue, 14 Nov 2023 22:13:20 UTC", "Tue, 21 Nov 2023 22:13:20 UTC"},
		{"read error", "", errors.New("boom"), "Tue, 14 Nov 2023 22:13:20 UTC", "Tue, 21 Nov 2023 22:13:20 UTC"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := testBuild()
			b.Now = b.Now.Add(400 * time.Millisecond) // dropped: Release dates are whole seconds
			var asked []string
			b.Previous = func(p string) ([]byte, error) {
				asked = append(asked, p)
				return []byte(tc.prev), tc.prevErr
			}
			repo := testRepo()
			repo.Apt.Suites = []string{"stable"}
			tree := index(t, b, repo, nil)
			rel := string(tree.Get("apt/dists/stable/Release").Data)
			for _, want := range []string{"\nDate: " + tc.date + "\n", "\nValid-Until: " + tc.validTill + "\n"} {
				if !strings.Contains(rel, want) {
					t.Errorf("Release lacks %q:\n%s", want, rel)
				}
			}
			if diff := cmp.Diff([]string{"apt/dists/stable/Release"}, asked); diff != "" {
				t.Errorf("Previous calls (-want +got):\n%s", diff)
			}
		})
	}
}

func TestReleaseFields(t *testing.T) {
	repo := testRepo()
	repo.Apt.ValidFor = 0
	repo.Apt.Origin = "Evil\nSuite: other"
	repo.Description = ""
	repo.Apt.Suites = []string{"stable"}
	repo.Apt.Components = []string{"main"}
	tree := index(t, testBuild(), repo, nil)
	rel := string(tree.Get("apt/dists/stable/Release").Data)
	want := `Origin: Evil Suite: other
Label: Example Repo
Suite: stable
Codename: stable
Date: Tue, 14 Nov 2023 22:13:20 UTC
Architectures: amd64 arm64
Components: main
Acquire-By-Hash: yes
SHA256:
`
	if !strings.HasPrefix(rel, want) {
		t.Errorf("Release starts with:\n%s\nwant:\n%s", rel[:min(len(rel), len(want)+20)], want)
	}
	// Empty indexes are still listed, with the hash of nothing.
	empty := sha256.Sum256(nil)
	if line := " " + hex.EncodeToString(empty[:]) + "                0 main/binary-amd64/Packages\n"; !strings.Contains(rel, line) {
		t.Errorf("Release lacks %q:\n%s", line, rel)
	}
}

// TestStanzaOwnFields checks that fields the repository writes replace the
// control file's own.
func TestStanzaOwnFields(t *testing.T) {
	ctl := debgen.Control{
		Package: "ab", Version: "1", Architecture: "all", Description: "x",
		Extra: []debgen.Field{{Name: "Size", Value: "1"}, {Name: "filename", Value: "evil\n continued"}, {Name: "X-Keep", Value: "yes"}},
	}
	a := artifactOf(t, 0, mustBuild(t, debgen.Options{}, ctl, nil), "ab_1_all.deb", "stable", "main", "/x")
	pkg, err := DecodeMeta(a.Meta)
	if err != nil {
		t.Fatal(err)
	}
	got := string(stanza(pkg, "pool/main/a/ab/ab_1_all.deb", a))
	d := a.Digests
	want := fmt.Sprintf("Package: ab\nVersion: 1\nArchitecture: all\nX-Keep: yes\nDescription: x\n"+
		"Filename: pool/main/a/ab/ab_1_all.deb\nSize: %d\nMD5sum: %s\nSHA1: %s\nSHA256: %s\nSHA512: %s\n", d.Size, d.MD5, d.SHA1, d.SHA256, d.SHA512)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("stanza (-want +got):\n%s", diff)
	}
}

func TestPoolPath(t *testing.T) {
	tests := []struct{ component, source, file, want string }{
		{"main", "hello", "hello_1.0_amd64.deb", "pool/main/h/hello_1.0_amd64.deb"},
		{"main", "libfoo", "libfoo1_1.0+dfsg-1_amd64.deb", "pool/main/libf/libfoo1_1.0_dfsg-1_amd64.deb"},
		{"contrib", "lib", "lib_1_all.deb", "pool/contrib/l/lib_1_all.deb"},
		{"main", "g++", "g++_1_all.deb", "pool/main/g/g___1_all.deb"},
	}
	for _, tc := range tests {
		if got := poolPath(tc.component, tc.source, tc.file); got != tc.want {
			t.Errorf("poolPath(%q, %q, %q) = %q, want %q", tc.component, tc.source, tc.file, got, tc.want)
		}
	}
}

// BenchmarkIndex10k indexes 10,000 packages' metadata (no file I/O), 20% of
// them Architecture: all, into one suite with two architectures, with a new
// compressor each time (nothing cached).
func BenchmarkIndex10k(b *testing.B) {
	benchmarkIndex(b, false)
}

// BenchmarkIndex10kWarm is BenchmarkIndex10k with one compressor for every
// run, as a rebuild in the same process with unchanged indexes.
func BenchmarkIndex10kWarm(b *testing.B) {
	benchmarkIndex(b, true)
}

func benchmarkIndex(b *testing.B, warm bool) {
	arts := syntheticArtifacts(b, 10000)
	repo := testRepo()
	repo.Apt.Suites = []string{"stable"}
	repo.Apt.Components = []string{"main"}
	build := testBuild()
	b.ResetTimer()
	for b.Loop() {
		if !warm {
			build.Compress = dist.NewCompressor("")
		}
		if err := New().Index(build, repo, arts, dist.NewTree()); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPlace10k measures everything but compression: decoding metadata,
// checks, stanzas, sorting.
func BenchmarkPlace10k(b *testing.B) {
	arts := syntheticArtifacts(b, 10000)
	repo := testRepo()
	b.ResetTimer()
	for b.Loop() {
		entries, err := place(repo, arts)
		if err != nil {
			b.Fatal(err)
		}
		packagesIndexes(repo, []string{"stable"}, []string{"main"}, entries)
	}
}

func syntheticArtifacts(b testing.TB, n int) []*formats.Artifact {
	r := rand.New(rand.NewSource(1))
	words := strings.Fields("alpha beta gamma delta stream image audio text config cache index build test debug log metrics server client")
	sentence := func(k int) string {
		s := make([]string, k)
		for i := range s {
			s[i] = words[r.Intn(len(words))]
		}
		return strings.Join(s, " ")
	}
	hexOf := func(n int) string {
		buf := make([]byte, n)
		r.Read(buf)
		return hex.EncodeToString(buf)
	}
	arts := make([]*formats.Artifact, n)
	for i := range arts {
		name := fmt.Sprintf("%s%d", words[r.Intn(len(words))], i)
		if i%3 == 0 {
			name = "lib" + name
		}
		version := fmt.Sprintf("%d.%d.%d-%d", r.Intn(5), r.Intn(30), r.Intn(20), 1+r.Intn(4))
		if i%4 == 0 {
			version = "1:" + version
		}
		arch := "amd64"
		if i%5 == 0 {
			arch = "all"
		}
		ctl := debgen.Control{
			Package: name, Version: version, Architecture: arch,
			Maintainer: "Corpus Generator <corpus@example.org>", InstalledSize: int64(r.Intn(5000)),
			Depends: "libc6 (>= 2.36), " + fmt.Sprintf("%s%d (>= 1.0)", words[r.Intn(len(words))], r.Intn(n)),
			Section: "utils", Priority: "optional", Homepage: "https://example.org/" + name,
			Description: sentence(6) + "\n" + sentence(12) + "\n" + sentence(12) + "\n\n" + sentence(10),
		}
		meta, err := json.Marshal(&Package{Control: ctl.Text(), Package: name, Version: version, Architecture: arch, Source: name})
		if err != nil {
			b.Fatal(err)
		}
		file := debFileName(ctl)
		arts[i] = &formats.Artifact{
			Manifest: &config.Manifest{Path: fmt.Sprintf("packages/apt/%05d.yaml", i), Line: 1, Repo: "apt", File: file, Suite: "stable", Component: "main"},
			Digests:  digest.Set{Size: int64(1000 + r.Intn(100000)), MD5: hexOf(16), SHA1: hexOf(20), SHA256: hexOf(32), SHA512: hexOf(64)},
			Meta:     meta,
			Local:    "/blobs/" + file,
		}
	}
	return arts
}

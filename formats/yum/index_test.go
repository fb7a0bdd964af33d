package yum

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/stockpile/stockpile/config"
	"github.com/stockpile/stockpile/dist"
	"github.com/stockpile/stockpile/formats"
	"github.com/stockpile/stockpile/internal/rpmgen"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/")

func testRepo() *config.Repository {
	return &config.Repository{Name: "yum", Format: "yum", Description: "Example\n  packages"}
}

// goldenArtifacts are the edge packages as artifacts, added an hour apart
// in file name order.
func goldenArtifacts(t testing.TB) []*formats.Artifact {
	t.Helper()
	rpms := buildEdge(t)
	var out []*formats.Artifact
	for i, name := range sortedNames(rpms) {
		out = append(out, artifactOf(t, i, rpms[name], name, "/blobs/"+name, time.Unix(1700000000+3600*int64(i), 0)))
	}
	return out
}

func indexTree(t testing.TB, b *formats.Build, arts []*formats.Artifact) *dist.Tree {
	t.Helper()
	tree := dist.NewTree()
	if err := New().Index(b, testRepo(), arts, tree); err != nil {
		t.Fatalf("Index: %v", err)
	}
	return tree
}

func gunzip(t testing.TB, data []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		os.MkdirAll(filepath.Dir(path), 0o755)
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s differs from the golden file (-want +got):\n%s", name, diff)
	}
}

// metadataFile returns the uncompressed file of a data type via repomd.xml.
func metadataFile(t testing.TB, tree *dist.Tree, kind string) []byte {
	t.Helper()
	repomd := tree.Get("yum/repodata/repomd.xml")
	if repomd == nil {
		t.Fatal("no repomd.xml")
	}
	for _, m := range repomdLocation.FindAllStringSubmatch(string(repomd.Data), -1) {
		if m[1] == kind {
			f := tree.Get("yum/" + m[2])
			if f == nil {
				t.Fatalf("repomd.xml names %s, which is not in the tree", m[2])
			}
			return gunzip(t, f.Data)
		}
	}
	t.Fatalf("repomd.xml lists no %s", kind)
	return nil
}

func TestIndexGolden(t *testing.T) {
	tree := indexTree(t, testBuild(), goldenArtifacts(t))
	for _, kind := range []string{"primary", "filelists", "other"} {
		checkGolden(t, kind+".xml", metadataFile(t, tree, kind))
	}
	checkGolden(t, "repomd.xml", tree.Get("yum/repodata/repomd.xml").Data)
	checkGolden(t, "yum.repo", tree.Get("yum/yum.repo").Data)
	var listing strings.Builder
	for _, f := range tree.Files() {
		kind := "generated"
		if f.Data == nil {
			kind = "artifact " + f.Source
		}
		r := dist.RuleFor(f.Path)
		fmt.Fprintf(&listing, "%s  %s  %s  phase %d\n", f.Path, kind, r.ContentType, r.Phase)
	}
	for _, s := range tree.SignRequests() {
		fmt.Fprintf(&listing, "sign %d %s -> %s\n", s.Kind, s.Of, s.Path)
	}
	checkGolden(t, "tree.txt", []byte(listing.String()))
}

// repomd.xml's checksums and sizes describe the files it names, whose
// names carry the sha256 of their compressed bytes.
func TestIndexRepomdMatchesFiles(t *testing.T) {
	tree := indexTree(t, testBuild(), goldenArtifacts(t))
	repomd := string(tree.Get("yum/repodata/repomd.xml").Data)
	data := regexp.MustCompile(`(?s)<data type="(\w+)">\s*<checksum type="sha256">(\w+)</checksum>\s*<open-checksum type="sha256">(\w+)</open-checksum>\s*<location href="([^"]+)"/>\s*<timestamp>(\d+)</timestamp>\s*<size>(\d+)</size>\s*<open-size>(\d+)</open-size>`)
	matches := data.FindAllStringSubmatch(repomd, -1)
	if len(matches) != 3 {
		t.Fatalf("repomd.xml has %d data entries:\n%s", len(matches), repomd)
	}
	for _, m := range matches {
		f := tree.Get("yum/" + m[4])
		if f == nil {
			t.Fatalf("%s is not in the tree", m[4])
		}
		plain := gunzip(t, f.Data)
		sum, open := sha256.Sum256(f.Data), sha256.Sum256(plain)
		if hex.EncodeToString(sum[:]) != m[2] || !strings.Contains(m[4], m[2]+"-"+m[1]+".xml.gz") || hex.EncodeToString(open[:]) != m[3] ||
			fmt.Sprint(len(f.Data)) != m[6] || fmt.Sprint(len(plain)) != m[7] || m[5] != "1700000000" {
			t.Errorf("data %s: %v does not describe its file", m[1], m[2:])
		}
		if dist.RuleFor(f.Path).CacheControl != dist.CacheImmutable {
			t.Errorf("%s is not immutable", f.Path)
		}
	}
}

// The bytes depend on the packages alone, not on the order of the
// artifacts or the number of cores.
func TestIndexDeterministic(t *testing.T) {
	arts := goldenArtifacts(t)
	want := indexTree(t, testBuild(), arts).Files()
	for i := 0; i < 3; i++ {
		shuffled := append([]*formats.Artifact(nil), arts...)
		rand.New(rand.NewSource(int64(i))).Shuffle(len(shuffled), func(a, b int) { shuffled[a], shuffled[b] = shuffled[b], shuffled[a] })
		got := indexTree(t, testBuild(), shuffled).Files()
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("shuffle %d changed the tree (-want +got):\n%s", i, diff)
		}
	}
}

func TestIndexOrder(t *testing.T) {
	tree := indexTree(t, testBuild(), goldenArtifacts(t))
	var got []string
	re := regexp.MustCompile(`<name>([^<]+)</name>\s*<arch>([^<]+)</arch>\s*<version epoch="(\d+)" ver="([^"]+)" rel="([^"]+)"/>`)
	for _, m := range re.FindAllStringSubmatch(string(metadataFile(t, tree, "primary")), -1) {
		got = append(got, fmt.Sprintf("%s-%s:%s-%s.%s", m[1], m[3], m[4], m[5], m[2]))
	}
	want := []string{
		"Zebra-0:1-1.noarch",
		"hello-0:1.0~rc1-1.x86_64",
		"hello-0:1.0-1.aarch64",
		"hello-0:1.0-1.noarch",
		"hello-0:1.0-1.src",
		"hello-0:1.0-1.x86_64",
		"hello-0:1.0^git20240101-1.x86_64",
		"hello-1:0.9-1.x86_64",
		"libstdc++-0:13.2.1+really13.2-1.fc39.x86_64",
		"no-self-provide-4:2-3.noarch",
		"odd-text-0:1-1.noarch",
		"weak-deps-0:1-1.noarch",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("primary.xml order (-want +got):\n%s", diff)
	}
}

func TestIndexRefuses(t *testing.T) {
	build := func(p rpmgen.Package) []byte {
		b, err := rpmgen.Build(p, rpmgen.Options{})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	a := rpmgen.Package{Name: "a", Version: "1", Release: "1"}
	aAgain := a
	aAgain.Summary = "other bytes, same package"
	plus := rpmgen.Package{Name: "a+b", Version: "1", Release: "1"}
	under := rpmgen.Package{Name: "a_b", Version: "1", Release: "1"}
	tests := []struct {
		name string
		arts []*formats.Artifact
		want []string
	}{
		{"the same package twice", []*formats.Artifact{
			artifactOf(t, 1, build(a), "a-1-1.noarch.rpm", "", time.Time{}),
			artifactOf(t, 2, build(aAgain), "a-1-1.noarch.copy.rpm", "", time.Time{}),
		}, []string{"packages/yum/02.yaml:2", "a-1-1.noarch is already in the repository by packages/yum/01.yaml:2"}},
		{"two files at one location", []*formats.Artifact{
			artifactOf(t, 1, build(plus), "a+b-1-1.noarch.rpm", "", time.Time{}),
			artifactOf(t, 2, build(under), "a_b-1-1.noarch.rpm", "", time.Time{}),
		}, []string{"packages/yum/02.yaml:2", "location Packages/a/a_b-1-1.noarch.rpm is also taken by packages/yum/01.yaml:2"}},
		{"metadata that is not ours", []*formats.Artifact{{
			Manifest: &config.Manifest{Path: "packages/yum/x.yaml", File: "x.rpm", Lines: map[string]int{"file": 3}},
			Meta:     formats.Meta(`{"name":"x"}`),
		}}, []string{"packages/yum/x.yaml:3", "lacks name, version"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := New().Index(testBuild(), testRepo(), tt.arts, dist.NewTree())
			if err == nil {
				t.Fatal("Index accepted it")
			}
			var located *config.Error
			if !errors.As(err, &located) {
				t.Errorf("error %v is not located", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

func TestIndexRevision(t *testing.T) {
	prev := func(data string, err error) *formats.Build {
		b := testBuild()
		b.Previous = func(p string) ([]byte, error) {
			if p != "yum/repodata/repomd.xml" {
				t.Errorf("Previous(%q)", p)
			}
			return []byte(data), err
		}
		return b
	}
	tests := []struct {
		name string
		b    *formats.Build
		want string
	}{
		{"first build", testBuild(), "1700000000"},
		{"older previous", prev("<repomd><revision>1600000000</revision></repomd>", nil), "1700000000"},
		{"newer previous", prev("<repomd>\n  <revision>1800000000</revision>\n</repomd>", nil), "1800000000"},
		{"unreadable previous", prev("<repomd><revision>soon</revision></repomd>", nil), "1700000000"},
		{"no previous", prev("", os.ErrNotExist), "1700000000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			repomd := string(indexTree(t, tt.b, nil).Get("yum/repodata/repomd.xml").Data)
			if !strings.Contains(repomd, "<revision>"+tt.want+"</revision>") {
				t.Errorf("repomd.xml lacks revision %s:\n%s", tt.want, repomd)
			}
		})
	}
}

func TestIndexEmptyAndNoBaseURL(t *testing.T) {
	b := testBuild()
	b.BaseURL = ""
	tree := indexTree(t, b, nil)
	if tree.Get("yum/yum.repo") != nil {
		t.Error("a .repo file without a base URL")
	}
	if got := string(metadataFile(t, tree, "primary")); !strings.Contains(got, `packages="0">`) {
		t.Errorf("empty primary.xml:\n%s", got)
	}
}

func TestPoolPath(t *testing.T) {
	tests := []struct{ name, file, want string }{
		{"hello", "hello-1.0-1.x86_64.rpm", "Packages/h/hello-1.0-1.x86_64.rpm"},
		{"libstdc++", "libstdc++-13-1.x86_64.rpm", "Packages/l/libstdc__-13-1.x86_64.rpm"},
		{"Zebra", "Zebra-1^git2-1.noarch.rpm", "Packages/z/Zebra-1_git2-1.noarch.rpm"},
		{"3proxy", "3proxy-1~rc1-1.x86_64.rpm", "Packages/3/3proxy-1~rc1-1.x86_64.rpm"},
		{"_odd", "_odd@1!.rpm", "Packages/_/_odd_1_.rpm"},
	}
	for _, tt := range tests {
		if got := poolPath(tt.name, tt.file); got != tt.want {
			t.Errorf("poolPath(%q, %q) = %q, want %q", tt.name, tt.file, got, tt.want)
		}
	}
}

func TestIndexPackagerKeys(t *testing.T) {
	b := testBuild()
	b.ReadSource = func(p string) ([]byte, error) {
		if p == "keys/packager.asc" {
			return []byte("-----BEGIN PGP PUBLIC KEY BLOCK-----\n"), nil
		}
		return nil, os.ErrNotExist
	}
	repo := testRepo()
	repo.Yum = &config.Yum{PackagerKeys: []string{"keys/packager.asc"}}
	tree := dist.NewTree()
	if err := New().Index(b, repo, nil, tree); err != nil {
		t.Fatal(err)
	}
	if f := tree.Get("yum/keys/packager.asc"); f == nil || !strings.HasPrefix(string(f.Data), "-----BEGIN PGP PUBLIC KEY") {
		t.Errorf("packager key not published: %+v", f)
	}
	want := "gpgkey=https://packages.example.org/yum/key.asc https://packages.example.org/yum/keys/packager.asc\n"
	if got := string(tree.Get("yum/yum.repo").Data); !strings.Contains(got, want) {
		t.Errorf("yum.repo = %q, want a line %q", got, want)
	}
	if got := dist.RuleFor("yum/keys/packager.asc").ContentType; got != "application/pgp-keys" {
		t.Errorf("packager key served as %q", got)
	}

	repo.Yum.PackagerKeys = []string{"keys/missing.asc"}
	if err := New().Index(b, repo, nil, dist.NewTree()); err == nil || !strings.Contains(err.Error(), "keys/missing.asc") {
		t.Errorf("missing packager key: %v", err)
	}
}

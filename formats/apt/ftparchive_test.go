package apt

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stockpile/stockpile/dist"
	"github.com/stockpile/stockpile/formats"
	"github.com/stockpile/stockpile/internal/debgen"
)

// needTool skips the test when name is missing, unless CI=true, where a
// missing tool is a failure.
func needTool(t *testing.T, name string) bool {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is missing (apt-get install -y apt-utils dpkg)", name)
		}
		return false
	}
	return true
}

// TestAgainstAptFtparchive checks that every field apt-ftparchive writes
// into a Packages stanza, Filename aside, we write with the same value.
func TestAgainstAptFtparchive(t *testing.T) {
	if testing.Short() {
		t.Skip("runs apt-ftparchive")
	}
	if !needTool(t, "apt-ftparchive") {
		t.Skip("apt-ftparchive is missing")
	}
	dir := t.TempDir()
	pool := filepath.Join(dir, "pool")
	if err := os.Mkdir(pool, 0o755); err != nil {
		t.Fatal(err)
	}
	debs := map[string][]byte{}

	base := helloControl
	for i, c := range []debgen.Compression{debgen.Gzip, debgen.XZ, debgen.Zstd, debgen.None} {
		ctl := base
		ctl.Package = "gen-" + string(c)
		ctl.Version = []string{"1.0", "2:3.4~rc1-1", "0.1+git2023.abc-1~bpo12+1", "5"}[i]
		ctl.Extra = append([]debgen.Field{}, base.Extra...)
		ctl.Extra = append(ctl.Extra, debgen.Field{Name: "X-Spaced", Value: "  two  spaces  "}, debgen.Field{Name: "Conffiles", Value: "\n /etc/a 0123\n /etc/b 4567"})
		if c == debgen.Zstd {
			ctl.Architecture = "all"
			ctl.Source = ""
		}
		deb, err := debgen.Options{Control: c, Data: c}.Build(ctl, helloFiles)
		if err != nil {
			t.Fatal(err)
		}
		debs[debFileName(ctl)] = deb
	}
	raw, err := debgen.Options{RawControl: []byte("Package: raw-fields\nVersion: 1.0\nArchitecture: amd64\nDescription:   lots of space   \n   indented more  \n .\nX-Tab:\tvalue\t\nDepends: a,\n\tb (>= 1)\n")}.Build(debgen.Control{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	debs["raw-fields_1.0_amd64.deb"] = raw
	xz, err := os.ReadFile("testdata/dpkg-deb/hello_xz.deb")
	if err != nil {
		t.Fatal(err)
	}
	debs["hello_2.10-3+b1_amd64.deb"] = xz

	if needTool(t, "dpkg-deb") {
		for _, z := range []string{"gzip", "xz", "zstd", "none"} {
			root := filepath.Join(dir, "src-"+z)
			ctl := helloControl
			ctl.Package = "dpkg-deb-" + z
			mustWrite(t, filepath.Join(root, "DEBIAN", "control"), []byte(ctl.Text()))
			mustWrite(t, filepath.Join(root, "usr", "share", "doc", ctl.Package, "copyright"), []byte("MIT\n"))
			out := filepath.Join(dir, ctl.Package+".deb")
			cmd := exec.Command("dpkg-deb", "--root-owner-group", "-Z"+z, "--build", root, out)
			cmd.Env = append(os.Environ(), "SOURCE_DATE_EPOCH=1700000000")
			if b, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("dpkg-deb: %v\n%s", err, b)
			}
			deb, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			debs[debFileName(ctl)] = deb
		}
	}

	var arts []*formats.Artifact
	var names []string
	for name := range debs {
		names = append(names, name)
	}
	sort.Strings(names)
	for i, name := range names {
		local := filepath.Join(pool, name)
		mustWrite(t, local, debs[name])
		arts = append(arts, artifactOf(t, i, debs[name], name, "stable", "main", local))
	}

	cmd := exec.Command("apt-ftparchive", "packages", "pool")
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	theirs, err := cmd.Output()
	if err != nil {
		t.Fatalf("apt-ftparchive packages: %v\n%s", err, stderr.Bytes())
	}
	if stderr.Len() > 0 {
		t.Logf("apt-ftparchive: %s", stderr.Bytes())
	}

	repo := testRepo()
	repo.Apt.Suites, repo.Apt.Components, repo.Apt.Architectures = []string{"stable"}, []string{"main"}, []string{"amd64"}
	tree := dist.NewTree()
	if err := New().Index(testBuild(), repo, arts, tree); err != nil {
		t.Fatal(err)
	}
	ours := tree.Get("apt/dists/stable/main/binary-amd64/Packages").Data

	their, our := stanzas(t, theirs), stanzas(t, ours)
	if len(their) != len(debs) || len(our) != len(debs) {
		t.Fatalf("apt-ftparchive wrote %d stanzas, we wrote %d, for %d packages", len(their), len(our), len(debs))
	}
	byKey := map[string]*paragraph{}
	for _, p := range our {
		byKey[p.Get("Package")+" "+p.Get("Version")+" "+p.Get("Architecture")] = p
	}
	for _, p := range their {
		key := p.Get("Package") + " " + p.Get("Version") + " " + p.Get("Architecture")
		mine := byKey[key]
		if mine == nil {
			t.Errorf("apt-ftparchive lists %s; we do not", key)
			continue
		}
		for _, want := range []string{"Size", "MD5sum", "SHA1", "SHA256", "SHA512", "Description"} {
			if p.Get(want) == "" {
				t.Errorf("%s: apt-ftparchive wrote no %s; is the comparison still meaningful?", key, want)
			}
		}
		for _, f := range p.Fields {
			if f.Name == "Filename" {
				continue
			}
			if got, want := normalize(mine.Get(f.Name)), normalize(f.Value); got != want {
				t.Errorf("%s: %s = %q, apt-ftparchive writes %q", key, f.Name, got, want)
			}
		}
	}
}

// stanzas splits a Packages file into parsed paragraphs.
func stanzas(t *testing.T, data []byte) []*paragraph {
	t.Helper()
	var out []*paragraph
	for _, s := range strings.Split(string(data), "\n\n") {
		if strings.TrimSpace(s) == "" {
			continue
		}
		p, err := parseControl([]byte(s))
		if err != nil {
			t.Fatalf("parsing stanza %q: %v", s, err)
		}
		out = append(out, p)
	}
	return out
}

// normalize drops trailing white space from every line of a field value,
// which apt-ftparchive removes.
func normalize(v string) string {
	lines := strings.Split(v, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " \t")
	}
	return strings.Join(lines, "\n")
}

func mustWrite(t *testing.T, p string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

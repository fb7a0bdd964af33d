package yum

import (
	"compress/gzip"
	"encoding/xml"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/stockpile/stockpile/config"
	"github.com/stockpile/stockpile/dist"
	"github.com/stockpile/stockpile/formats"
)

// The parsed form of primary, filelists and other, for comparing two
// repositories field by field. encoding/xml matches local names, so the
// rpm: prefix does not matter here.
type (
	xVersion struct {
		Epoch string `xml:"epoch,attr"`
		Ver   string `xml:"ver,attr"`
		Rel   string `xml:"rel,attr"`
	}
	xEntry struct {
		Name  string `xml:"name,attr"`
		Flags string `xml:"flags,attr"`
		Epoch string `xml:"epoch,attr"`
		Ver   string `xml:"ver,attr"`
		Rel   string `xml:"rel,attr"`
		Pre   string `xml:"pre,attr"`
	}
	xFile struct {
		Type string `xml:"type,attr"`
		Path string `xml:",chardata"`
	}
	xPrimaryPackage struct {
		Type     string   `xml:"type,attr"`
		Name     string   `xml:"name"`
		Arch     string   `xml:"arch"`
		Version  xVersion `xml:"version"`
		Checksum struct {
			Type  string `xml:"type,attr"`
			PkgID string `xml:"pkgid,attr"`
			Value string `xml:",chardata"`
		} `xml:"checksum"`
		Summary     string `xml:"summary"`
		Description string `xml:"description"`
		Packager    string `xml:"packager"`
		URL         string `xml:"url"`
		Time        struct {
			File  string `xml:"file,attr"`
			Build string `xml:"build,attr"`
		} `xml:"time"`
		Size struct {
			Package   string `xml:"package,attr"`
			Installed string `xml:"installed,attr"`
			Archive   string `xml:"archive,attr"`
		} `xml:"size"`
		Location struct {
			Href string `xml:"href,attr"`
		} `xml:"location"`
		Format struct {
			License     string `xml:"license"`
			Vendor      string `xml:"vendor"`
			Group       string `xml:"group"`
			BuildHost   string `xml:"buildhost"`
			SourceRPM   string `xml:"sourcerpm"`
			HeaderRange struct {
				Start string `xml:"start,attr"`
				End   string `xml:"end,attr"`
			} `xml:"header-range"`
			Provides    []xEntry `xml:"provides>entry"`
			Requires    []xEntry `xml:"requires>entry"`
			Conflicts   []xEntry `xml:"conflicts>entry"`
			Obsoletes   []xEntry `xml:"obsoletes>entry"`
			Suggests    []xEntry `xml:"suggests>entry"`
			Enhances    []xEntry `xml:"enhances>entry"`
			Recommends  []xEntry `xml:"recommends>entry"`
			Supplements []xEntry `xml:"supplements>entry"`
			Files       []xFile  `xml:"file"`
		} `xml:"format"`
	}
	xPrimary struct {
		Count    int               `xml:"packages,attr"`
		Packages []xPrimaryPackage `xml:"package"`
	}
	xFilelistsPackage struct {
		PkgID   string   `xml:"pkgid,attr"`
		Name    string   `xml:"name,attr"`
		Arch    string   `xml:"arch,attr"`
		Version xVersion `xml:"version"`
		Files   []xFile  `xml:"file"`
	}
	xFilelists struct {
		Count    int                 `xml:"packages,attr"`
		Packages []xFilelistsPackage `xml:"package"`
	}
	xChange struct {
		Author string `xml:"author,attr"`
		Date   string `xml:"date,attr"`
		Text   string `xml:",chardata"`
	}
	xOtherPackage struct {
		PkgID     string    `xml:"pkgid,attr"`
		Name      string    `xml:"name,attr"`
		Arch      string    `xml:"arch,attr"`
		Version   xVersion  `xml:"version"`
		Changelog []xChange `xml:"changelog"`
	}
	xOther struct {
		Count    int             `xml:"packages,attr"`
		Packages []xOtherPackage `xml:"package"`
	}
)

// parsedRepo is a repository's three indexes, packages keyed by pkgid.
type parsedRepo struct {
	primary   map[string]xPrimaryPackage
	filelists map[string]xFilelistsPackage
	other     map[string]xOtherPackage
	counts    [3]int
}

var repomdLocation = regexp.MustCompile(`<data type="(primary|filelists|other)">(?s:.*?)<location href="([^"]+)"/>`)

// parseRepo reads repodata/ under dir as a client would: repomd.xml, then
// the files it names.
func parseRepo(t *testing.T, dir string) *parsedRepo {
	t.Helper()
	repomd, err := os.ReadFile(filepath.Join(dir, "repodata/repomd.xml"))
	if err != nil {
		t.Fatal(err)
	}
	read := func(kind string, v any) {
		for _, m := range repomdLocation.FindAllStringSubmatch(string(repomd), -1) {
			if m[1] != kind {
				continue
			}
			f, err := os.Open(filepath.Join(dir, m[2]))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			zr, err := gzip.NewReader(f)
			if err != nil {
				t.Fatalf("%s: %v", m[2], err)
			}
			data, err := io.ReadAll(zr)
			if err != nil {
				t.Fatalf("%s: %v", m[2], err)
			}
			if err := xml.Unmarshal(data, v); err != nil {
				t.Fatalf("%s: %v", m[2], err)
			}
			return
		}
		t.Fatalf("repomd.xml lists no %s", kind)
	}
	var pri xPrimary
	var fil xFilelists
	var oth xOther
	read("primary", &pri)
	read("filelists", &fil)
	read("other", &oth)
	r := &parsedRepo{
		primary:   map[string]xPrimaryPackage{},
		filelists: map[string]xFilelistsPackage{},
		other:     map[string]xOtherPackage{},
		counts:    [3]int{pri.Count, fil.Count, oth.Count},
	}
	for _, p := range pri.Packages {
		r.primary[p.Checksum.Value] = p
	}
	for _, p := range fil.Packages {
		r.filelists[p.PkgID] = p
	}
	for _, p := range oth.Packages {
		r.other[p.PkgID] = p
	}
	return r
}

// normalize sorts what the format leaves unordered and clears what two
// generators may choose differently: where the package lives.
func (r *parsedRepo) normalize() {
	sortEntries := func(list []xEntry) {
		sort.SliceStable(list, func(i, j int) bool {
			a, b := list[i], list[j]
			return a.Name+"\x00"+a.Flags+"\x00"+a.Epoch+"\x00"+a.Ver+"\x00"+a.Rel+"\x00"+a.Pre <
				b.Name+"\x00"+b.Flags+"\x00"+b.Epoch+"\x00"+b.Ver+"\x00"+b.Rel+"\x00"+b.Pre
		})
	}
	for k, p := range r.primary {
		p.Location.Href = ""
		f := &p.Format
		for _, l := range [][]xEntry{f.Provides, f.Requires, f.Conflicts, f.Obsoletes, f.Suggests, f.Enhances, f.Recommends, f.Supplements} {
			sortEntries(l)
		}
		r.primary[k] = p
	}
}

// createrepoDir writes the packages into a folder with the given file time
// and runs createrepo_c there.
func createrepoDir(t *testing.T, rpms map[string][]byte, mtime time.Time) string {
	t.Helper()
	dir := t.TempDir()
	for name, data := range rpms {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		os.Chtimes(p, mtime, mtime)
	}
	runCreaterepo(t, dir)
	return dir
}

func runCreaterepo(t *testing.T, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command("createrepo_c", append([]string{"--no-database", "--simple-md-filenames"}, append(args, dir)...)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("createrepo_c: %v\n%s", err, out)
	}
}

// ourRepo indexes the rpm files under dir with the yum format and writes
// the tree into a new folder; it returns the repository's folder.
func ourRepo(t *testing.T, dir string, added time.Time) string {
	t.Helper()
	var arts []*formats.Artifact
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".rpm") {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		arts = append(arts, artifactOf(t, len(arts), data, filepath.Base(p), p, added))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	tree := dist.NewTree()
	repo := &config.Repository{Name: "yum", Format: "yum"}
	if err := New().Index(testBuild(), repo, arts, tree); err != nil {
		t.Fatalf("Index: %v", err)
	}
	out := t.TempDir()
	if _, err := dist.Write(out, tree, ""); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(out, "yum")
}

// compareWithCreaterepo checks that every package's fields and entries in
// our indexes are those createrepo_c writes for the same files.
func compareWithCreaterepo(t *testing.T, dir string, added time.Time) {
	t.Helper()
	theirs := parseRepo(t, dir)
	ours := parseRepo(t, ourRepo(t, dir, added))
	theirs.normalize()
	ours.normalize()
	if theirs.counts != ours.counts {
		t.Errorf("package counts: createrepo_c %v, ours %v", theirs.counts, ours.counts)
	}
	if len(ours.primary) != len(theirs.primary) {
		t.Errorf("createrepo_c lists %d packages, we list %d", len(theirs.primary), len(ours.primary))
	}
	diffs := 0
	for id, want := range theirs.primary {
		for _, d := range []string{
			cmp.Diff(want, ours.primary[id]),
			cmp.Diff(theirs.filelists[id], ours.filelists[id]),
			cmp.Diff(theirs.other[id], ours.other[id]),
		} {
			if d != "" && diffs < 10 {
				t.Errorf("package %s %s (-createrepo_c +ours):\n%s", want.Name, id, d)
				diffs++
			}
		}
	}
}

func TestMatchesCreaterepo(t *testing.T) {
	if testing.Short() {
		t.Skip("runs createrepo_c")
	}
	requireTool(t, "createrepo_c")
	added := time.Unix(1700001234, 0)
	t.Run("edge cases", func(t *testing.T) {
		compareWithCreaterepo(t, createrepoDir(t, buildEdge(t), added), added)
	})
	t.Run("rpmbuild", func(t *testing.T) {
		requireTool(t, "rpmbuild")
		dir := t.TempDir()
		for _, s := range specs {
			rpmbuild(t, dir, s)
		}
		files, _ := filepath.Glob(filepath.Join(dir, "*.rpm"))
		for _, f := range files {
			os.Chtimes(f, added, added)
		}
		runCreaterepo(t, dir)
		compareWithCreaterepo(t, dir, added)
	})
	// YUM_COMPARE_DIR names a folder of .rpm files to compare on, e.g. the
	// benchmark corpus; createrepo_c writes its repodata/ there.
	if dir := os.Getenv("YUM_COMPARE_DIR"); dir != "" {
		t.Run(dir, func(t *testing.T) {
			err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
				if err == nil && !d.IsDir() && strings.HasSuffix(p, ".rpm") {
					err = os.Chtimes(p, added, added)
				}
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			runCreaterepo(t, dir)
			compareWithCreaterepo(t, dir, added)
		})
	}
}

// spec is an rpm the test builds with the real rpmbuild.
type spec struct{ name, text string }

var specs = []spec{
	{"real", `Name: real-world++
Epoch: 3
Version: 2.0~beta1^post1
Release: 1%{?dist}
Summary: A package as rpmbuild makes it
License: MIT
URL: https://example.org/real
Vendor: Example
Packager: Jane Doe <jane@example.org>
Requires: bash >= 4.0
Requires(pre): shadow-utils
Requires(post): /bin/sh
Requires: /etc/real.conf
Recommends: rec >= 1
Suggests: sug
Supplements: supp
Enhances: enh
Provides: virtual(real) = 3:2.0
Conflicts: old-real < 2
Obsoletes: ancient <= 1.0-1
%description
Built by rpmbuild for the comparison with createrepo_c.
%install
mkdir -p %{buildroot}/etc %{buildroot}/usr/bin %{buildroot}/usr/share/real
echo a > %{buildroot}/etc/real.conf
printf '#!/bin/sh\necho real\n' > %{buildroot}/usr/bin/real
echo c > %{buildroot}/usr/share/real/data
ln -s real %{buildroot}/usr/bin/real-link
%files
%config(noreplace) /etc/real.conf
%attr(0755,root,root) /usr/bin/real
/usr/bin/real-link
%dir /usr/share/real
/usr/share/real/data
%ghost /var/log/real.log
%changelog
* Tue Nov 14 2023 Jane Doe <jane@example.org> - 3:2.0~beta1^post1-1
- Second entry & <more>
* Tue Nov 14 2023 Jane Doe <jane@example.org> - 3:2.0~beta1-1
- Same day
* Mon Nov 13 2023 John Roe <john@example.org> - 1.0-1
- First
`},
}

// rpmbuild builds s into dir with the real rpmbuild and returns the path.
func rpmbuild(t *testing.T, dir string, s spec) string {
	t.Helper()
	work := t.TempDir()
	specFile := filepath.Join(work, s.name+".spec")
	os.WriteFile(specFile, []byte(s.text), 0o644)
	cmd := exec.Command("rpmbuild", "-bb", "--quiet",
		"--define", "_topdir "+work,
		"--define", "_rpmdir "+dir,
		"--define", "_build_name_fmt %%{NAME}-%%{VERSION}-%%{RELEASE}.%%{ARCH}.rpm",
		"--define", "_buildhost builder.example.org",
		specFile)
	cmd.Env = append(os.Environ(), "SOURCE_DATE_EPOCH=1700000000")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("rpmbuild %s: %v\n%s", s.name, err, out)
	}
	matches, _ := filepath.Glob(filepath.Join(dir, "*.rpm"))
	for _, m := range matches {
		if strings.HasPrefix(filepath.Base(m), s.name) {
			return m
		}
	}
	t.Fatalf("rpmbuild made no %s package", s.name)
	return ""
}

package generator

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/stockpile/stockpile/config"
	"github.com/stockpile/stockpile/formats"
	"github.com/stockpile/stockpile/formats/yum"
	"github.com/stockpile/stockpile/site"
	"github.com/stockpile/stockpile/source"
)

func TestVersionOrder(t *testing.T) {
	compareSemver := versionOrder("npm")
	// Each is lower than the next, as SemVer 2.0.0 §11 orders them.
	order := []string{"1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2",
		"1.0.0-beta.11", "1.0.0-rc.1", "1.0.0", "1.0.1", "1.2.0", "1.10.0", "2.0.0-beta.1", "2.0.0"}
	for i := 0; i+1 < len(order); i++ {
		a, b := order[i], order[i+1]
		t.Run(a+"<"+b, func(t *testing.T) {
			if compareSemver(a, b) >= 0 || compareSemver(b, a) <= 0 {
				t.Errorf("compareSemver(%s, %s) = %d", a, b, compareSemver(a, b))
			}
		})
	}
	if c := compareSemver("1.0.0+build.1", "1.0.0"); c != 0 {
		t.Errorf("build metadata counts: %d", c)
	}
	// rpm's order: '~' sorts before, '^' after the plain version; epochs first.
	compareRPM := versionOrder("yum")
	rpmOrder := []string{"1.0~rc1-1", "1.0-1", "1.0^git1-1", "1.1-1", "1:0.5-1"}
	for i := 0; i+1 < len(rpmOrder); i++ {
		if a, b := rpmOrder[i], rpmOrder[i+1]; compareRPM(a, b) >= 0 || compareRPM(b, a) <= 0 {
			t.Errorf("rpm order (%s, %s) = %d", a, b, compareRPM(a, b))
		}
	}
}

func TestPythonTag(t *testing.T) {
	for _, tc := range []struct{ file, kind, want string }{
		{"demo-1.0-py3-none-any.whl", "wheel", "py3-none-any"},
		{"demo-1.0-1-cp312-cp312-manylinux_2_17_x86_64.whl", "wheel", "cp312-cp312-manylinux_2_17_x86_64"},
		{"demo-1.0.tar.gz", "sdist", "source"},
		{"odd.whl", "wheel", ""},
	} {
		t.Run(tc.file, func(t *testing.T) {
			if got := pythonTag(tc.file, tc.kind); got != tc.want {
				t.Errorf("pythonTag = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestRPMDep(t *testing.T) {
	for _, tc := range []struct {
		dep  yum.Dep
		want string
	}{
		{yum.Dep{Name: "bash"}, "bash"},
		{yum.Dep{Name: "glibc", Flags: "GE", Version: "2.34"}, "glibc >= 2.34"},
		{yum.Dep{Name: "x", Flags: "EQ", Epoch: "1", Version: "2.0", Release: "3"}, "x = 1:2.0-3"},
	} {
		t.Run(tc.want, func(t *testing.T) {
			if got := rpmDep(tc.dep); got != tc.want {
				t.Errorf("rpmDep = %q, want %q", got, tc.want)
			}
		})
	}
}

// Artifacts are grouped by package and version, newest first, with their
// provenance.
func TestSitePackages(t *testing.T) {
	when := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	art := func(name, version, file string, extra string) *formats.Artifact {
		return &formats.Artifact{
			Manifest: &config.Manifest{Path: "packages/npm/" + file + ".yaml", File: file, SHA256: "ab", Size: 10, Deprecated: extra},
			Meta:     formats.Meta(fmt.Sprintf(`{"name":%q,"version":%q,"description":"d","dependencies":{"b":"^1","a":"~2"}}`, name, version)),
			Added:    when,
		}
	}
	arts := []*formats.Artifact{
		art("left-pad", "1.10.0", "left-pad-1.10.0.tgz", ""),
		art("left-pad", "1.9.0", "left-pad-1.9.0.tgz", "old"),
		art("left-pad", "2.0.0-beta.1+build", "left-pad-2.0.0-beta.1+build.tgz", ""),
		art("@a/b", "0.1.0", "b-0.1.0.tgz", ""),
	}
	added := map[string]source.Added{"packages/npm/b-0.1.0.tgz.yaml": {Time: when, Commit: "c0ffee"}}
	got, err := sitePackages("npm", arts, added)
	if err != nil {
		t.Fatal(err)
	}
	deps := []string{"a ~2", "b ^1"}
	file := func(name, commit string) site.File {
		return site.File{Name: name, Size: 10, SHA256: "ab", Depends: deps, Added: when, Commit: commit, Manifest: "packages/npm/" + name + ".yaml"}
	}
	want := []site.Package{
		{Name: "@a/b", Summary: "d", Latest: "0.1.0", Versions: []site.Version{{Version: "0.1.0", Files: []site.File{file("b-0.1.0.tgz", "c0ffee")}}}},
		{Name: "left-pad", Summary: "d", Latest: "1.10.0", Versions: []site.Version{
			{Version: "2.0.0-beta.1", Files: []site.File{file("left-pad-2.0.0-beta.1+build.tgz", "")}},
			{Version: "1.10.0", Files: []site.File{file("left-pad-1.10.0.tgz", "")}},
			{Version: "1.9.0", Deprecated: "old", Files: []site.File{file("left-pad-1.9.0.tgz", "")}},
		}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

package site

import (
	"encoding/json"
	"flag"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/stockpile/stockpile/config"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

var added = time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)

func smallRegistry() Registry {
	sha := strings.Repeat("ab", 32)
	return Registry{
		Name:      "Example <registry>",
		BaseURL:   "https://pkgs.example.org/",
		SourceURL: "https://git.example.org/reg/blob/main/",
		Built:     time.Date(2024, 2, 3, 4, 5, 6, 0, time.UTC),
		Repositories: []Repository{
			{Name: "apt", Format: "apt", Description: "Debian packages", Supported: true,
				Apt: &config.Apt{Suites: []string{"stable"}, Components: []string{"main"}},
				Packages: []Package{{Name: "hello", Summary: "says hello", Versions: []Version{{Version: "1.0-1", Files: []File{
					{Name: "hello_1.0-1_amd64.deb", Size: 2048, SHA256: sha, Platform: "amd64", Depends: []string{"libc6 (>= 2.36)"},
						Added: added, Commit: "89abcdef0123", Manifest: "packages/apt/hello_1.0-1_amd64.deb.yaml"},
				}}}}}},
			{Name: "rpm", Format: "yum", Supported: true,
				Packages: []Package{{Name: "tool", Versions: []Version{{Version: "1:2.0-1", Files: []File{
					{Name: "tool-2.0-1.x86_64.rpm", Size: 10, SHA256: sha, Platform: "x86_64", Added: added},
				}}}}}},
			{Name: "py", Format: "pypi", Supported: true,
				Packages: []Package{{Name: "Demo.Pkg", Summary: "a demo", Versions: []Version{
					{Version: "2.0", Files: []File{{Name: "demo_pkg-2.0-py3-none-any.whl", Size: 3 << 20, SHA256: sha, Platform: "py3-none-any", Yanked: "broken"}}},
					{Version: "1.0", Files: []File{{Name: "demo_pkg-1.0.tar.gz", Size: 100, SHA256: sha, Platform: "source", Depends: []string{"Python >=3.8"}}}},
				}}}},
			{Name: "js", Format: "npm", Supported: true,
				Packages: []Package{
					{Name: "left-pad", Versions: []Version{{Version: "1.3.0", Deprecated: "use String.padStart", Files: []File{{Name: "left-pad-1.3.0.tgz", Size: 1, SHA256: sha}}}}},
					{Name: "@acme/widget", Summary: "widgets", Versions: []Version{{Version: "0.1.0", Files: []File{{Name: "widget-0.1.0.tgz", Size: 1, SHA256: sha, Depends: []string{"left-pad ^1.3.0"}}}}}},
				}},
			{Name: "later", Format: "cargo"},
		},
	}
}

func TestGolden(t *testing.T) {
	got, err := Render(smallRegistry(), nil)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join("testdata", "golden")
	if *update {
		os.RemoveAll(dir)
		for p, b := range got {
			if strings.HasSuffix(p, ".css") || strings.HasSuffix(p, ".js") {
				continue // embedded as they are
			}
			f := filepath.Join(dir, filepath.FromSlash(p))
			os.MkdirAll(filepath.Dir(f), 0o755)
			if err := os.WriteFile(f, b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	want := map[string]string{}
	err = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		want[filepath.ToSlash(rel)] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	gotS := map[string]string{}
	for p, b := range got {
		if !strings.HasSuffix(p, ".css") && !strings.HasSuffix(p, ".js") {
			gotS[p] = string(b)
		}
	}
	if diff := cmp.Diff(want, gotS); diff != "" {
		t.Errorf("site differs from testdata/golden (-want +got; go test ./site -update rewrites it):\n%s", diff)
	}
}

func TestPaths(t *testing.T) {
	got, err := Render(smallRegistry(), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"index.html", "_site/apt/index.html", "_site/apt/p/hello.html", "_site/js/p/@acme/widget.html",
		"_site/py/p/Demo.Pkg.html", "_site/search.json", "_site/search.js", "_site/site.css"} {
		if got[p] == nil {
			t.Errorf("no %s; have %v", p, slices.Sorted(maps.Keys(got)))
		}
	}
	for p := range got {
		if p != "index.html" && !strings.HasPrefix(p, Dir+"/") {
			t.Errorf("%s is outside %s/", p, Dir)
		}
	}
	var idx searchIndex
	if err := json.Unmarshal(got["_site/search.json"], &idx); err != nil {
		t.Fatal(err)
	}
	want := [][6]string{
		{"hello", "apt", "apt", "1.0-1", "says hello", "_site/apt/p/hello.html"},
		{"tool", "rpm", "yum", "1:2.0-1", "", "_site/rpm/p/tool.html"},
		{"Demo.Pkg", "py", "pypi", "1.0", "a demo", "_site/py/p/Demo.Pkg.html"},
		{"@acme/widget", "js", "npm", "0.1.0", "widgets", "_site/js/p/@acme/widget.html"},
		{"left-pad", "js", "npm", "1.3.0", "", "_site/js/p/left-pad.html"},
	}
	if diff := cmp.Diff(want, idx.Packages); diff != "" {
		t.Errorf("search.json (-want +got):\n%s", diff)
	}
}

func TestSlug(t *testing.T) {
	for _, tc := range []struct{ name, want string }{
		{"hello", "hello"},
		{"libstdc++6", "libstdc__6"},
		{"@scope/name", "@scope/name"},
		{".hidden", "_hidden"},
		{"a/b", "a_b"},
		{"", "_"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := slugOf(tc.name); got != tc.want {
				t.Errorf("slugOf(%q) = %q, want %q", tc.name, got, tc.want)
			}
		})
	}
	repo := &Repository{Name: "r", Packages: []Package{{Name: "a+b"}, {Name: "a_b"}}}
	got := packagePaths(repo)
	if got["a+b"] == got["a_b"] {
		t.Errorf("two packages share the page %s", got["a+b"])
	}
}

// Every page stays small for a registry of 10,000 packages.
func TestPageSize(t *testing.T) {
	const n = 10000
	sha := strings.Repeat("0f", 32)
	repos := []Repository{{Name: "apt", Format: "apt", Supported: true}, {Name: "pypi", Format: "pypi", Supported: true}}
	for i := range n {
		r := &repos[i%2]
		name := fmt.Sprintf("package-with-a-longish-name-%05d", i)
		var vs []Version
		for v := range 3 {
			vs = append(vs, Version{Version: fmt.Sprintf("%d.0.%d-1", i%7, v), Files: []File{
				{Name: fmt.Sprintf("%s_%d_amd64.deb", name, v), Size: int64(i) * 1000, SHA256: sha, Platform: "amd64", Added: added,
					Depends: []string{"libc6 (>= 2.36)", "libssl3 (>= 3.0.0)"}, Manifest: "packages/" + r.Name + "/" + name + ".yaml"},
			}})
		}
		r.Packages = append(r.Packages, Package{Name: name, Summary: "a package of the synthetic registry, with a summary of typical length", Versions: vs})
	}
	// One repository holds everything as well.
	all := Repository{Name: "all", Format: "npm", Supported: true}
	for _, r := range repos {
		all.Packages = append(all.Packages, r.Packages...)
	}
	repos = append(repos, all)
	got, err := Render(Registry{Name: "Big", BaseURL: "https://pkgs.example.org/", Built: added, Repositories: repos}, nil)
	if err != nil {
		t.Fatal(err)
	}
	pages, largest, largestPath := 0, 0, ""
	for p, b := range got {
		if !strings.HasSuffix(p, ".html") {
			continue
		}
		pages++
		if len(b) > largest {
			largest, largestPath = len(b), p
		}
		if len(b) >= 200<<10 {
			t.Errorf("%s is %d bytes, over 200 KB", p, len(b))
		}
	}
	if want := 2*n + 10 + 10 + 20 + 1; pages != want {
		t.Errorf("%d pages, want %d", pages, want)
	}
	t.Logf("%d pages, largest %s: %d bytes; search.json %d bytes", pages, largestPath, largest, len(got["_site/search.json"]))
}

func TestDeterministic(t *testing.T) {
	a, err := Render(smallRegistry(), nil)
	if err != nil {
		t.Fatal(err)
	}
	r := smallRegistry()
	slices.Reverse(r.Repositories[3].Packages)
	b, err := Render(r, nil)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(a, b); diff != "" {
		t.Errorf("package order changed the output:\n%s", diff)
	}
}

// A TUF-signed registry tells users which root to pin and how to verify.
func TestHomePageTUF(t *testing.T) {
	files, err := Render(Registry{Name: "r", BaseURL: "https://pkgs.example.org/", TUF: &TUF{
		RootVersion: 2, Threshold: 2, RootKeyIDs: []string{"aaaa", "bbbb"},
		Expires: time.Date(2027, 1, 2, 3, 4, 0, 0, time.UTC), Example: "apt/dists/stable/InRelease",
	}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	home := string(files["index.html"])
	for _, want := range []string{"version 2 or later", "2 of them must sign", "<code>aaaa</code>", "<code>bbbb</code>", "2027-01-02 03:04 UTC",
		"stockpile get --root root.json https://pkgs.example.org/ apt/dists/stable/InRelease"} {
		if !strings.Contains(home, want) {
			t.Errorf("home page lacks %q", want)
		}
	}
}

// memCache is a Cache in memory that counts what Render stores.
type memCache struct {
	pages map[[32]byte][]byte
	puts  int
}

func (c *memCache) Get(key [32]byte) ([]byte, bool) { b, ok := c.pages[key]; return b, ok }
func (c *memCache) Put(key [32]byte, page []byte)   { c.pages[key] = page; c.puts++ }

// A page from cache is the page Render would write: the same bytes when
// nothing changed, and a miss when anything the page shows did.
func TestRenderCache(t *testing.T) {
	const packagePages = 5
	for _, tc := range []struct {
		name   string
		change func(r *Registry)
		misses int
	}{
		{"nothing", func(*Registry) {}, 0},
		{"file size", func(r *Registry) { r.Repositories[0].Packages[0].Versions[0].Files[0].Size++ }, 1},
		{"file commit", func(r *Registry) { r.Repositories[0].Packages[0].Versions[0].Files[0].Commit = "fedcba987654" }, 1},
		{"yanked", func(r *Registry) { r.Repositories[2].Packages[0].Versions[1].Files[0].Yanked = "bad" }, 1},
		{"latest", func(r *Registry) { r.Repositories[3].Packages[0].Latest = "1.2.0" }, 1},
		{"new package", func(r *Registry) {
			r.Repositories[3].Packages = append(r.Repositories[3].Packages, Package{Name: "right-pad"})
		}, 1},
		{"apt suite", func(r *Registry) { r.Repositories[0].Apt = &config.Apt{Suites: []string{"trixie"}} }, 1},
		{"repository name", func(r *Registry) { r.Repositories[1].Name = "yum" }, 1},
		{"registry name", func(r *Registry) { r.Name = "Other" }, packagePages},
		{"base URL", func(r *Registry) { r.BaseURL = "https://other.example.org/" }, packagePages},
		{"source URL", func(r *Registry) { r.SourceURL = "" }, packagePages},
		// Package pages do not show when the site was built.
		{"built", func(r *Registry) { r.Built = r.Built.Add(time.Hour) }, 0},
		{"templates", func(*Registry) { templatesVersion = [32]byte{1} }, packagePages},
	} {
		t.Run(tc.name, func(t *testing.T) {
			version := templatesVersion
			defer func() { templatesVersion = version }()
			c := &memCache{pages: map[[32]byte][]byte{}}
			if _, err := Render(smallRegistry(), c); err != nil {
				t.Fatal(err)
			}
			if c.puts != packagePages {
				t.Fatalf("first render stored %d pages, want %d", c.puts, packagePages)
			}
			r := smallRegistry()
			tc.change(&r)
			want, err := Render(r, nil)
			if err != nil {
				t.Fatal(err)
			}
			c.puts = 0
			r = smallRegistry()
			tc.change(&r)
			got, err := Render(r, c)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("cached render differs from an uncached one (-want +got):\n%s", diff)
			}
			if c.puts != tc.misses {
				t.Errorf("%d cache misses, want %d", c.puts, tc.misses)
			}
		})
	}
}

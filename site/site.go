// Package site renders the registry's browse pages: what is there and how to
// use it. Pages are static, link to each other relatively (so a tree works
// wherever it is served) and need no JavaScript; search is added by a small
// embedded script reading a JSON index built beside the pages.
package site

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/json"
	"fmt"
	"html/template"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/stockpile/stockpile/config"
)

//go:embed templates/*.html
var templates embed.FS

//go:embed assets
var assets embed.FS

// Dir is the folder of the tree that holds every page but the home page, so
// that no page clashes with a repository's own files.
const Dir = "_site"

// PageSize is how many packages a repository page lists.
const PageSize = 500

// Registry is everything the site shows.
type Registry struct {
	Name    string
	BaseURL string // public URL of the tree, ending in "/"; may be empty
	// SourceURL, when set, is prefixed to a manifest's path to link to it
	// in the Git host.
	SourceURL string
	Built     time.Time
	// Repositories in repos.yaml order.
	Repositories []Repository
	// TUF describes the trusted root clients pin, when the tree is signed
	// with TUF.
	TUF *TUF
}

// TUF is what a user needs to check the root they pin.
type TUF struct {
	RootVersion int64
	Threshold   int
	RootKeyIDs  []string
	Expires     time.Time
	// Example is a target to show `stockpile get` with.
	Example string
}

// Repository is one repository and its packages.
type Repository struct {
	Name        string
	Format      string
	Description string
	Apt         *config.Apt // apt only: suites and components for the snippet
	Supported   bool
	Packages    []Package // sorted by Render
}

// Package is one package (project) with all its versions.
type Package struct {
	Name    string
	Summary string
	// Latest is the version installers pick by default; when empty, the
	// newest version with a file not yanked.
	Latest string
	// Versions newest first.
	Versions []Version
}

// Version is one version of a package.
type Version struct {
	Version    string
	Deprecated string // npm's deprecation message
	Files      []File
}

// File is one artifact of a version.
type File struct {
	Name   string
	Size   int64
	SHA256 string
	// Platform is the architecture (apt, yum) or the wheel's Python tag
	// (pypi); empty when it does not apply.
	Platform string
	Depends  []string
	Yanked   string // "" unless yanked; else the reason or "yanked"
	Added    time.Time
	Commit   string // the commit that added the manifest, when known
	Manifest string // the manifest's path in the registry repository
}

// Cache keeps rendered package pages between builds. A key is the sha256 of
// the templates and of everything the page shows, so a hit is the page
// Render would write. It does not cover this package's Go code (template
// functions): a Cache must not serve pages a different program rendered.
type Cache interface {
	Get(key [32]byte) ([]byte, bool)
	Put(key [32]byte, page []byte)
}

// Render returns every file of the site by its path in the tree: the home
// page index.html and, under Dir, repository and package pages, the search
// index, the script and the style sheet. The output depends on r alone.
// Package pages, most of a large site and rarely changed, are taken from
// cache when it has them; cache may be nil.
func Render(r Registry, cache Cache) (map[string][]byte, error) {
	t, err := parse()
	if err != nil {
		return nil, err
	}
	if r.Name == "" {
		r.Name = "Package registry"
	}
	base := r.BaseURL
	if base == "" {
		base = "BASE_URL/"
	}
	out := map[string][]byte{}
	for _, name := range []string{"site.css", "search.js"} {
		b, err := assets.ReadFile("assets/" + name)
		if err != nil {
			return nil, err
		}
		out[Dir+"/"+name] = b
	}

	var entries [][6]string
	home := homePage{page: page{Title: r.Name, Registry: &r}, Base: base}
	// Package pages see only these fields of the registry and their
	// repository, so that their cache key covers all they can show.
	pageReg := &Registry{Name: r.Name, BaseURL: r.BaseURL, SourceURL: r.SourceURL}
	for i := range r.Repositories {
		repo := &r.Repositories[i]
		pageRepo := *repo
		pageRepo.Packages = nil
		slices.SortFunc(repo.Packages, func(a, b Package) int { return strings.Compare(a.Name, b.Name) })
		paths := packagePaths(repo)
		pages := (len(repo.Packages) + PageSize - 1) / PageSize
		if pages == 0 {
			pages = 1
		}
		sum := repoSummary{Repo: repo, Packages: len(repo.Packages), URL: repoPagePath(repo.Name, 1)}
		for _, pkg := range repo.Packages {
			for _, v := range pkg.Versions {
				for _, f := range v.Files {
					if f.Added.After(sum.LastAdded) || (f.Added.Equal(sum.LastAdded) && f.Commit > sum.LastCommit) {
						sum.LastAdded, sum.LastCommit = f.Added, f.Commit
					}
				}
			}
		}
		home.Repos = append(home.Repos, sum)
		for n := 1; n <= pages; n++ {
			p := repoPagePath(repo.Name, n)
			rp := repoPage{
				page: page{Title: repo.Name + " — " + r.Name, Root: rootOf(p), Registry: &r},
				Repo: repo, Base: base, Page: n, Pages: pages,
			}
			for _, pkg := range repo.Packages[(n-1)*PageSize : min(n*PageSize, len(repo.Packages))] {
				rp.Rows = append(rp.Rows, packageRow{Package: pkg, URL: strings.TrimPrefix(paths[pkg.Name], Dir+"/"+repo.Name+"/")})
			}
			if n > 1 {
				rp.Prev = path.Base(repoPagePath(repo.Name, n-1))
			}
			if n < pages {
				rp.Next = path.Base(repoPagePath(repo.Name, n+1))
			}
			if err := render(t, out, p, "repo.html", rp); err != nil {
				return nil, err
			}
		}
		for _, pkg := range repo.Packages {
			p := paths[pkg.Name]
			pp := packagePage{
				page: page{Title: pkg.Name + " — " + r.Name, Root: rootOf(p), Registry: pageReg},
				Repo: &pageRepo, Package: pkg, Base: base,
				RepoURL: rootOf(p) + repoPagePath(repo.Name, 1),
			}
			if err := renderCached(t, cache, out, p, "package.html", pp); err != nil {
				return nil, err
			}
			entries = append(entries, [6]string{pkg.Name, repo.Name, repo.Format, latest(pkg), pkg.Summary, p})
		}
	}
	if err := render(t, out, "index.html", "home.html", home); err != nil {
		return nil, err
	}
	if entries == nil {
		entries = [][6]string{}
	}
	idx, err := json.Marshal(searchIndex{Fields: []string{"name", "repo", "format", "latest", "summary", "url"}, Packages: entries})
	if err != nil {
		return nil, err
	}
	out[Dir+"/search.json"] = idx
	return out, nil
}

// searchIndex is search.json: one compact row per package.
type searchIndex struct {
	Fields   []string    `json:"fields"`
	Packages [][6]string `json:"packages"`
}

type page struct {
	Title    string
	Root     string // relative path from the page to the tree's root
	Registry *Registry
}

type homePage struct {
	page
	Base  string
	Repos []repoSummary
}

type repoSummary struct {
	Repo     *Repository
	Packages int
	URL      string
	// The newest file's: when it entered Git, and in which commit.
	LastAdded  time.Time
	LastCommit string
}

type repoPage struct {
	page
	Repo        *Repository
	Base        string
	Rows        []packageRow
	Page, Pages int
	Prev, Next  string
}

type packageRow struct {
	Package
	URL string
}

type packagePage struct {
	page
	Repo    *Repository
	Package Package
	Base    string
	RepoURL string
}

func render(t *template.Template, out map[string][]byte, p, name string, data any) error {
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, name, data); err != nil {
		return fmt.Errorf("site page %s: %w", p, err)
	}
	out[p] = buf.Bytes()
	return nil
}

// renderCached is render through cache, keyed by the templates, the page's
// path and its data.
func renderCached(t *template.Template, cache Cache, out map[string][]byte, p, name string, data any) error {
	if cache == nil {
		return render(t, out, p, name, data)
	}
	enc, err := json.Marshal(data)
	if err != nil {
		return render(t, out, p, name, data) // e.g. a time JSON cannot hold
	}
	h := sha256.New()
	h.Write(templatesVersion[:])
	h.Write([]byte(p + "\x00" + name + "\x00"))
	h.Write(enc)
	var key [32]byte
	h.Sum(key[:0])
	if b, ok := cache.Get(key); ok {
		out[p] = b
		return nil
	}
	if err := render(t, out, p, name, data); err != nil {
		return err
	}
	cache.Put(key, out[p])
	return nil
}

// templatesVersion is the sha256 of the templates, in every cache key.
var templatesVersion = func() [32]byte {
	h := sha256.New()
	files, err := templates.ReadDir("templates")
	if err != nil {
		panic(err) // embedded at build time
	}
	for _, f := range files {
		b, err := templates.ReadFile("templates/" + f.Name())
		if err != nil {
			panic(err)
		}
		fmt.Fprintf(h, "%s\x00%d\x00", f.Name(), len(b))
		h.Write(b)
	}
	var v [32]byte
	h.Sum(v[:0])
	return v
}()

func parse() (*template.Template, error) {
	return template.New("").Funcs(template.FuncMap{
		"latest": latest,
		"dict":   dict,
		"size":   humanSize,
		"date":   func(t time.Time) string { return t.UTC().Format("2006-01-02") },
		"stamp":  func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") },
		"short": func(s string) string {
			if len(s) > 12 {
				return s[:12]
			}
			return s
		},
		"scope": func(name string) string {
			if strings.HasPrefix(name, "@") {
				if i := strings.IndexByte(name, '/'); i > 0 {
					return name[:i]
				}
			}
			return ""
		},
		"suite": func(a *config.Apt) string {
			return firstOr(a, func(a *config.Apt) []string { return a.Suites }, "stable")
		},
		"component": func(a *config.Apt) string {
			return firstOr(a, func(a *config.Apt) []string { return a.Components }, "main")
		},
	}).ParseFS(templates, "templates/*.html")
}

// dict builds a template's argument from name, value pairs.
func dict(kv ...any) (map[string]any, error) {
	if len(kv)%2 != 0 {
		return nil, fmt.Errorf("dict needs name, value pairs")
	}
	m := make(map[string]any, len(kv)/2)
	for i := 0; i < len(kv); i += 2 {
		k, ok := kv[i].(string)
		if !ok {
			return nil, fmt.Errorf("dict: name %v is not a string", kv[i])
		}
		m[k] = kv[i+1]
	}
	return m, nil
}

func firstOr(a *config.Apt, f func(*config.Apt) []string, def string) string {
	if a == nil || len(f(a)) == 0 {
		return def
	}
	return f(a)[0]
}

// latest is Latest, or the newest version with a file that is not yanked,
// else the newest version.
func latest(p Package) string {
	if p.Latest != "" {
		return p.Latest
	}
	for _, v := range p.Versions {
		for _, f := range v.Files {
			if f.Yanked == "" {
				return v.Version
			}
		}
	}
	if len(p.Versions) == 0 {
		return ""
	}
	return p.Versions[0].Version
}

func humanSize(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

func repoPagePath(repo string, n int) string {
	if n <= 1 {
		return Dir + "/" + repo + "/index.html"
	}
	return fmt.Sprintf("%s/%s/page-%d.html", Dir, repo, n)
}

// rootOf returns the relative path from the page at p to the tree's root.
func rootOf(p string) string {
	return strings.Repeat("../", strings.Count(p, "/"))
}

// packagePaths gives each package of repo a page path. Names are kept but
// for characters some stores mangle ('+' is a space to S3); an npm scope
// becomes a folder. Two names that end up the same get a numbered suffix.
func packagePaths(repo *Repository) map[string]string {
	paths := make(map[string]string, len(repo.Packages))
	used := map[string]bool{}
	for _, pkg := range repo.Packages {
		slug := slugOf(pkg.Name)
		p := Dir + "/" + repo.Name + "/p/" + slug + ".html"
		for i := 2; used[p]; i++ {
			p = fmt.Sprintf("%s/%s/p/%s~%d.html", Dir, repo.Name, slug, i)
		}
		used[p] = true
		paths[pkg.Name] = p
	}
	return paths
}

func slugOf(name string) string {
	// Only the '/' of a scope ("@scope/name") makes a folder.
	scopeEnd := -1
	if i := strings.IndexByte(name, '/'); strings.HasPrefix(name, "@") && i > 1 && i < len(name)-1 {
		scopeEnd = i
	}
	var b strings.Builder
	for i, c := range name {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_', c == '~':
			b.WriteRune(c)
		case c == '.' && i > 0 && name[i-1] != '/':
			b.WriteRune(c)
		case c == '@' && i == 0:
			b.WriteRune(c)
		case c == '/' && i == scopeEnd:
			b.WriteRune(c)
		default:
			b.WriteByte('_')
		}
	}
	if b.Len() == 0 {
		return "_"
	}
	return b.String()
}

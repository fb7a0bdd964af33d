package generator

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/theupdateframework/go-tuf/v2/metadata"

	"github.com/stockpile/stockpile/config"
	"github.com/stockpile/stockpile/formats"
	"github.com/stockpile/stockpile/formats/apt"
	"github.com/stockpile/stockpile/formats/npm"
	"github.com/stockpile/stockpile/formats/pypi"
	"github.com/stockpile/stockpile/formats/yum"
	"github.com/stockpile/stockpile/formats/yum/rpm"
	"github.com/stockpile/stockpile/signing/tuf"
	"github.com/stockpile/stockpile/site"
	"github.com/stockpile/stockpile/source"
)

// site renders the browse site from the build's artifacts.
func (b *build) site(ctx context.Context) error {
	reg := site.Registry{
		Name:      b.reg.Name,
		BaseURL:   b.reg.BaseURL,
		SourceURL: b.reg.SourceURL,
		Built:     b.now,
	}
	// The load step walked the history already; this reads its cache.
	added, err := source.AddedCommits(b.opts.Dir, b.opts.Ref, config.ManifestDir, b.opts.CacheDir)
	if err != nil {
		return err
	}
	for _, repo := range b.reg.Repositories {
		_, ok := b.formats[repo.Format]
		sr := site.Repository{
			Name:        repo.Name,
			Format:      repo.Format,
			Description: repo.Description,
			Apt:         repo.Apt,
			Supported:   ok,
		}
		if ok {
			pkgs, err := sitePackages(repo.Format, b.byRepo[repo.Name], added)
			if err != nil {
				return fmt.Errorf("repository %q: %w", repo.Name, err)
			}
			sr.Packages = pkgs
		}
		reg.Repositories = append(reg.Repositories, sr)
	}
	if reg.TUF, err = b.siteTUF(); err != nil {
		return err
	}
	// Package pages rarely change: keep them rendered in the cache.
	var sc site.Cache
	cache, err := openPageCache(filepath.Join(b.opts.CacheDir, "site", "pages.pack"))
	if err != nil {
		b.log.Warn("site pages rendered without cache", "err", err)
	} else {
		sc = cache
	}
	files, err := site.Render(reg, sc)
	if err != nil {
		return err
	}
	if cache != nil {
		b.log.Debug("site page cache", "hits", cache.hits, "rendered", cache.added)
		if err := cache.save(); err != nil {
			b.log.Warn("site page cache not written", "err", err)
		}
	}
	for _, p := range slices.Sorted(maps.Keys(files)) {
		if err := b.tree.Add(p, files[p]); err != nil {
			return err
		}
	}
	return nil
}

// siteFile is one artifact as the site shows it, with what groups it.
type siteFile struct {
	pkg, display, version, summary, deprecated string
	file                                       site.File
}

// sitePackages groups a repository's artifacts into packages and versions,
// newest version first.
func sitePackages(format string, arts []*formats.Artifact, added map[string]source.Added) ([]site.Package, error) {
	var files []siteFile
	for _, a := range arts {
		f, err := siteFileOf(format, a)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", a.Manifest.Path, err)
		}
		f.file.Name = a.Manifest.File
		f.file.Size = a.Manifest.Size
		f.file.SHA256 = a.Manifest.SHA256
		f.file.Added = a.Added
		f.file.Manifest = a.Manifest.Path
		f.file.Commit = added[a.Manifest.Path].Commit
		files = append(files, f)
	}
	compare := versionOrder(format)
	byPkg := map[string][]siteFile{}
	for _, f := range files {
		byPkg[f.pkg] = append(byPkg[f.pkg], f)
	}
	var pkgs []site.Package
	for _, key := range slices.Sorted(maps.Keys(byPkg)) {
		fs := byPkg[key]
		// Newest version first, then files by name.
		slices.SortStableFunc(fs, func(a, b siteFile) int {
			if c := compare(b.version, a.version); c != 0 {
				return c
			}
			if c := strings.Compare(b.version, a.version); c != 0 {
				return c
			}
			return strings.Compare(a.file.Name, b.file.Name)
		})
		p := site.Package{Name: fs[0].display, Summary: fs[0].summary}
		for _, f := range fs {
			n := len(p.Versions)
			if n == 0 || p.Versions[n-1].Version != f.version {
				p.Versions = append(p.Versions, site.Version{Version: f.version})
				n++
			}
			v := &p.Versions[n-1]
			if f.deprecated != "" {
				v.Deprecated = f.deprecated
			}
			v.Files = append(v.Files, f.file)
		}
		p.Latest = defaultVersion(format, p.Versions)
		pkgs = append(pkgs, p)
	}
	return pkgs, nil
}

func siteFileOf(format string, a *formats.Artifact) (siteFile, error) {
	switch format {
	case "apt":
		p, err := apt.DecodeMeta(a.Meta)
		if err != nil {
			return siteFile{}, err
		}
		names := []string{"Description", "Pre-Depends", "Depends", "Recommends", "Suggests", "Conflicts", "Breaks"}
		values := p.Fields(names...)
		summary, _, _ := strings.Cut(values[0], "\n")
		var deps []string
		for i, field := range names[1:] {
			for d := range strings.SplitSeq(values[i+1], ",") {
				if d = strings.Join(strings.Fields(d), " "); d != "" {
					if field != "Depends" {
						d = field + ": " + d
					}
					deps = append(deps, d)
				}
			}
		}
		return siteFile{pkg: p.Package, display: p.Package, version: p.Version, summary: summary,
			file: site.File{Platform: p.Architecture, Depends: deps}}, nil
	case "yum":
		p, err := yum.DecodeMeta(a.Meta)
		if err != nil {
			return siteFile{}, err
		}
		var deps []string
		for _, d := range p.Requires {
			deps = append(deps, rpmDep(d))
		}
		return siteFile{pkg: p.Name, display: p.Name, version: rpmEVR(p.Epoch, p.Version, p.Release), summary: p.Summary,
			file: site.File{Platform: p.Arch, Depends: deps}}, nil
	case "pypi":
		d, err := pypi.DecodeMeta(a.Meta)
		if err != nil {
			return siteFile{}, err
		}
		f := siteFile{pkg: pypi.Normalize(d.Name), display: d.Name, version: d.Version,
			file: site.File{Platform: pythonTag(a.Manifest.File, d.Kind)}}
		if d.RequiresPython != "" {
			f.file.Depends = append(f.file.Depends, "Python "+d.RequiresPython)
		}
		if m, err := pypi.ParseMetadata([]byte(d.Metadata)); err == nil {
			f.summary = m.Get("Summary")
			for _, fl := range m.Fields {
				if strings.EqualFold(fl.Name, "Requires-Dist") {
					f.file.Depends = append(f.file.Depends, fl.Value)
				}
			}
		}
		if a.Manifest.Yanked {
			f.file.Yanked = cmp.Or(a.Manifest.YankReason, "yanked")
		}
		return f, nil
	case "npm":
		p, err := npm.DecodeMeta(a.Meta)
		if err != nil {
			return siteFile{}, err
		}
		version, _, _ := strings.Cut(p.Version, "+") // listed without build metadata
		var deps []string
		for _, group := range []struct {
			label string
			deps  map[string]string
		}{{"", p.Dependencies}, {"optional: ", p.OptionalDependencies}, {"peer: ", p.PeerDependencies}} {
			for _, name := range slices.Sorted(maps.Keys(group.deps)) {
				deps = append(deps, group.label+name+" "+group.deps[name])
			}
		}
		return siteFile{pkg: p.Name, display: p.Name, version: version, summary: p.Description,
			deprecated: a.Manifest.Deprecated, file: site.File{Depends: deps}}, nil
	}
	return siteFile{}, fmt.Errorf("the %s format has no browse pages", format)
}

// defaultVersion is the version an installer picks without a pin: the newest
// release (not a pre-release) with a file that is not yanked, as npm's latest
// dist-tag and pip choose; the newest such pre-release when there is no
// release; "" to let the site decide.
func defaultVersion(format string, versions []site.Version) string {
	var pre func(string) bool
	switch format {
	case "npm":
		pre = func(v string) bool { return strings.Contains(v, "-") }
	case "pypi":
		pre = func(v string) bool {
			pv, err := pypi.ParseVersion(v)
			return err == nil && pv.IsPrerelease()
		}
	default:
		return ""
	}
	fallback := ""
	for _, v := range versions {
		if !slices.ContainsFunc(v.Files, func(f site.File) bool { return f.Yanked == "" }) {
			continue
		}
		if !pre(v.Version) {
			return v.Version
		}
		if fallback == "" {
			fallback = v.Version
		}
	}
	return fallback
}

func rpmEVR(epoch uint64, version, release string) string {
	vr := version + "-" + release
	if epoch > 0 {
		return strconv.FormatUint(epoch, 10) + ":" + vr
	}
	return vr
}

func rpmDep(d yum.Dep) string {
	s := d.Name
	if d.Flags != "" {
		op := map[string]string{"EQ": "=", "LT": "<", "GT": ">", "LE": "<=", "GE": ">="}[d.Flags]
		ev := d.Version
		if d.Epoch != "" && d.Epoch != "0" {
			ev = d.Epoch + ":" + ev
		}
		if d.Release != "" {
			ev += "-" + d.Release
		}
		s += " " + op + " " + ev
	}
	return s
}

// pythonTag is a wheel's python-abi-platform tag, or "source" for an sdist.
func pythonTag(file, kind string) string {
	if kind != pypi.Wheel {
		return "source"
	}
	parts := strings.Split(strings.TrimSuffix(file, ".whl"), "-")
	if len(parts) < 5 {
		return ""
	}
	return strings.Join(parts[len(parts)-3:], "-")
}

// versionOrder compares two versions of a format, lowest first.
func versionOrder(format string) func(a, b string) int {
	switch format {
	case "pypi":
		return func(a, b string) int {
			va, errA := pypi.ParseVersion(a)
			vb, errB := pypi.ParseVersion(b)
			if errA != nil || errB != nil {
				return strings.Compare(a, b)
			}
			return va.Compare(vb)
		}
	case "npm":
		return npm.CompareVersions
	case "yum":
		return rpm.CompareEVRStrings
	}
	return apt.CompareVersions
}

// siteTUF describes the root a TUF client pins, from the repository.
func (b *build) siteTUF() (*site.TUF, error) {
	if b.reg.Signing.TUF == nil || b.opts.Unsigned {
		return nil, nil
	}
	roots, err := b.tufRoots()
	if err != nil {
		return nil, err
	}
	root, err := tuf.ParseRoot(roots[len(roots)-1])
	if err != nil {
		return nil, fmt.Errorf("%s: %w", tuf.RootFile, err)
	}
	role := root.Signed.Roles[metadata.ROOT]
	example := "index.html"
	for _, repo := range b.reg.Repositories {
		if repo.Format == "apt" {
			example = repo.Name + "/dists/" + repo.Apt.Suites[0] + "/InRelease"
			break
		}
	}
	return &site.TUF{
		RootVersion: root.Signed.Version, Threshold: role.Threshold,
		RootKeyIDs: slices.Sorted(slices.Values(role.KeyIDs)), Expires: root.Signed.Expires, Example: example,
	}, nil
}

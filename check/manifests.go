package check

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strings"

	"github.com/stockpile/stockpile/artifact"
	"github.com/stockpile/stockpile/config"
	"github.com/stockpile/stockpile/formats"
	"github.com/stockpile/stockpile/generator"
)

// key names an artifact in a registry: a repository and a file name. The
// bytes behind a key never change once published.
type key struct{ repo, file string }

func byKey(reg *config.Registry) map[key]*config.Manifest {
	out := map[key]*config.Manifest{}
	if reg == nil {
		return out
	}
	for _, m := range reg.Manifests {
		out[key{m.Repo, m.File}] = m
	}
	return out
}

// checkManifests checks every manifest the change adds or modifies, and
// every published artifact it removes.
func (c *checker) checkManifests(ctx context.Context) error {
	baseKeys, fromKeys := byKey(c.baseReg), byKey(c.fromReg)
	headKeys := map[key]*config.Manifest{}
	var headResolver, fromResolver *artifact.Resolver
	headResolver = c.newResolver(c.hSnap)

	changed := map[string]bool{}
	for _, f := range c.report.Files {
		if f.Kind == "manifest" && f.Action != "removed" {
			changed[f.Path] = true
		}
	}
	// Every manifest at head, by key, to find removals; the changed ones
	// are parsed on their own so that each reports its own problems.
	var heads []*config.Manifest
	if c.headLoaded {
		heads = c.headReg.Manifests
	} else {
		heads = readManifests(c.hSnap.FS, c.headReg)
	}
	for _, m := range heads {
		headKeys[key{m.Repo, m.File}] = m
	}
	paths := make([]string, 0, len(changed))
	for p := range changed {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		if err := ctx.Err(); err != nil {
			return err
		}
		data, err := fs.ReadFile(c.hSnap.FS, p)
		if err != nil {
			return err
		}
		m, err := config.ParseManifest(p, data, c.headReg)
		if err != nil {
			c.addConfigErrors(err)
			continue
		}
		c.checkManifest(ctx, headResolver, m, baseKeys, fromKeys)
	}

	// Removals: published at the merge base and at base, gone at head.
	var removed []*config.Manifest
	for k, m := range fromKeys {
		if _, still := headKeys[k]; still {
			continue
		}
		if _, published := baseKeys[k]; !published && c.base != nil {
			continue // base already dropped it
		}
		if manifestAt(heads, m.Path) == nil {
			if _, err := fs.Stat(c.hSnap.FS, m.Path); err == nil {
				continue // still there but does not parse: a schema finding says so
			}
		}
		removed = append(removed, m)
	}
	sort.Slice(removed, func(i, j int) bool { return removed[i].Path < removed[j].Path })
	for _, m := range removed {
		pkg := Package{Repository: m.Repo, Action: "removed", File: m.File, Manifest: m.Path}
		if fromResolver == nil {
			fromResolver = c.newResolver(c.fromSnap)
		}
		if repo := c.fromReg.Repository(m.Repo); repo != nil {
			if in, _, err := c.read(ctx, fromResolver, repo.Format, m); err == nil {
				pkg.Name, pkg.Version, pkg.Arch = in.name, in.version, in.arch
			}
		}
		c.report.Packages = append(c.report.Packages, pkg)
		if c.removalAllowed(m.Repo) {
			c.add(Finding{Severity: SeverityNotice, Check: "immutable", File: m.Path,
				Message: fmt.Sprintf("removes published artifact %s from repository %q (allowed by allow_removal)", m.File, m.Repo)})
			continue
		}
		f := Finding{Severity: SeverityError, Check: "immutable", File: m.Path, Line: m.Line,
			Message: fmt.Sprintf("removes published artifact %s from repository %q: published artifacts stay; yank (PyPI) or deprecate (npm) it instead, "+
				"or set policy.allow_removal: true for the repository in repos.yaml first (it must hold at the base revision too)", m.File, m.Repo)}
		// The manifest may still be there, naming another file.
		if hm := manifestAt(heads, m.Path); hm != nil {
			f.Line = hm.Lines["file"]
			f.Message = fmt.Sprintf("now names %s instead of published artifact %s: published artifacts never change; add a new manifest for the new file", hm.File, m.File)
		} else {
			f.Line = 0
		}
		c.add(f)
	}
	return nil
}

func manifestAt(ms []*config.Manifest, p string) *config.Manifest {
	for _, m := range ms {
		if m.Path == p {
			return m
		}
	}
	return nil
}

// removalAllowed reports whether repository repo allows removals both at
// base and at head: a change cannot grant itself the right.
func (c *checker) removalAllowed(repo string) bool {
	for _, reg := range []*config.Registry{c.baseReg, c.headReg} {
		if reg == nil {
			return false
		}
		r := reg.Repository(repo)
		if r == nil || r.Policy == nil || !r.Policy.AllowRemoval {
			return false
		}
	}
	return true
}

// checkManifest checks one added or modified manifest: its bytes, what
// they hold, the repository's rules and immutability.
func (c *checker) checkManifest(ctx context.Context, res *artifact.Resolver, m *config.Manifest, baseKeys, fromKeys map[key]*config.Manifest) {
	repo := c.headReg.Repository(m.Repo)
	k := key{m.Repo, m.File}
	prev := fromKeys[k]
	if prev == nil {
		prev = baseKeys[k]
	}
	pkg := Package{Repository: m.Repo, Action: "added", File: m.File, Manifest: m.Path}
	// Immutability first: it needs no bytes.
	for _, old := range []*config.Manifest{baseKeys[k], fromKeys[k]} {
		if old == nil {
			continue
		}
		if old.SHA256 != m.SHA256 || old.Size != m.Size {
			field := "sha256"
			if old.SHA256 == m.SHA256 {
				field = "size"
			}
			c.add(Finding{Severity: SeverityError, Check: "immutable", File: m.Path, Line: m.Lines[field],
				Message: fmt.Sprintf("replaces published artifact %s of repository %q (sha256 %s, %d bytes, listed by %s) with sha256 %s, %d bytes: "+
					"published artifacts never change; release a new version instead", m.File, m.Repo, old.SHA256, old.Size, old.Pos("file"), m.SHA256, m.Size)})
			break
		}
	}
	if prev != nil {
		pkg.Action = "changed"
		pkg.Detail = placementChange(prev, m)
	}

	in, fail, err := c.read(ctx, res, repo.Format, m)
	if err != nil {
		c.addOnce(fail)
		c.report.Packages = append(c.report.Packages, pkg)
		return
	}
	pkg.Name, pkg.Version, pkg.Arch = in.name, in.version, in.arch
	c.report.Packages = append(c.report.Packages, pkg)

	if in.wantFile != "" && in.wantFile != m.File {
		c.add(Finding{Severity: SeverityError, Check: "name", File: m.Path, Line: m.Lines["file"],
			Message: fmt.Sprintf("file %s holds %s %s (%s), which is named %s: the file name must say what the artifact holds", m.File, in.name, in.version, in.arch, in.wantFile)})
	}
	if want := m.File + ".yaml"; !strings.HasSuffix(m.Path, "/"+want) {
		c.add(Finding{Severity: SeverityWarning, Check: "name", File: m.Path, Line: m.Lines["file"],
			Message: fmt.Sprintf("the manifest of %s is usually named %s (as `stockpile add` writes it)", m.File, want)})
	}
	c.checkPolicy(m, repo, in)
}

// read fetches and verifies the bytes m names and reads their metadata
// with the repository's format. On failure it returns the finding to
// report.
func (c *checker) read(ctx context.Context, res *artifact.Resolver, format string, m *config.Manifest) (info, Finding, error) {
	local, _, err := res.Resolve(ctx, m)
	if err != nil {
		var mm *artifact.MismatchError
		if errors.As(err, &mm) {
			f := Finding{Severity: SeverityError, Check: "artifact", File: m.Path, Line: m.Lines[mm.Field],
				Message: fmt.Sprintf("%s: manifest says %s %s, the bytes at %s have %s", m.File, mm.Field, mm.Want, mm.Source, mm.Got)}
			return info{}, f, err
		}
		f := Finding{Severity: SeverityError, Check: "artifact", File: m.Path, Line: m.Lines["source"],
			Message: fmt.Sprintf("cannot fetch %s: %s", m.File, trimLines(strings.TrimPrefix(err.Error(), m.Pos("source")+": ")))}
		return info{}, f, err
	}
	all := generator.Formats()
	meta, err := formats.InspectFile(all[format], local, m.File)
	if err != nil {
		f := Finding{Severity: SeverityError, Check: "artifact", File: m.Path, Line: m.Lines["file"],
			Message: fmt.Sprintf("%s is not a valid %s artifact: %v", m.File, format, err)}
		// Say which format it is, when another one reads it.
		names := make([]string, 0, len(all))
		for n := range all {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, other := range names {
			if other == format {
				continue
			}
			if _, err := formats.InspectFile(all[other], local, m.File); err == nil {
				f.Check = "format"
				f.Message = fmt.Sprintf("%s is %s %s artifact, but repository %q holds %s artifacts: move the manifest to %s %s repository", m.File, article(other), other, m.Repo, format, article(other), other)
				break
			}
		}
		return info{}, f, err
	}
	in, err := describe(format, meta)
	if err != nil {
		f := Finding{Severity: SeverityError, Check: "artifact", File: m.Path, Line: m.Lines["file"], Message: fmt.Sprintf("%s: %v", m.File, err)}
		return info{}, f, err
	}
	return in, Finding{}, nil
}

// checkPolicy holds m to its repository's rules at head and, when the
// repository exists there, at base: a change cannot loosen the rules it
// is checked against.
func (c *checker) checkPolicy(m *config.Manifest, repo *config.Repository, in info) {
	type rules struct {
		pol   *config.Policy
		where string
	}
	var all []rules
	if repo.Policy != nil {
		all = append(all, rules{repo.Policy, "head"})
	}
	if c.baseReg != nil {
		if r := c.baseReg.Repository(repo.Name); r != nil && r.Policy != nil && r.Format == repo.Format {
			all = append(all, rules{r.Policy, "base"})
		}
	}
	seen := map[string]bool{}
	add := func(f Finding, where string) {
		if seen[f.Message] {
			return
		}
		seen[f.Message] = true
		if where == "base" {
			f.Message += " (rule of the base revision's repos.yaml)"
		}
		c.add(f)
	}
	for _, r := range all {
		pol := r.pol
		if !nameAllowed(pol, repo.Format, in.name) {
			allowed := append(append([]string{}, pol.Names...), scopesOf(pol.Scopes)...)
			add(Finding{Severity: SeverityError, Check: "policy", File: m.Path, Line: m.Lines["file"],
				Message: fmt.Sprintf("package name %q is not allowed in repository %q (allowed: %s)", policyName(repo.Format, in.name), repo.Name, strings.Join(allowed, ", "))}, r.where)
		}
		if pol.MaxSize > 0 && m.Size > int64(pol.MaxSize) {
			add(Finding{Severity: SeverityError, Check: "policy", File: m.Path, Line: m.Lines["size"],
				Message: fmt.Sprintf("%s is %d bytes, more than repository %q allows (max_size %d bytes)", m.File, m.Size, repo.Name, int64(pol.MaxSize))}, r.where)
		}
		if len(pol.Licenses) > 0 {
			switch {
			case !in.hasLicense:
				add(Finding{Severity: SeverityWarning, Check: "policy", File: m.Path, Line: m.Lines["file"],
					Message: fmt.Sprintf("licenses not checked: %s artifacts carry no machine-readable license", repo.Format)}, r.where)
			case in.license == "":
				add(Finding{Severity: SeverityError, Check: "policy", File: m.Path, Line: m.Lines["file"],
					Message: fmt.Sprintf("%s declares no license; repository %q accepts %s", m.File, repo.Name, strings.Join(pol.Licenses, ", "))}, r.where)
			case !licenseAllowed(pol.Licenses, in.license):
				add(Finding{Severity: SeverityError, Check: "policy", File: m.Path, Line: m.Lines["file"],
					Message: fmt.Sprintf("license %q of %s is not allowed in repository %q (allowed: %s)", in.license, m.File, repo.Name, strings.Join(pol.Licenses, ", "))}, r.where)
			}
		}
	}
}

func scopesOf(scopes []string) []string {
	out := make([]string, len(scopes))
	for i, s := range scopes {
		out[i] = "@" + strings.TrimPrefix(s, "@") + "/*"
	}
	return out
}

// placementChange says what a modified manifest changes besides its bytes.
func placementChange(old, m *config.Manifest) string {
	var d []string
	if old.Source != m.Source {
		d = append(d, "source")
	}
	if old.Suite != m.Suite || old.Component != m.Component {
		d = append(d, "suite/component "+m.Suite+"/"+m.Component)
	}
	if old.Yanked != m.Yanked || old.YankReason != m.YankReason {
		if m.Yanked {
			d = append(d, "yanked")
		} else {
			d = append(d, "unyanked")
		}
	}
	if strings.Join(old.Tags, ",") != strings.Join(m.Tags, ",") {
		d = append(d, "tags ["+strings.Join(m.Tags, ", ")+"]")
	}
	if old.Deprecated != m.Deprecated {
		if m.Deprecated != "" {
			d = append(d, "deprecated")
		} else {
			d = append(d, "undeprecated")
		}
	}
	if old.Path != m.Path {
		d = append(d, "moved from "+old.Path)
	}
	return strings.Join(d, ", ")
}

func article(word string) string {
	if strings.ContainsAny(word[:1], "aeiou") {
		return "an"
	}
	return "a"
}

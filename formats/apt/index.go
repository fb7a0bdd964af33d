package apt

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/stockpile/stockpile/config"
	"github.com/stockpile/stockpile/dist"
	"github.com/stockpile/stockpile/formats"
)

// DateFormat is how Release files write dates (RFC 1123, always UTC).
const DateFormat = "Mon, 02 Jan 2006 15:04:05 UTC"

// entry is one package placed in a suite and component.
type entry struct {
	a                *formats.Artifact
	pkg              *Package
	suite, component string
	pool             string // path relative to the repository folder
	stanza           []byte // Packages stanza, ending in "\n"
}

// Index writes the pool, the Packages indexes (plain, .gz, .xz and by-hash
// copies) and a Release file per suite, and asks for InRelease, Release.gpg
// and the public key to be signed in.
func (format) Index(b *formats.Build, repo *config.Repository, artifacts []*formats.Artifact, tree *dist.Tree) error {
	if repo.Apt == nil {
		return fmt.Errorf("repository %q: no apt settings", repo.Name)
	}
	entries, err := place(repo, artifacts)
	if err != nil {
		return err
	}
	var errs []error
	for _, e := range entries {
		d := e.a.Digests
		if err := tree.AddArtifact(repo.Name+"/"+e.pool, e.a.Local, d.Size, d.SHA256); err != nil {
			errs = append(errs, e.a.Manifest.Errorf("file", "%s: %v", e.a.Manifest.File, err))
		}
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}

	suites, components := layout(repo, entries)
	idx := packagesIndexes(repo, suites, components, entries)
	if err := compressAll(b.Compress, idx); err != nil {
		return fmt.Errorf("repository %q: %w", repo.Name, err)
	}
	for _, ix := range idx {
		if err := ix.add(tree); err != nil {
			return fmt.Errorf("repository %q: %w", repo.Name, err)
		}
	}

	for _, suite := range suites {
		dir := repo.Name + "/dists/" + suite
		var own []*packagesIndex
		for _, ix := range idx {
			if ix.suite == suite {
				own = append(own, ix)
			}
		}
		date := releaseDate(b, dir+"/Release")
		if err := tree.Add(dir+"/Release", release(repo, suite, components, date, own)); err != nil {
			return fmt.Errorf("repository %q: %w", repo.Name, err)
		}
		tree.Sign(dist.SignRequest{Kind: dist.ClearSign, Of: dir + "/Release", Path: dir + "/InRelease"})
		tree.Sign(dist.SignRequest{Kind: dist.DetachSign, Of: dir + "/Release", Path: dir + "/Release.gpg"})
	}
	tree.Sign(dist.SignRequest{Kind: dist.PublicKeyArmor, Path: repo.Name + "/key.asc"})
	tree.Sign(dist.SignRequest{Kind: dist.PublicKeyBinary, Path: repo.Name + "/key.gpg"})
	return nil
}

// place checks every artifact and returns its entry, sorted within each
// suite and component as the Packages files list them.
func place(repo *config.Repository, artifacts []*formats.Artifact) ([]*entry, error) {
	archs := map[string]bool{"all": true}
	for _, a := range repo.Apt.Architectures {
		archs[a] = true
	}
	type key struct{ suite, component, name, version, arch string }
	seen := map[key]*formats.Artifact{}
	pools := map[string]*formats.Artifact{}
	var errs []error
	var entries []*entry
	for _, a := range artifacts {
		m := a.Manifest
		pkg, err := DecodeMeta(a.Meta)
		if err != nil {
			errs = append(errs, m.Errorf("file", "%s: %v", m.File, err))
			continue
		}
		if !archs[pkg.Architecture] {
			errs = append(errs, m.Errorf("file", "%s: architecture %q is not one of repository %q's architectures (%s) nor all",
				m.File, pkg.Architecture, repo.Name, strings.Join(repo.Apt.Architectures, ", ")))
			continue
		}
		e := &entry{a: a, pkg: pkg, suite: m.Suite, component: m.Component}
		if e.suite == "" {
			e.suite = repo.Apt.Suites[0]
		}
		if e.component == "" {
			e.component = repo.Apt.Components[0]
		}
		k := key{e.suite, e.component, pkg.Package, pkg.Version, pkg.Architecture}
		if first, dup := seen[k]; dup {
			errs = append(errs, m.Errorf("file", "%s: package %s %s (%s) is already in %s/%s by %s",
				m.File, pkg.Package, pkg.Version, pkg.Architecture, e.suite, e.component, first.Manifest.Pos("file")))
			continue
		}
		seen[k] = a
		e.pool = poolPath(e.component, pkg.Source, m.File)
		if first, dup := pools[e.pool]; dup {
			errs = append(errs, m.Errorf("file", "%s: pool path %s is also taken by %s", m.File, e.pool, first.Manifest.Pos("file")))
			continue
		}
		pools[e.pool] = a
		e.stanza = stanza(pkg, e.pool, a)
		entries = append(entries, e)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	sort.SliceStable(entries, func(i, j int) bool { return less(entries[i], entries[j]) })
	return entries, nil
}

// less orders entries by suite, component, package name, Debian version
// and architecture; exact strings break ties so the order is total.
func less(x, y *entry) bool {
	if x.suite != y.suite {
		return x.suite < y.suite
	}
	if x.component != y.component {
		return x.component < y.component
	}
	if x.pkg.Package != y.pkg.Package {
		return x.pkg.Package < y.pkg.Package
	}
	if c := CompareVersions(x.pkg.Version, y.pkg.Version); c != 0 {
		return c < 0
	}
	if x.pkg.Architecture != y.pkg.Architecture {
		return x.pkg.Architecture < y.pkg.Architecture
	}
	if x.pkg.Version != y.pkg.Version {
		return x.pkg.Version < y.pkg.Version
	}
	return x.pool < y.pool
}

// poolPath returns pool/<component>/<prefix>/<file>, with every '+' of the
// file name turned into '_': S3 reads a '+' in a request path as a space, and
// apt does not care about the base name. There is no folder per source
// package: on disk, creating one folder per package costs more than the rest
// of a build, and an object store has no folders anyway.
func poolPath(component, source, file string) string {
	prefix := source[:1]
	if strings.HasPrefix(source, "lib") && len(source) > 3 {
		prefix = source[:4]
	}
	return "pool/" + component + "/" + prefix + "/" + strings.ReplaceAll(file, "+", "_")
}

// ownFields are the fields a Packages stanza gets from the repository; a
// control file's own copies are dropped, as apt-ftparchive does.
var ownFields = []string{"Filename", "Size", "MD5sum", "SHA1", "SHA256", "SHA512"}

// stanza returns the Packages stanza of a package: its control fields as
// written, then where the file is and its hashes.
func stanza(pkg *Package, pool string, a *formats.Artifact) []byte {
	d := a.Digests
	var b bytes.Buffer
	b.Grow(len(pkg.Control) + len(pool) + 300)
	skip := false
	for rest := pkg.Control; rest != ""; {
		var line string
		line, rest, _ = strings.Cut(rest, "\n")
		if strings.Trim(line, " \t") == "" {
			continue // never end the stanza early
		}
		if line[0] != ' ' && line[0] != '\t' {
			name, _, _ := strings.Cut(line, ":")
			skip = false
			for _, f := range ownFields {
				skip = skip || strings.EqualFold(name, f)
			}
		}
		if !skip {
			b.WriteString(line)
			b.WriteByte('\n')
		}
	}
	for _, f := range [][2]string{
		{"Filename", pool},
		{"Size", strconv.FormatInt(d.Size, 10)},
		{"MD5sum", d.MD5},
		{"SHA1", d.SHA1},
		{"SHA256", d.SHA256},
		{"SHA512", d.SHA512},
	} {
		b.WriteString(f[0])
		b.WriteString(": ")
		b.WriteString(f[1])
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// layout returns the suites and components to write: the configured ones,
// then any others the artifacts name, sorted.
func layout(repo *config.Repository, entries []*entry) (suites, components []string) {
	suites = append(suites, repo.Apt.Suites...)
	components = append(components, repo.Apt.Components...)
	extraS, extraC := map[string]bool{}, map[string]bool{}
	for _, e := range entries {
		if !contains(suites, e.suite) {
			extraS[e.suite] = true
		}
		if !contains(components, e.component) {
			extraC[e.component] = true
		}
	}
	return append(suites, sortedKeys(extraS)...), append(components, sortedKeys(extraC)...)
}

// packagesIndex is one binary-<arch>/Packages file and its variants.
type packagesIndex struct {
	suite string
	dir   string // tree path of the binary-<arch> folder
	rel   string // the folder relative to dists/<suite>
	plain []byte
	gz    []byte
	xz    []byte
	key   [32]byte  // SHA-256 of plain
	sums  [3]string // hex SHA-256 of plain, gz, xz
}

// packagesIndexes renders every Packages file. Architecture: all packages
// are listed under every architecture.
func packagesIndexes(repo *config.Repository, suites, components []string, entries []*entry) []*packagesIndex {
	type group struct{ suite, component string }
	byGroup := map[group][]*entry{}
	for _, e := range entries {
		g := group{e.suite, e.component}
		byGroup[g] = append(byGroup[g], e)
	}
	var out []*packagesIndex
	for _, s := range suites {
		for _, c := range components {
			list := byGroup[group{s, c}]
			for _, arch := range repo.Apt.Architectures {
				var b bytes.Buffer
				for _, e := range list {
					if e.pkg.Architecture == arch || e.pkg.Architecture == "all" {
						b.Write(e.stanza)
						b.WriteByte('\n')
					}
				}
				plain := b.Bytes()
				if plain == nil {
					plain = []byte{} // nil Data would mark an artifact in the tree
				}
				rel := c + "/binary-" + arch
				out = append(out, &packagesIndex{
					suite: s,
					dir:   repo.Name + "/dists/" + s + "/" + rel,
					rel:   rel,
					plain: plain,
				})
			}
		}
	}
	return out
}

// compressAll fills in the .gz and .xz variants, in parallel. Identical
// Packages files (e.g. architectures holding only Architecture: all
// packages) are compressed once.
func compressAll(c *dist.Compressor, idx []*packagesIndex) error {
	type job struct {
		data []byte
		xz   bool
		out  []byte
		sum  string // hex SHA-256 of out
		err  error
	}
	var jobs []*job
	byContent := map[[32]byte][2]*job{}
	for _, ix := range idx {
		ix.key = sha256.Sum256(ix.plain)
		ix.sums[0] = hex.EncodeToString(ix.key[:])
		if _, ok := byContent[ix.key]; !ok {
			gz, xz := &job{data: ix.plain}, &job{data: ix.plain, xz: true}
			byContent[ix.key] = [2]*job{gz, xz}
			jobs = append(jobs, gz, xz)
		}
	}
	// The largest xz jobs first: they take longest.
	sort.SliceStable(jobs, func(i, j int) bool {
		if jobs[i].xz != jobs[j].xz {
			return jobs[i].xz
		}
		return len(jobs[i].data) > len(jobs[j].data)
	})
	next := make(chan *job)
	var wg sync.WaitGroup
	for w := 0; w < min(runtime.GOMAXPROCS(0), len(jobs)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range next {
				if j.xz {
					j.out, j.err = c.XZ(j.data)
				} else {
					j.out, j.err = c.Gzip(j.data)
				}
				sum := sha256.Sum256(j.out)
				j.sum = hex.EncodeToString(sum[:])
			}
		}()
	}
	for _, j := range jobs {
		next <- j
	}
	close(next)
	wg.Wait()
	for _, j := range jobs {
		if j.err != nil {
			return fmt.Errorf("compressing Packages: %w", j.err)
		}
	}
	for _, ix := range idx {
		pair := byContent[ix.key]
		ix.gz, ix.xz = pair[0].out, pair[1].out
		ix.sums[1], ix.sums[2] = pair[0].sum, pair[1].sum
	}
	return nil
}

// variant is one file of an index: its name in the binary-<arch> folder,
// bytes and hex SHA-256.
type variant struct {
	name   string
	data   []byte
	sha256 string
}

// variants returns the index's files: uncompressed, .gz and .xz.
func (ix *packagesIndex) variants() []variant {
	return []variant{
		{"Packages", ix.plain, ix.sums[0]},
		{"Packages.gz", ix.gz, ix.sums[1]},
		{"Packages.xz", ix.xz, ix.sums[2]},
	}
}

// add puts the index's files and their by-hash copies into the tree.
func (ix *packagesIndex) add(tree *dist.Tree) error {
	for _, v := range ix.variants() {
		if err := tree.Add(ix.dir+"/"+v.name, v.data); err != nil {
			return err
		}
		if err := tree.Add(ix.dir+"/by-hash/SHA256/"+v.sha256, v.data); err != nil {
			return err
		}
	}
	return nil
}

// release renders dists/<suite>/Release.
func release(repo *config.Repository, suite string, components []string, date time.Time, idx []*packagesIndex) []byte {
	var b bytes.Buffer
	field := func(name, value string) {
		if value = oneLine(value); value != "" {
			b.WriteString(name + ": " + value + "\n")
		}
	}
	field("Origin", repo.Apt.Origin)
	field("Label", repo.Apt.Label)
	field("Suite", suite)
	field("Codename", suite)
	field("Date", date.Format(DateFormat))
	if repo.Apt.ValidFor > 0 {
		field("Valid-Until", date.Add(time.Duration(repo.Apt.ValidFor)).Format(DateFormat))
	}
	field("Architectures", strings.Join(repo.Apt.Architectures, " "))
	field("Components", strings.Join(components, " "))
	field("Description", repo.Description)
	field("Acquire-By-Hash", "yes")

	type sum struct {
		path string
		hex  string
		size int
	}
	var sums []sum
	for _, ix := range idx {
		for _, v := range ix.variants() {
			sums = append(sums, sum{ix.rel + "/" + v.name, v.sha256, len(v.data)})
		}
	}
	sort.Slice(sums, func(i, j int) bool { return sums[i].path < sums[j].path })
	b.WriteString("SHA256:\n")
	for _, s := range sums {
		fmt.Fprintf(&b, " %s %16d %s\n", s.hex, s.size, s.path)
	}
	return b.Bytes()
}

// releaseDate returns the build time, or the Date of the previously built
// Release if that is later: apt ignores a Release older than the one it has.
func releaseDate(b *formats.Build, prevPath string) time.Time {
	now := b.Now.UTC().Truncate(time.Second)
	if b.Previous == nil {
		return now
	}
	data, err := b.Previous(prevPath)
	if err != nil {
		return now // no previous tree
	}
	if prev, ok := ReleaseTime(data, "Date"); ok && prev.After(now) {
		return prev
	}
	return now
}

// ReleaseTime finds and parses a time field of a Release file (Date,
// Valid-Until), accepting the RFC 1123 and RFC 2822 spellings other tools
// write.
func ReleaseTime(data []byte, field string) (time.Time, bool) {
	for rest := string(data); rest != ""; {
		var line string
		line, rest, _ = strings.Cut(rest, "\n")
		name, value, ok := strings.Cut(line, ":")
		if !ok || !strings.EqualFold(name, field) {
			continue
		}
		value = strings.TrimSpace(value)
		if i := strings.IndexByte(value, '('); i > 0 {
			value = strings.TrimSpace(value[:i]) // "+0000 (UTC)"
		}
		for _, layout := range []string{
			DateFormat,
			time.RFC1123,
			time.RFC1123Z,
			"Mon, _2 Jan 2006 15:04:05 MST",
			"Mon, _2 Jan 2006 15:04:05 -0700",
			"_2 Jan 2006 15:04:05 MST",
			"_2 Jan 2006 15:04:05 -0700",
			time.RFC3339,
		} {
			if t, err := time.Parse(layout, value); err == nil {
				return t.UTC(), true
			}
		}
		return time.Time{}, false
	}
	return time.Time{}, false
}

// oneLine joins the words of s with single spaces, so that a setting can
// never add lines to a Release file.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

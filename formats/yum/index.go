package yum

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"path"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/stockpile/stockpile/config"
	"github.com/stockpile/stockpile/dist"
	"github.com/stockpile/stockpile/formats"
	"github.com/stockpile/stockpile/formats/yum/rpm"
)

// entry is one package of the repository.
type entry struct {
	a   *formats.Artifact
	pkg *Package
	ref pkgRef
}

// Index places the packages under Packages/, writes repodata/ (primary,
// filelists and other as gzip, named by their sha256, and repomd.xml), a
// .repo file for dnf, and asks for repomd.xml.asc and key.asc to be signed
// in.
func (format) Index(b *formats.Build, repo *config.Repository, artifacts []*formats.Artifact, tree *dist.Tree) error {
	entries, err := place(b, artifacts)
	if err != nil {
		return err
	}
	var errs []error
	for _, e := range entries {
		d := e.a.Digests
		if err := tree.AddArtifact(repo.Name+"/"+e.ref.href, e.a.Local, d.Size, d.SHA256); err != nil {
			errs = append(errs, e.a.Manifest.Errorf("file", "%s: %v", e.a.Manifest.File, err))
		}
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}

	docs := render(entries)
	if err := compressAll(b.Compress, docs); err != nil {
		return err
	}
	revision := revisionOf(b, repo.Name+"/repodata/repomd.xml")
	for _, d := range docs {
		if err := tree.Add(repo.Name+"/"+d.href(), d.gz); err != nil {
			return err
		}
	}
	repomdPath := repo.Name + "/repodata/repomd.xml"
	if err := tree.Add(repomdPath, repomd(revision, docs)); err != nil {
		return err
	}
	tree.Sign(dist.SignRequest{Kind: dist.DetachSign, Of: repomdPath, Path: repomdPath + ".asc"})
	tree.Sign(dist.SignRequest{Kind: dist.PublicKeyArmor, Path: repo.Name + "/key.asc"})
	keys, err := packagerKeys(b, repo, tree)
	if err != nil {
		return err
	}
	if b.BaseURL != "" {
		if err := tree.Add(repo.Name+"/"+repo.Name+".repo", repoFile(b.BaseURL, repo, keys)); err != nil {
			return err
		}
	}
	return nil
}

// place decodes every artifact's metadata, checks that no two artifacts
// are the same package or share a location, and returns the entries in
// the order the indexes list them.
func place(b *formats.Build, artifacts []*formats.Artifact) ([]*entry, error) {
	entries := make([]*entry, len(artifacts))
	errs := make([]error, len(artifacts))
	parallel(len(artifacts), func(i int) {
		a := artifacts[i]
		pkg, err := DecodeMeta(a.Meta)
		if err != nil {
			errs[i] = a.Manifest.Errorf("file", "%s: %v", a.Manifest.File, err)
			return
		}
		added := a.Added
		if added.IsZero() {
			added = b.Now
		}
		entries[i] = &entry{a: a, pkg: pkg, ref: pkgRef{
			pkgid: a.Digests.SHA256,
			href:  poolPath(pkg.Name, a.Manifest.File),
			time:  added.Unix(),
			size:  a.Digests.Size,
		}}
	})
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	errs = nil

	type nevra struct {
		name, version, release, arch string
		epoch                        uint64
	}
	seen := map[nevra]*formats.Artifact{}
	hrefs := map[string]*formats.Artifact{}
	for _, e := range entries {
		m, p := e.a.Manifest, e.pkg
		k := nevra{p.Name, p.Version, p.Release, p.Arch, p.Epoch}
		if first, dup := seen[k]; dup {
			errs = append(errs, m.Errorf("file", "%s: package %s is already in the repository by %s", m.File, p.NEVRA(), first.Manifest.Pos("file")))
			continue
		}
		seen[k] = e.a
		if first, dup := hrefs[e.ref.href]; dup {
			errs = append(errs, m.Errorf("file", "%s: location %s is also taken by %s", m.File, e.ref.href, first.Manifest.Pos("file")))
			continue
		}
		hrefs[e.ref.href] = e.a
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	sort.Slice(entries, func(i, j int) bool { return less(entries[i], entries[j]) })
	return entries, nil
}

// less orders packages by name, then rpm's version order (epoch, version,
// release), then architecture; exact strings and the location break ties
// so that the order is total.
func less(x, y *entry) bool {
	p, q := x.pkg, y.pkg
	if p.Name != q.Name {
		return p.Name < q.Name
	}
	if c := rpm.CompareEVR(p.Epoch, p.Version, p.Release, q.Epoch, q.Version, q.Release); c != 0 {
		return c < 0
	}
	if p.Arch != q.Arch {
		return p.Arch < q.Arch
	}
	if p.Version != q.Version {
		return p.Version < q.Version
	}
	if p.Release != q.Release {
		return p.Release < q.Release
	}
	return x.ref.href < y.ref.href
}

// poolPath returns Packages/<first letter of the name>/<file name>, with
// every character other than letters, digits and "._~-" turned into '_':
// S3 reads a '+' in a request path as a space, and dnf does not care about
// the base name.
func poolPath(name, file string) string {
	safe := []byte(file)
	for i, c := range safe {
		if !keySafe(c) {
			safe[i] = '_'
		}
	}
	c := name[0]
	switch {
	case c >= 'A' && c <= 'Z':
		c += 'a' - 'A'
	case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
	default:
		c = '_'
	}
	return "Packages/" + string(c) + "/" + string(safe)
}

func keySafe(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '~' || c == '-'
}

// doc is one metadata file of repodata/.
type doc struct {
	kind   string // primary, filelists, other
	plain  []byte
	gz     []byte
	sum    string // hex sha256 of gz
	opened string // hex sha256 of plain
}

// href is the doc's path in the repository, named by its compressed
// bytes' hash as createrepo_c's --unique-md-filenames does.
func (d *doc) href() string { return "repodata/" + d.sum + "-" + d.kind + ".xml.gz" }

// render writes primary.xml, filelists.xml and other.xml. Packages are
// rendered in parallel, in contiguous runs, and joined in order.
func render(entries []*entry) []*doc {
	n := len(entries)
	runs := min(max(1, n/64), 4*runtime.GOMAXPROCS(0))
	parts := make([][3][]byte, runs)
	parallel(runs, func(r int) {
		lo, hi := r*n/runs, (r+1)*n/runs
		// The metadata's size is a fair guess of the XML's.
		size := 0
		for _, e := range entries[lo:hi] {
			size += len(e.a.Meta)
		}
		pri, fil, oth := make([]byte, 0, size), make([]byte, 0, size/2), make([]byte, 0, size/2)
		for _, e := range entries[lo:hi] {
			pri = appendPrimary(pri, e.pkg, e.ref)
			fil = appendFilelists(fil, e.pkg, e.ref)
			oth = appendOther(oth, e.pkg, e.ref)
		}
		parts[r] = [3][]byte{pri, fil, oth}
	})
	count := strconv.Itoa(n)
	heads := [3]string{
		xmlDecl + `<metadata xmlns="` + nsCommon + `" xmlns:rpm="` + nsRPM + `" packages="` + count + "\">\n",
		xmlDecl + `<filelists xmlns="` + nsFilelists + `" packages="` + count + "\">\n",
		xmlDecl + `<otherdata xmlns="` + nsOther + `" packages="` + count + "\">\n",
	}
	tails := [3]string{"</metadata>\n", "</filelists>\n", "</otherdata>\n"}
	kinds := [3]string{"primary", "filelists", "other"}
	docs := make([]*doc, 3)
	for k := range docs {
		size := len(heads[k]) + len(tails[k])
		for _, p := range parts {
			size += len(p[k])
		}
		out := make([]byte, 0, size)
		out = append(out, heads[k]...)
		for _, p := range parts {
			out = append(out, p[k]...)
		}
		out = append(out, tails[k]...)
		docs[k] = &doc{kind: kinds[k], plain: out}
	}
	return docs
}

// compressAll gzips the docs (in parallel: the compressor splits each into
// cached chunks) and hashes both forms.
func compressAll(c *dist.Compressor, docs []*doc) error {
	errs := make([]error, len(docs))
	parallel(len(docs), func(i int) {
		d := docs[i]
		sum := sha256.Sum256(d.plain)
		d.opened = hex.EncodeToString(sum[:])
		d.gz, errs[i] = c.Gzip(d.plain)
		if errs[i] != nil {
			errs[i] = fmt.Errorf("compressing %s.xml: %w", d.kind, errs[i])
			return
		}
		sum = sha256.Sum256(d.gz)
		d.sum = hex.EncodeToString(sum[:])
	})
	return errors.Join(errs...)
}

// repomd renders repodata/repomd.xml.
func repomd(revision int64, docs []*doc) []byte {
	rev := strconv.FormatInt(revision, 10)
	b := []byte(xmlDecl + `<repomd xmlns="` + nsRepo + `" xmlns:rpm="` + nsRPM + "\">\n  <revision>" + rev + "</revision>\n")
	for _, d := range docs {
		b = append(b, "  <data type=\""+d.kind+"\">\n"...)
		b = append(b, "    <checksum type=\"sha256\">"+d.sum+"</checksum>\n"...)
		b = append(b, "    <open-checksum type=\"sha256\">"+d.opened+"</open-checksum>\n"...)
		b = append(b, "    <location href=\""+d.href()+"\"/>\n"...)
		b = append(b, "    <timestamp>"+rev+"</timestamp>\n"...)
		b = append(b, "    <size>"+strconv.Itoa(len(d.gz))+"</size>\n"...)
		b = append(b, "    <open-size>"+strconv.Itoa(len(d.plain))+"</open-size>\n"...)
		b = append(b, "  </data>\n"...)
	}
	return append(b, "</repomd>\n"...)
}

var revisionElem = regexp.MustCompile(`<revision>\s*([0-9]+)\s*</revision>`)

// Revision returns the revision a repomd.xml states.
func Revision(repomd []byte) (int64, bool) {
	m := revisionElem.FindSubmatch(repomd)
	if m == nil {
		return 0, false
	}
	r, err := strconv.ParseInt(string(m[1]), 10, 64)
	return r, err == nil
}

// revisionOf returns the build time in Unix seconds, or the revision of the
// previously built repomd.xml if that is higher: the revision never goes
// down.
func revisionOf(b *formats.Build, prevPath string) int64 {
	now := b.Now.Unix()
	if b.Previous == nil {
		return now
	}
	data, err := b.Previous(prevPath)
	if err != nil {
		return now
	}
	if prev, ok := Revision(data); ok && prev > now {
		return prev
	}
	return now
}

// packagerKeys publishes the keys that sign the packages themselves at
// <repo>/keys/<file> and returns those paths, relative to the repository.
func packagerKeys(b *formats.Build, repo *config.Repository, tree *dist.Tree) ([]string, error) {
	if repo.Yum == nil {
		return nil, nil
	}
	var out []string
	for _, p := range repo.Yum.PackagerKeys {
		if b.ReadSource == nil {
			return nil, fmt.Errorf("packager key %s: no registry repository to read it from", p)
		}
		data, err := b.ReadSource(p)
		if err != nil {
			return nil, fmt.Errorf("packager key %s: %w", p, err)
		}
		rel := "keys/" + path.Base(p)
		if err := tree.Add(repo.Name+"/"+rel, data); err != nil {
			return nil, err
		}
		out = append(out, rel)
	}
	return out, nil
}

// repoFile renders the .repo file dnf reads from /etc/yum.repos.d/: every
// signature check on, the repository's key for repomd.xml and the packager
// keys for the packages.
func repoFile(baseURL string, repo *config.Repository, packagerKeys []string) []byte {
	name := strings.Join(strings.Fields(repo.Description), " ")
	if name == "" {
		name = repo.Name
	}
	url := baseURL + repo.Name + "/"
	return []byte("[" + repo.Name + "]\n" +
		"name=" + name + "\n" +
		"baseurl=" + url + "\n" +
		"enabled=1\n" +
		"gpgcheck=1\n" +
		"repo_gpgcheck=1\n" +
		"gpgkey=" + strings.Join(append([]string{url + "key.asc"}, prefixAll(url, packagerKeys)...), " ") + "\n")
}

func prefixAll(prefix string, list []string) []string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = prefix + s
	}
	return out
}

// parallel runs f(0..n-1) on every core.
func parallel(n int, f func(int)) {
	workers := min(n, runtime.GOMAXPROCS(0))
	if workers <= 1 {
		for i := 0; i < n; i++ {
			f(i)
		}
		return
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	next := 0
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				i := next
				next++
				mu.Unlock()
				if i >= n {
					return
				}
				f(i)
			}
		}()
	}
	wg.Wait()
}

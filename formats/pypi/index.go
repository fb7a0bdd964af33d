package pypi

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"html"
	"net/url"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"

	"github.com/stockpile/stockpile/config"
	"github.com/stockpile/stockpile/dist"
	"github.com/stockpile/stockpile/formats"
)

// APIVersion is the Simple Repository API version the pages declare: 1.1
// (PEP 700) makes versions, size and upload-time part of the JSON pages.
const APIVersion = "1.1"

// UploadTimeFormat is PEP 700's upload-time format.
const UploadTimeFormat = "2006-01-02T15:04:05.000000Z"

// file is one distribution file placed in a project.
type file struct {
	a       *formats.Artifact
	dist    *Dist
	version Version
	project string // normalized name
	path    string // in the repository folder: files/<project>/<file name>
	href    string // from the project page, '+' written as %2B
	metaSHA string // hex sha256 of the .metadata file; "" for sdists
}

// project is one project page and its files, sorted by version and name.
type project struct {
	name  string // normalized
	files []*file
}

// Index writes the files under files/<project>/ (and a .metadata file
// beside every wheel), a page per project under simple/<project>/ and the
// list of projects at simple/, each page as HTML (index.html, the default)
// and as JSON (index.json).
func (format) Index(b *formats.Build, repo *config.Repository, artifacts []*formats.Artifact, tree *dist.Tree) error {
	projects, err := place(artifacts)
	if err != nil {
		return err
	}
	root := repo.Name + "/"
	errs := make([]error, len(projects)+1)
	parallel(len(projects), func(i int) { errs[i] = addProject(tree, root, projects[i]) })
	errs[len(projects)] = addPage(tree, root+"simple/", rootHTML(projects), rootJSON(projects))
	return errors.Join(errs...)
}

// addProject adds a project's files and pages to the tree.
func addProject(tree *dist.Tree, root string, p *project) error {
	var errs []error
	for _, f := range p.files {
		d := f.a.Digests
		if err := tree.AddArtifact(root+f.path, f.a.Local, d.Size, d.SHA256); err != nil {
			errs = append(errs, f.a.Manifest.Errorf("file", "%s: %v", f.a.Manifest.File, err))
		}
		if f.dist.Kind == Wheel {
			if err := tree.Add(root+f.path+".metadata", []byte(f.dist.Metadata)); err != nil {
				errs = append(errs, f.a.Manifest.Errorf("file", "%s: %v", f.a.Manifest.File, err))
			}
		}
	}
	if err := addPage(tree, root+"simple/"+p.name+"/", projectHTML(p), projectJSON(p)); err != nil {
		errs = append(errs, fmt.Errorf("project %s: %w", p.name, err))
	}
	return errors.Join(errs...)
}

func addPage(tree *dist.Tree, dir string, page, js []byte) error {
	if err := tree.Add(dir+"index.html", page); err != nil {
		return err
	}
	return tree.Add(dir+"index.json", js)
}

// parallel calls fn(0) ... fn(n-1) on every processor.
func parallel(n int, fn func(i int)) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(n, runtime.GOMAXPROCS(0)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1)) - 1; i < n; i = int(next.Add(1)) - 1 {
				fn(i)
			}
		}()
	}
	wg.Wait()
}

// readFile decodes and checks an artifact's metadata.
func readFile(a *formats.Artifact) (*file, error) {
	m := a.Manifest
	d, err := DecodeMeta(a.Meta)
	if err != nil {
		return nil, m.Errorf("file", "%s: %v", m.File, err)
	}
	// Metadata is cached by content: the same bytes may have been read
	// under another name, so the name is checked again here.
	v, err := checkFileName(m.File, d.Kind, d.Name, d.Version)
	if err != nil {
		return nil, m.Errorf("file", "%s: %v", m.File, err)
	}
	name := Normalize(d.Name)
	if folder, ok := projectFolder(m); ok && folder != name {
		return nil, m.Errorf("file", "%s belongs to project %q, not to %q: manifests in packages/%s/%s/ are for project %s only",
			m.File, name, folder, m.Repo, folder, folder)
	}
	f := &file{
		a: a, dist: d, version: v, project: name,
		path: "files/" + name + "/" + m.File,
		href: "../../files/" + name + "/" + escapeSegment(m.File),
	}
	if d.Kind == Wheel {
		sum := sha256.Sum256([]byte(d.Metadata))
		f.metaSHA = hex.EncodeToString(sum[:])
	}
	return f, nil
}

// place checks every artifact and groups them by project.
func place(artifacts []*formats.Artifact) ([]*project, error) {
	files := make([]*file, len(artifacts))
	errs := make([]error, len(artifacts))
	parallel(len(artifacts), func(i int) { files[i], errs[i] = readFile(artifacts[i]) })
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	byName := map[string]*project{}
	lower := make(map[string]*formats.Artifact, len(files)) // files by lowercase name
	errs = nil
	for _, f := range files {
		m := f.a.Manifest
		if first, dup := lower[strings.ToLower(m.File)]; dup {
			errs = append(errs, m.Errorf("file", "%s differs only in case from %s listed by %s", m.File, first.Manifest.File, first.Manifest.Pos("file")))
			continue
		}
		lower[strings.ToLower(m.File)] = f.a
		p := byName[f.project]
		if p == nil {
			p = &project{name: f.project}
			byName[f.project] = p
		}
		p.files = append(p.files, f)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	projects := make([]*project, 0, len(byName))
	for _, p := range byName {
		sort.Slice(p.files, func(i, j int) bool {
			if c := p.files[i].version.Compare(p.files[j].version); c != 0 {
				return c < 0
			}
			return p.files[i].a.Manifest.File < p.files[j].a.Manifest.File
		})
		projects = append(projects, p)
	}
	sort.Slice(projects, func(i, j int) bool { return projects[i].name < projects[j].name })
	return projects, nil
}

// projectFolder returns the folder a manifest sits in below
// packages/<repo>/, if any.
func projectFolder(m *config.Manifest) (string, bool) {
	rest := strings.TrimPrefix(m.Path, config.ManifestDir+"/"+m.Repo+"/")
	folder, _, nested := strings.Cut(rest, "/")
	return folder, nested
}

// escapeSegment percent-encodes a file name for a URL path, '+' included:
// S3 reads a literal '+' in a request path as a space. pip and poetry
// decode the name from the URL, so the real name is kept.
func escapeSegment(name string) string {
	return strings.ReplaceAll(url.PathEscape(name), "+", "%2B")
}

const pageHead = `<!DOCTYPE html>
<html>
  <head>
    <meta name="pypi:repository-version" content="` + APIVersion + `">
    <title>%s</title>
  </head>
  <body>
    <h1>%s</h1>
`

const pageTail = `  </body>
</html>
`

// projectHTML renders a project page (PEP 503, 592, 658, 714).
func projectHTML(p *project) []byte {
	var b bytes.Buffer
	b.Grow(len(pageHead) + len(pageTail) + 450*len(p.files))
	title := html.EscapeString("Links for " + p.name)
	fmt.Fprintf(&b, pageHead, title, title)
	for _, f := range p.files {
		b.WriteString(`    <a href="`)
		b.WriteString(html.EscapeString(f.href))
		b.WriteString("#sha256=")
		b.WriteString(f.a.Digests.SHA256)
		b.WriteByte('"')
		if f.dist.RequiresPython != "" {
			b.WriteString(` data-requires-python="`)
			b.WriteString(html.EscapeString(f.dist.RequiresPython))
			b.WriteByte('"')
		}
		if f.metaSHA != "" {
			// Both names: data-dist-info-metadata for pip before 23.3.
			b.WriteString(` data-dist-info-metadata="sha256=`)
			b.WriteString(f.metaSHA)
			b.WriteString(`" data-core-metadata="sha256=`)
			b.WriteString(f.metaSHA)
			b.WriteByte('"')
		}
		if m := f.a.Manifest; m.Yanked {
			// Always with a value: pip's HTML parser reads a bare
			// data-yanked as not yanked.
			b.WriteString(` data-yanked="`)
			b.WriteString(html.EscapeString(m.YankReason))
			b.WriteByte('"')
		}
		b.WriteByte('>')
		b.WriteString(html.EscapeString(f.a.Manifest.File))
		b.WriteString("</a><br>\n")
	}
	b.WriteString(pageTail)
	return b.Bytes()
}

// rootHTML renders the list of projects.
func rootHTML(projects []*project) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, pageHead, "Simple index", "Simple index")
	for _, p := range projects {
		name := html.EscapeString(p.name)
		b.WriteString(`    <a href="` + name + `/">` + name + "</a><br>\n")
	}
	b.WriteString(pageTail)
	return b.Bytes()
}

// projectJSON renders a project page as PEP 691 JSON with PEP 700's
// fields. Files have core-metadata (PEP 714) but never dist-info-metadata:
// pip 23.0 fails on a dict there.
func projectJSON(p *project) []byte {
	w := &jsonWriter{b: make([]byte, 0, 200+650*len(p.files))}
	w.open('{')
	w.key("meta")
	w.open('{')
	w.key("api-version")
	w.str(APIVersion)
	w.close('}')
	w.key("name")
	w.str(p.name)
	w.key("versions")
	w.open('[')
	for i, f := range p.files { // in version order: equal versions are adjacent
		if i == 0 || f.version.Compare(p.files[i-1].version) != 0 {
			w.item()
			w.str(f.version.String())
		}
	}
	w.close(']')
	w.key("files")
	w.open('[')
	for _, f := range p.files {
		m := f.a.Manifest
		w.item()
		w.open('{')
		w.key("filename")
		w.str(m.File)
		w.key("url")
		w.str(f.href)
		w.key("hashes")
		w.open('{')
		w.key("sha256")
		w.str(f.a.Digests.SHA256)
		w.close('}')
		if f.dist.RequiresPython != "" {
			w.key("requires-python")
			w.str(f.dist.RequiresPython)
		}
		if f.metaSHA != "" {
			w.key("core-metadata")
			w.open('{')
			w.key("sha256")
			w.str(f.metaSHA)
			w.close('}')
		}
		w.key("yanked")
		switch {
		case m.Yanked && m.YankReason != "":
			w.str(m.YankReason)
		case m.Yanked:
			w.raw("true")
		default:
			w.raw("false")
		}
		w.key("size")
		w.raw(strconv.FormatInt(f.a.Digests.Size, 10))
		if !f.a.Added.IsZero() {
			w.key("upload-time")
			w.str(f.a.Added.UTC().Format(UploadTimeFormat))
		}
		w.close('}')
	}
	w.close(']')
	w.close('}')
	return w.bytes()
}

// rootJSON renders the list of projects as PEP 691 JSON.
func rootJSON(projects []*project) []byte {
	w := &jsonWriter{}
	w.open('{')
	w.key("meta")
	w.open('{')
	w.key("api-version")
	w.str(APIVersion)
	w.close('}')
	w.key("projects")
	w.open('[')
	for _, p := range projects {
		w.item()
		w.open('{')
		w.key("name")
		w.str(p.name)
		w.close('}')
	}
	w.close(']')
	w.close('}')
	return w.bytes()
}

// jsonWriter writes JSON indented by two spaces, as encoding/json's
// Encoder with SetIndent("", "  ") and SetEscapeHTML(false) does, without
// reflection: a build writes a page per project.
type jsonWriter struct {
	b     []byte
	depth int
	first bool // no member yet in the current object or array
}

func (w *jsonWriter) newline() {
	w.b = append(w.b, '\n')
	for range w.depth {
		w.b = append(w.b, "  "...)
	}
}

func (w *jsonWriter) open(c byte) {
	w.b = append(w.b, c)
	w.depth++
	w.first = true
}

func (w *jsonWriter) close(c byte) {
	w.depth--
	if !w.first {
		w.newline()
	}
	w.b = append(w.b, c)
	w.first = false
}

// item starts an array element.
func (w *jsonWriter) item() {
	if !w.first {
		w.b = append(w.b, ',')
	}
	w.first = false
	w.newline()
}

func (w *jsonWriter) key(k string) {
	w.item()
	w.str(k)
	w.b = append(w.b, ": "...)
	w.first = true // the value follows on the same line
}

func (w *jsonWriter) raw(s string) {
	w.b = append(w.b, s...)
	w.first = false
}

// str writes a JSON string: quotes, backslashes, control characters, U+2028,
// U+2029 and invalid UTF-8 escaped as encoding/json does.
func (w *jsonWriter) str(s string) {
	const hex = "0123456789abcdef"
	w.b = append(w.b, '"')
	i := 0
	for i < len(s) && s[i] >= 0x20 && s[i] < utf8.RuneSelf && s[i] != '"' && s[i] != '\\' {
		i++ // the common case: nothing to escape
	}
	w.b = append(w.b, s[:i]...)
	for i < len(s) {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				w.b = append(w.b, '\\', c)
			case c == '\n':
				w.b = append(w.b, '\\', 'n')
			case c == '\r':
				w.b = append(w.b, '\\', 'r')
			case c == '\t':
				w.b = append(w.b, '\\', 't')
			case c == '\b':
				w.b = append(w.b, '\\', 'b')
			case c == '\f':
				w.b = append(w.b, '\\', 'f')
			case c < 0x20:
				w.b = append(w.b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			default:
				w.b = append(w.b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			w.b = append(w.b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			w.b = append(w.b, '\\', 'u', '2', '0', '2', hex[r&0xf])
		default:
			w.b = append(w.b, s[i:i+size]...)
		}
		i += size
	}
	w.b = append(w.b, '"')
	w.first = false
}

func (w *jsonWriter) bytes() []byte { return append(w.b, '\n') }

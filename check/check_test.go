package check

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/google/go-cmp/cmp"

	"github.com/stockpile/stockpile/config"
	"github.com/stockpile/stockpile/formats"
	"github.com/stockpile/stockpile/generator"
	"github.com/stockpile/stockpile/internal/debgen"
	"github.com/stockpile/stockpile/internal/npmgen"
)

// fixture is a registry repository with a Git history built by the test.
type fixture struct {
	t    *testing.T
	dir  string
	repo *git.Repository
	when time.Time
}

const reposYAML = `name: Test registry
base_url: http://registry.example.org/
repositories:
  - name: npm
    format: npm
    policy:
      scopes: [acme]
      max_size: 1MB
      licenses: [MIT, Apache-2.0]
  - name: apt
    format: apt
`

func newFixture(t *testing.T) *fixture {
	t.Helper()
	dir := t.TempDir()
	repo, err := git.PlainInit(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, dir: dir, repo: repo, when: time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)}
	f.write("repos.yaml", []byte(reposYAML))
	return f
}

func (f *fixture) write(p string, data []byte) {
	f.t.Helper()
	full := filepath.Join(f.dir, filepath.FromSlash(p))
	if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
		f.t.Fatal(err)
	}
	if err := os.WriteFile(full, data, 0o644); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) remove(p string) {
	f.t.Helper()
	if err := os.Remove(filepath.Join(f.dir, filepath.FromSlash(p))); err != nil {
		f.t.Fatal(err)
	}
}

// commit records the working tree, signed with key when it is not nil.
func (f *fixture) commit(msg string, key *openpgp.Entity) string {
	f.t.Helper()
	wt, err := f.repo.Worktree()
	if err != nil {
		f.t.Fatal(err)
	}
	if err := wt.AddWithOptions(&git.AddOptions{All: true}); err != nil {
		f.t.Fatal(err)
	}
	f.when = f.when.Add(time.Hour)
	sig := &object.Signature{Name: "t", Email: "t@example.org", When: f.when}
	h, err := wt.Commit(msg, &git.CommitOptions{Author: sig, Committer: sig, SignKey: key, AllowEmptyCommits: true})
	if err != nil {
		f.t.Fatal(err)
	}
	return h.String()
}

func manifest(file string, data []byte, source string) []byte {
	sum := sha256.Sum256(data)
	return fmt.Appendf(nil, "file: %s\nsha256: %s\nsize: %d\nsource: %s\n", file, hex.EncodeToString(sum[:]), len(data), source)
}

func npmTarball(t *testing.T, pj map[string]any) (string, []byte) {
	t.Helper()
	p := npmgen.Package{JSON: pj, Files: map[string][]byte{"index.js": []byte("module.exports = 1\n")}}
	data, err := p.Build()
	if err != nil {
		t.Fatal(err)
	}
	return p.FileName(), data
}

// addNPM stores a tarball under blobs/npm/ and writes its manifest; it
// returns the manifest's path.
func (f *fixture) addNPM(name, version, license string) string {
	file, data := npmTarball(f.t, map[string]any{"name": name, "version": version, "license": license})
	f.write("blobs/npm/"+file, data)
	m := "packages/npm/" + file + ".yaml"
	f.write(m, manifest(file, data, "blobs/npm/"+file))
	return m
}

func deb(t *testing.T, pkg, version string) []byte {
	t.Helper()
	data, err := debgen.Build(debgen.Control{Package: pkg, Version: version, Architecture: "all", Maintainer: "T <t@example.org>", Description: "test"},
		map[string][]byte{"usr/share/doc/" + pkg + "/README": []byte("hello\n")})
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func (f *fixture) addDeb(file string, data []byte) string {
	f.write("blobs/apt/"+file, data)
	m := "packages/apt/" + file + ".yaml"
	f.write(m, manifest(file, data, "blobs/apt/"+file))
	return m
}

func (f *fixture) run(base, head string) (*Report, error) {
	f.t.Helper()
	return Run(context.Background(), Options{
		Dir: f.dir, Base: base, Head: head, CacheDir: filepath.Join(f.dir, ".stockpile", "cache"),
		Getenv: func(string) string { return "" },
	})
}

// baseline commits a registry with one npm package and one deb.
func baseline(t *testing.T) (*fixture, string) {
	f := newFixture(t)
	f.addNPM("@acme/hello", "1.0.0", "MIT")
	f.addDeb("hello_1.0-1_all.deb", deb(t, "hello", "1.0-1"))
	f.write(".gitignore", []byte("/.stockpile/\n"))
	return f, f.commit("baseline", nil)
}

func TestAddedPackagePasses(t *testing.T) {
	f, base := baseline(t)
	f.addNPM("@acme/hello", "1.1.0", "Apache-2.0 OR GPL-3.0-only")
	f.addDeb("greeting_2:1.2-1_all.deb", deb(t, "greeting", "2:1.2-1"))
	f.remove("packages/apt/greeting_2:1.2-1_all.deb.yaml")
	// dpkg-name leaves the epoch out of file names.
	f.remove("blobs/apt/greeting_2:1.2-1_all.deb")
	f.addDeb("greeting_1.2-1_all.deb", deb(t, "greeting", "2:1.2-1"))
	head := f.commit("add hello 1.1.0 and greeting", nil)

	r, err := f.run(base, head)
	if err != nil {
		t.Fatalf("Run = %v, want nil\n%v", err, r.Findings)
	}
	want := []Package{
		{Repository: "apt", Action: "added", Name: "greeting", Version: "2:1.2-1", Arch: "all", File: "greeting_1.2-1_all.deb", Manifest: "packages/apt/greeting_1.2-1_all.deb.yaml"},
		{Repository: "npm", Action: "added", Name: "@acme/hello", Version: "1.1.0", File: "acme-hello-1.1.0.tgz", Manifest: "packages/npm/acme-hello-1.1.0.tgz.yaml"},
	}
	if diff := cmp.Diff(want, r.Packages); diff != "" {
		t.Errorf("Packages (-want +got):\n%s", diff)
	}
	if !r.OK || len(r.Commits) != 1 || r.Base != base || r.MergeBase != base || r.Head != head {
		t.Errorf("report: ok %v, %d commits, base %s merge base %s head %s", r.OK, len(r.Commits), r.Base, r.MergeBase, r.Head)
	}
	if r.Tree == nil || !contains(r.Tree.Added, "npm/@acme/hello/-/hello-1.1.0.tgz") || !contains(r.Tree.Modified, "npm/@acme/hello/index.json") {
		t.Errorf("tree diff does not show the new tarball and the changed packument: %+v", r.Tree)
	}
	// The temporary builds leave nothing behind in the cache but the cache.
	if left, _ := os.ReadDir(filepath.Join(f.dir, ".stockpile", "cache", "written")); len(left) != 0 {
		t.Errorf("build records left in the cache: %v", left)
	}
	if left, _ := os.ReadDir(filepath.Join(f.dir, ".stockpile", "cache", "check")); len(left) != 0 {
		t.Errorf("build folders left in the cache: %v", left)
	}
	var md bytes.Buffer
	r.Markdown(&md)
	for _, s := range []string{"may merge", "| added | @acme/hello | 1.1.0 |", "+ npm/@acme/hello/-/hello-1.1.0.tgz"} {
		if !strings.Contains(md.String(), s) {
			t.Errorf("Markdown lacks %q:\n%s", s, md.String())
		}
	}
}

func TestRefusals(t *testing.T) {
	tests := []struct {
		name   string
		change func(t *testing.T, f *fixture)
		check  string // of the error finding
		file   string
		line   int
		msg    string // part of its message
		only   bool   // it is the only finding
	}{
		{
			name: "hash mismatch",
			change: func(t *testing.T, f *fixture) {
				file, data := npmTarball(t, map[string]any{"name": "@acme/hello", "version": "2.0.0", "license": "MIT"})
				f.write("blobs/npm/"+file, data)
				other := append(bytes.Clone(data), 0)
				m := manifest(file, data, "blobs/npm/"+file)
				sum := sha256.Sum256(other)
				m = bytes.Replace(m, []byte(hexOf(data)), []byte(hex.EncodeToString(sum[:])), 1)
				f.write("packages/npm/"+file+".yaml", m)
			},
			check: "artifact", file: "packages/npm/acme-hello-2.0.0.tgz.yaml", line: 2, msg: "manifest says sha256",
		},
		{
			name: "deb name does not match its control file",
			change: func(t *testing.T, f *fixture) {
				f.addDeb("hello_1.1-1_all.deb", deb(t, "goodbye", "1.1-1"))
			},
			check: "name", file: "packages/apt/hello_1.1-1_all.deb.yaml", line: 1, msg: "goodbye_1.1-1_all.deb",
		},
		{
			name: "npm name does not match its file name",
			change: func(t *testing.T, f *fixture) {
				_, data := npmTarball(t, map[string]any{"name": "@acme/other", "version": "1.0.0", "license": "MIT"})
				f.write("blobs/npm/acme-hello-3.0.0.tgz", data)
				f.write("packages/npm/acme-hello-3.0.0.tgz.yaml", manifest("acme-hello-3.0.0.tgz", data, "blobs/npm/acme-hello-3.0.0.tgz"))
			},
			check: "artifact", file: "packages/npm/acme-hello-3.0.0.tgz.yaml", line: 1, msg: "does not match package.json",
		},
		{
			name: "replace a published version",
			change: func(t *testing.T, f *fixture) {
				_, data := npmTarball(t, map[string]any{"name": "@acme/hello", "version": "1.0.0", "license": "MIT", "description": "other bytes"})
				f.write("blobs/npm/acme-hello-1.0.0.tgz", data)
				f.write("packages/npm/acme-hello-1.0.0.tgz.yaml", manifest("acme-hello-1.0.0.tgz", data, "blobs/npm/acme-hello-1.0.0.tgz"))
			},
			check: "immutable", file: "packages/npm/acme-hello-1.0.0.tgz.yaml", line: 2, msg: "replaces published artifact acme-hello-1.0.0.tgz",
		},
		{
			name: "remove a published version",
			change: func(t *testing.T, f *fixture) {
				f.remove("packages/apt/hello_1.0-1_all.deb.yaml")
			},
			check: "immutable", file: "packages/apt/hello_1.0-1_all.deb.yaml", msg: "removes published artifact hello_1.0-1_all.deb",
		},
		{
			name: "scope not allowed",
			change: func(t *testing.T, f *fixture) {
				f.addNPM("@evil/hello", "1.0.0", "MIT")
			},
			check: "policy", file: "packages/npm/evil-hello-1.0.0.tgz.yaml", line: 1, msg: `package name "@evil/hello" is not allowed in repository "npm" (allowed: @acme/*)`,
		},
		{
			name: "license not allowed",
			change: func(t *testing.T, f *fixture) {
				f.addNPM("@acme/gpl", "1.0.0", "GPL-3.0-only")
			},
			check: "policy", file: "packages/npm/acme-gpl-1.0.0.tgz.yaml", line: 1, msg: `license "GPL-3.0-only"`,
		},
		{
			name: "too large",
			change: func(t *testing.T, f *fixture) {
				p := npmgen.Package{JSON: map[string]any{"name": "@acme/big", "version": "1.0.0", "license": "MIT"},
					Files: map[string][]byte{"blob.bin": randomBytes(1_100_000)}}
				data, err := p.Build()
				if err != nil {
					t.Fatal(err)
				}
				f.write("blobs/npm/"+p.FileName(), data)
				f.write("packages/npm/"+p.FileName()+".yaml", manifest(p.FileName(), data, "blobs/npm/"+p.FileName()))
			},
			check: "policy", file: "packages/npm/acme-big-1.0.0.tgz.yaml", line: 3, msg: "max_size 1000000 bytes",
		},
		{
			name: "artifact of another format",
			change: func(t *testing.T, f *fixture) {
				data := deb(t, "hello", "3.0-1")
				f.write("blobs/npm/hello_3.0-1_all.deb", data)
				f.write("packages/npm/hello_3.0-1_all.deb.yaml", manifest("hello_3.0-1_all.deb", data, "blobs/npm/hello_3.0-1_all.deb"))
			},
			check: "format", file: "packages/npm/hello_3.0-1_all.deb.yaml", line: 1, msg: "is an apt artifact, but repository \"npm\" holds npm artifacts: move the manifest to an apt repository",
		},
		{
			name: "schema error in a published manifest is not a removal",
			change: func(t *testing.T, f *fixture) {
				data, err := os.ReadFile(filepath.Join(f.dir, "packages/apt/hello_1.0-1_all.deb.yaml"))
				if err != nil {
					t.Fatal(err)
				}
				f.write("packages/apt/hello_1.0-1_all.deb.yaml", append(data, "colour: blue\n"...))
			},
			check: "schema", file: "packages/apt/hello_1.0-1_all.deb.yaml", line: 5, msg: `unknown field "colour"`, only: true,
		},
		{
			name: "schema error",
			change: func(t *testing.T, f *fixture) {
				f.write("packages/apt/broken.deb.yaml", []byte("file: broken.deb\nsha256: nothex\nsize: 1\nsource: blobs/apt/broken.deb\n"))
			},
			check: "schema", file: "packages/apt/broken.deb.yaml", line: 2, msg: "is not 64 lowercase hex digits",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, base := baseline(t)
			tt.change(t, f)
			head := f.commit(tt.name, nil)
			r, err := f.run(base, head)
			var rej *Rejected
			if !errors.As(err, &rej) {
				t.Fatalf("Run = %v, want *Rejected\n%v", err, r.Findings)
			}
			found := false
			for _, fd := range r.Findings {
				if fd.Severity == SeverityError && fd.Check == tt.check && fd.File == tt.file && fd.Line == tt.line && strings.Contains(fd.Message, tt.msg) {
					found = true
				}
			}
			if !found {
				t.Errorf("no %s error at %s:%d saying %q; findings:\n%s", tt.check, tt.file, tt.line, tt.msg, findings(r))
			}
			if r.OK {
				t.Error("report says OK")
			}
			if tt.only && len(r.Findings) != 1 {
				t.Errorf("want one finding, got:\n%s", findings(r))
			}
			var ann bytes.Buffer
			r.Annotations(&ann)
			if want := fmt.Sprintf("::error file=%s", tt.file); !strings.Contains(ann.String(), want) {
				t.Errorf("annotations lack %q:\n%s", want, ann.String())
			}
		})
	}
}

func hexOf(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	x := uint32(1)
	for i := range b {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b[i] = byte(x)
	}
	return b
}

func findings(r *Report) string {
	var b strings.Builder
	for _, f := range r.Findings {
		b.WriteString(f.String() + "\n")
	}
	return b.String()
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// A removal passes only when allow_removal holds at base and at head.
func TestRemovalRule(t *testing.T) {
	f, _ := baseline(t)
	allow := strings.Replace(reposYAML, "  - name: apt\n    format: apt\n", "  - name: apt\n    format: apt\n    policy:\n      allow_removal: true\n", 1)
	f.write("repos.yaml", []byte(allow))
	f.remove("packages/apt/hello_1.0-1_all.deb.yaml")
	oneStep := f.commit("allow removal and remove", nil)
	if _, err := f.run(oneStep+"~1", oneStep); err == nil {
		t.Fatal("a change that grants itself allow_removal passed")
	}

	g, _ := baseline(t)
	g.write("repos.yaml", []byte(allow))
	base := g.commit("allow removal", nil)
	g.remove("packages/apt/hello_1.0-1_all.deb.yaml")
	head := g.commit("remove hello", nil)
	r, err := g.run(base, head)
	if err != nil {
		t.Fatalf("Run = %v, want nil\n%s", err, findings(r))
	}
	want := []Package{{Repository: "apt", Action: "removed", Name: "hello", Version: "1.0-1", Arch: "all", File: "hello_1.0-1_all.deb", Manifest: "packages/apt/hello_1.0-1_all.deb.yaml"}}
	if diff := cmp.Diff(want, r.Packages); diff != "" {
		t.Errorf("Packages (-want +got):\n%s", diff)
	}
	if r.Tree == nil || !contains(r.Tree.Removed, "apt/pool/main/h/hello_1.0-1_all.deb") {
		t.Errorf("tree diff does not remove the pool file: %+v", r.Tree)
	}
}

func TestInvalidReposYAML(t *testing.T) {
	f, base := baseline(t)
	f.write("repos.yaml", []byte(reposYAML+"  - name: yum\n    format: rpm\n"))
	head := f.commit("bad settings", nil)
	r, err := f.run(base, head)
	if !config.IsInvalid(err) {
		t.Fatalf("Run = %v, want a configuration error", err)
	}
	if len(r.Findings) == 0 || r.Findings[0].File != "repos.yaml" || r.Findings[0].Line != 12 || !strings.Contains(r.Findings[0].Message, `unknown format "rpm"`) {
		t.Errorf("findings:\n%s", findings(r))
	}
}

func testKey(t *testing.T, name string) (*openpgp.Entity, []byte) {
	t.Helper()
	e, err := openpgp.NewEntity(name, "", name+"@example.org", &packet.Config{Algorithm: packet.PubKeyAlgoEdDSA})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	w, err := armor.Encode(&buf, openpgp.PublicKeyType, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Serialize(w); err != nil {
		t.Fatal(err)
	}
	w.Close()
	return e, buf.Bytes()
}

func TestCommitSignatures(t *testing.T) {
	maintainer, pub := testKey(t, "maintainer")
	stranger, strangerPub := testKey(t, "stranger")
	signed := reposYAML + "policy:\n  commit_signers: [keys/maintainers.asc]\n"

	setup := func(t *testing.T) (*fixture, string) {
		f, _ := baseline(t)
		f.write("repos.yaml", []byte(signed))
		f.write("keys/maintainers.asc", pub)
		return f, f.commit("require signatures", nil)
	}
	tests := []struct {
		name string
		key  *openpgp.Entity
		// before the commit, e.g. a change adding its own key
		prepare func(f *fixture)
		problem string
	}{
		{name: "signed by a maintainer", key: maintainer},
		{name: "unsigned", problem: "not signed"},
		{name: "signed by another key", key: stranger, problem: "does not verify"},
		{name: "signed by a key the change adds", key: stranger, problem: "does not verify", prepare: func(f *fixture) {
			f.write("keys/maintainers.asc", append(append([]byte{}, pub...), strangerPub...))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, base := setup(t)
			if tt.prepare != nil {
				tt.prepare(f)
			}
			f.addNPM("@acme/hello", "1.2.0", "MIT")
			head := f.commit("add hello 1.2.0", tt.key)
			r, err := f.run(base, head)
			if tt.problem == "" {
				if err != nil {
					t.Fatalf("Run = %v, want nil\n%s", err, findings(r))
				}
				if fp := fmt.Sprintf("%X", maintainer.PrimaryKey.Fingerprint); len(r.Commits) != 1 || r.Commits[0].Signer != fp {
					t.Errorf("Commits = %+v, want one signed by %s", r.Commits, fp)
				}
				return
			}
			var rej *Rejected
			if !errors.As(err, &rej) {
				t.Fatalf("Run = %v, want *Rejected", err)
			}
			found := false
			for _, fd := range r.Findings {
				if fd.Check == "signature" && fd.File == "repos.yaml" && fd.Line == 13 && strings.Contains(fd.Message, tt.problem) && strings.Contains(fd.Message, short(head)) {
					found = true
				}
			}
			if !found {
				t.Errorf("no signature finding at repos.yaml:13 saying %q about %s:\n%s", tt.problem, short(head), findings(r))
			}
		})
	}
}

func TestDefaultBase(t *testing.T) {
	f, first := baseline(t)
	f.addNPM("@acme/hello", "1.3.0", "MIT")
	f.commit("add hello 1.3.0", nil)
	r, err := f.run("", "")
	if err != nil {
		t.Fatalf("Run = %v\n%s", err, findings(r))
	}
	if r.Base != first || len(r.Packages) != 1 {
		t.Errorf("default base = %s with %d packages, want the parent %s and one package", r.Base, len(r.Packages), first)
	}
}

// An extra rule's findings join the report and can block the change.
func TestExtraRule(t *testing.T) {
	f, base := baseline(t)
	f.addNPM("@acme/hello", "1.4.0", "MIT")
	head := f.commit("add", nil)
	_, err := Run(context.Background(), Options{
		Dir: f.dir, Base: base, Head: head, CacheDir: t.TempDir(), Getenv: func(string) string { return "" },
		Extra: []Rule{{Name: "tuf-root", Run: func(ctx context.Context, c *Change) ([]Finding, error) {
			return []Finding{{Severity: SeverityError, Message: "staged root needs 1 more signature"}}, nil
		}}},
	})
	var rej *Rejected
	if !errors.As(err, &rej) || rej.Errors != 1 {
		t.Fatalf("Run = %v, want one problem", err)
	}
}

func TestLicenseAllowed(t *testing.T) {
	allowed := []string{"MIT", "Apache-2.0", "BSD-*"}
	tests := []struct {
		expr string
		want bool
	}{
		{"MIT", true},
		{"mit", true},
		{"GPL-3.0-only", false},
		{"MIT OR GPL-3.0-only", true},
		{"MIT AND GPL-3.0-only", false},
		{"(MIT OR GPL-2.0) AND BSD-3-Clause", true},
		{"Apache-2.0 WITH LLVM-exception", true},
		{"MIT OR", false},
		{"(MIT", false},
	}
	for _, tt := range tests {
		if got := licenseAllowed(allowed, tt.expr); got != tt.want {
			t.Errorf("licenseAllowed(%q) = %v, want %v", tt.expr, got, tt.want)
		}
	}
}

func TestNameAllowed(t *testing.T) {
	tests := []struct {
		pol    config.Policy
		format string
		name   string
		want   bool
	}{
		{config.Policy{}, "npm", "anything", true},
		{config.Policy{Scopes: []string{"acme"}}, "npm", "@acme/x", true},
		{config.Policy{Scopes: []string{"@acme"}}, "npm", "@acmex/x", false},
		{config.Policy{Names: []string{"@acme/*"}}, "npm", "@acme/x", true},
		{config.Policy{Names: []string{"stockpile-*"}}, "pypi", "Stockpile.Greeting", true},
		{config.Policy{Names: []string{"lib*"}}, "apt", "hello", false},
	}
	for _, tt := range tests {
		if got := nameAllowed(&tt.pol, tt.format, tt.name); got != tt.want {
			t.Errorf("nameAllowed(%+v, %s, %q) = %v, want %v", tt.pol, tt.format, tt.name, got, tt.want)
		}
	}
}

func TestLocate(t *testing.T) {
	tests := []struct {
		err  error
		want Finding
	}{
		{errors.New("packages/apt/x.deb.yaml:2: x: manifest says sha256 a"), Finding{Severity: SeverityError, File: "packages/apt/x.deb.yaml", Line: 2, Message: "x: manifest says sha256 a"}},
		{errors.New(`repository "apt": two files of hello 1.0 all: first at packages/apt/a.yaml:1`), Finding{Severity: SeverityError, File: "packages/apt/a.yaml", Line: 1, Message: `repository "apt": two files of hello 1.0 all: first at packages/apt/a.yaml:1`}},
		{errors.New("no location"), Finding{Severity: SeverityError, Message: "no location"}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, locate(tt.err)); diff != "" {
			t.Errorf("locate(%q) (-want +got):\n%s", tt.err, diff)
		}
	}
}

func TestAnnotationEscaping(t *testing.T) {
	r := &Report{Findings: []Finding{{Severity: SeverityError, Check: "policy", File: "packages/a,b.yaml", Line: 3, Message: "50% off\nnext"}}}
	var b bytes.Buffer
	r.Annotations(&b)
	want := "::error file=packages/a%2Cb.yaml,line=3,title=stockpile check%3A policy::50%25 off%0Anext\n"
	if b.String() != want {
		t.Errorf("Annotations = %q, want %q", b.String(), want)
	}
}

// With --published, an artifact the change adds must not be published
// already with other bytes.
func TestPublished(t *testing.T) {
	f, base := baseline(t)
	f.addNPM("@acme/hello", "1.1.0", "MIT")
	head := f.commit("add hello 1.1.0", nil)
	tests := []struct {
		name   string
		served map[string]string
		ok     bool
	}{
		{"not published yet", map[string]string{}, true},
		{"published with other bytes", map[string]string{"/npm/@acme/hello/-/hello-1.1.0.tgz": "other bytes"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body, ok := tt.served[r.URL.Path]
				if !ok {
					http.NotFound(w, r)
					return
				}
				io.WriteString(w, body)
			}))
			defer srv.Close()
			r, err := Run(context.Background(), Options{
				Dir: f.dir, Base: base, Head: head, CacheDir: t.TempDir(), Published: srv.URL + "/",
				Getenv: func(string) string { return "" },
			})
			if tt.ok {
				if err != nil {
					t.Fatalf("Run = %v\n%s", err, findings(r))
				}
				return
			}
			if err == nil {
				t.Fatal("Run passed an artifact published with other bytes")
			}
			want := Finding{Severity: SeverityError, Check: "published", File: "packages/npm/acme-hello-1.1.0.tgz.yaml", Line: 2,
				Message: "acme-hello-1.1.0.tgz is already published at npm/@acme/hello/-/hello-1.1.0.tgz with sha256 " + hexOf([]byte("other bytes")) +
					", this change has " + blobSHA(t, f, r.Packages[0]) + ": published artifacts never change"}
			if diff := cmp.Diff([]Finding{want}, r.Findings); diff != "" {
				t.Errorf("Findings (-want +got):\n%s", diff)
			}
		})
	}
}

// blobSHA returns the sha256 of a package's bytes under blobs/.
func blobSHA(t *testing.T, f *fixture, p Package) string {
	data, err := os.ReadFile(filepath.Join(f.dir, "blobs", p.Repository, p.File))
	if err != nil {
		t.Fatal(err)
	}
	return hexOf(data)
}

// A manifest change that keeps the bytes (deprecating, moving) passes and
// is listed as a change.
func TestPlacementChangePasses(t *testing.T) {
	f, base := baseline(t)
	m := "packages/npm/acme-hello-1.0.0.tgz.yaml"
	data, err := os.ReadFile(filepath.Join(f.dir, m))
	if err != nil {
		t.Fatal(err)
	}
	f.remove(m)
	f.write("packages/npm/old/acme-hello-1.0.0.tgz.yaml", append(data, "deprecated: use 2.x\n"...))
	head := f.commit("deprecate hello 1.0.0", nil)
	r, err := f.run(base, head)
	if err != nil {
		t.Fatalf("Run = %v\n%s", err, findings(r))
	}
	want := []Package{{Repository: "npm", Action: "changed", Name: "@acme/hello", Version: "1.0.0", File: "acme-hello-1.0.0.tgz",
		Manifest: "packages/npm/old/acme-hello-1.0.0.tgz.yaml", Detail: "deprecated, moved from packages/npm/acme-hello-1.0.0.tgz.yaml"}}
	if diff := cmp.Diff(want, r.Packages); diff != "" {
		t.Errorf("Packages (-want +got):\n%s", diff)
	}
}

// Every artifact of the example registry is named as its format's tools
// name it, so the name rule refuses none of them.
func TestExampleArtifactsNamed(t *testing.T) {
	root := os.DirFS("..")
	reg, err := config.Load(root)
	if err != nil {
		t.Fatal(err)
	}
	all := generator.Formats()
	licensed := 0
	for _, m := range reg.Manifests {
		format := reg.Repository(m.Repo).Format
		meta, err := formats.InspectFile(all[format], filepath.Join("..", filepath.FromSlash(m.Source)), m.File)
		if err != nil {
			t.Errorf("%s: %v", m.Path, err)
			continue
		}
		in, err := describe(format, meta)
		if err != nil {
			t.Errorf("%s: describe: %v", m.Path, err)
			continue
		}
		if in.wantFile != "" && in.wantFile != m.File {
			t.Errorf("%s: file %s, want %s", m.Path, m.File, in.wantFile)
		}
		if in.name == "" || in.version == "" {
			t.Errorf("%s: name %q, version %q", m.Path, in.name, in.version)
		}
		if in.license != "" {
			licensed++
		}
	}
	if len(reg.Manifests) == 0 {
		t.Fatal("no example manifests")
	}
	t.Logf("%d of %d example artifacts declare a license", licensed, len(reg.Manifests))
}

package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stockpile/stockpile/dist"
	"github.com/stockpile/stockpile/internal/debgen"
	"github.com/stockpile/stockpile/internal/npmgen"
	"github.com/stockpile/stockpile/internal/pygen"
	"github.com/stockpile/stockpile/internal/rpmgen"
)

// syncEpoch is when the upstream registry is built (and its keys made);
// sync runs are timed relative to it.
const syncEpoch = 1700000000

// syncUpstream builds a small registry with stockpile itself — real-format,
// signed apt, yum, PyPI and npm repositories holding versions 1.0, 1.1 and
// 2.0 of one package each — and serves it. tamper, when set, rewrites a
// response body.
type syncUpstream struct {
	srv    *httptest.Server
	out    string
	tamper atomic.Value // func(path string, body []byte) []byte
}

func startSyncUpstream(t *testing.T) *syncUpstream {
	t.Helper()
	up := &syncUpstream{out: filepath.Join(t.TempDir(), "public")}
	handler := dist.Handler(up.out)
	up.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f, _ := up.tamper.Load().(func(string, []byte) []byte)
		if f == nil {
			handler.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, r)
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		body := f(r.URL.Path, rec.Body.Bytes())
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(rec.Code)
		w.Write(body)
	}))
	t.Cleanup(up.srv.Close)

	reg := filepath.Join(t.TempDir(), "upstream")
	mustStockpile(t, "init", reg)
	art := t.TempDir()
	var paths []string
	write := func(name string, data []byte, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(art, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	for _, v := range []string{"1.0", "1.1", "2.0"} {
		deb, err := debgen.Build(debgen.Control{Package: "hello", Version: v + "-1", Architecture: "amd64",
			Maintainer: "Upstream <up@example.org>", Description: "hello " + v}, map[string][]byte{"usr/share/doc/hello/v": []byte(v)})
		write("hello_"+v+"-1_amd64.deb", deb, err)
		rp := rpmgen.Package{Name: "hello", Version: v, Release: "1", Summary: "hello", Description: "hello " + v,
			Files: []rpmgen.File{{Path: "/usr/share/hello/v", Data: []byte(v)}}}
		rpm, err := rpmgen.Build(rp, rpmgen.Options{})
		write(rp.FileName(), rpm, err)
		py := pygen.Project{Name: "demo-pkg", Version: v, Summary: "demo"}
		whl, err := py.Wheel()
		write(py.WheelName(), whl, err)
		np := npmgen.Package{JSON: map[string]any{"name": "demo", "version": v + ".0"}}
		tgz, err := np.Build()
		write(np.FileName(), tgz, err)
	}
	mustStockpile(t, append([]string{"add", "-C", reg}, paths...)...)
	mustStockpile(t, "build", "-C", reg, "-o", up.out, "--base-url", up.srv.URL+"/")
	return up
}

// syncRegistry makes a Git registry whose repositories mirror the upstream.
func syncRegistry(t *testing.T, up *syncUpstream) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "mirror")
	mustStockpile(t, "init", dir)
	key, err := os.ReadFile(filepath.Join(up.out, "apt", "key.asc"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "keys", "upstream.asc"), key, 0o644)
	u := up.srv.URL
	config := `name: Mirror
signing:
  openpgp: .stockpile/keys/openpgp.asc
  npm: .stockpile/keys/npm.pem
repositories:
  - name: apt
    format: apt
    apt: {architectures: [amd64]}
    upstream:
      url: ` + u + `/apt
      suite: stable
      key: keys/upstream.asc
      cooldown: 72h
      packages:
        - {name: hello, versions: "<< 2.0"}
  - name: yum
    format: yum
    upstream:
      url: ` + u + `/yum/
      key: keys/upstream.asc
      cooldown: 72h
      packages:
        - {name: hello, versions: "< 2.0"}
  - name: pypi
    format: pypi
    upstream:
      url: ` + u + `/pypi
      cooldown: 72h
      packages:
        - {name: Demo_Pkg, versions: ">=1.0,<2"}
  - name: npm
    format: npm
    upstream:
      url: ` + u + `/npm
      cooldown: 72h
      author: Sync Bot <sync@example.org>
      packages:
        - {name: demo, versions: "^1.0.0"}
        - not-upstream
`
	if err := os.WriteFile(filepath.Join(dir, "repos.yaml"), []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	// One version is there already.
	tgz, _ := npmgen.Package{JSON: map[string]any{"name": "demo", "version": "1.0.0"}}.Build()
	p := filepath.Join(t.TempDir(), "demo-1.0.0.tgz")
	os.WriteFile(p, tgz, 0o644)
	mustStockpile(t, "add", "-C", dir, p)
	git(t, dir, "init", "-q", "-b", "main")
	git(t, dir, "add", "-A")
	git(t, dir, "commit", "-q", "-m", "mirror registry")
	return dir
}

type syncJSON struct {
	Repositories []struct {
		Name  string `json:"name"`
		Files []struct {
			Package, Version, File, Status, Manifest, SHA256 string
		} `json:"files"`
		Missing []string `json:"missing"`
	} `json:"repositories"`
	Written int    `json:"written"`
	Branch  string `json:"branch"`
	Commit  string `json:"commit"`
}

func (r syncJSON) statuses() map[string]string {
	out := map[string]string{}
	for _, repo := range r.Repositories {
		for _, f := range repo.Files {
			out[repo.Name+" "+f.File] = f.Status
		}
	}
	return out
}

func TestSync(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and serves a registry")
	}
	requireTool(t, "git")
	up := startSyncUpstream(t)
	dir := syncRegistry(t, up)
	epoch := time.Unix(syncEpoch, 0).UTC()
	cache := filepath.Join(t.TempDir(), "cache")

	// Inside the cooldown nothing is taken.
	code, stdout, stderr := stockpile(t, at(epoch.Add(time.Hour)), "sync", "-C", dir, "--dry-run", "--json", "--cache-dir", cache)
	if code != 0 {
		t.Fatalf("sync --dry-run: exit %d\n%s", code, stderr)
	}
	var early syncJSON
	if err := json.Unmarshal([]byte(stdout), &early); err != nil {
		t.Fatalf("sync --json: %v\n%s", err, stdout)
	}
	for file, status := range early.statuses() {
		want := "cooldown"
		switch {
		case strings.Contains(file, "2.0"):
			want = "constraint"
		case file == "npm demo-1.0.0.tgz":
			want = "cooldown"
		}
		if status != want {
			t.Errorf("early: %s is %s, want %s", file, status, want)
		}
	}

	later := epoch.Add(100 * time.Hour)

	// Bytes that differ from the upstream's hash are refused, naming both.
	up.tamper.Store(func(p string, b []byte) []byte {
		if strings.HasSuffix(p, ".deb") {
			b = bytes.Clone(b)
			b[len(b)-1] ^= 1
		}
		return b
	})
	code, _, stderr = stockpile(t, at(later), "sync", "-C", dir, "apt", "--cache-dir", cache)
	if code != exitVerifyFail || !strings.Contains(stderr, "lists sha256") || strings.Count(stderr, "sha256 ") < 2 {
		t.Errorf("sync of a tampered .deb: exit %d, want %d naming both hashes\n%s", code, exitVerifyFail, stderr)
	}
	// A Release changed after signing is refused.
	up.tamper.Store(func(p string, b []byte) []byte {
		if strings.HasSuffix(p, "/InRelease") || strings.HasSuffix(p, "/Release") {
			return bytes.Replace(b, []byte("Suite: stable"), []byte("Suite: stablf"), 1)
		}
		if strings.HasSuffix(p, "/repomd.xml") {
			return bytes.Replace(b, []byte("<revision>"), []byte("<revision>1"), 1)
		}
		return b
	})
	for _, repo := range []string{"apt", "yum"} {
		code, _, stderr = stockpile(t, at(later), "sync", "-C", dir, repo, "--cache-dir", cache)
		if code == 0 || !strings.Contains(stderr, "signature") {
			t.Errorf("sync %s with a changed signed file: exit %d, want an error about the signature\n%s", repo, code, stderr)
		}
	}
	up.tamper.Store(func(p string, b []byte) []byte { return b })

	// After the cooldown, 1.0 and 1.1 are mirrored on a new branch.
	code, stdout, stderr = stockpile(t, at(later), "sync", "-C", dir, "--commit", "--json", "--cache-dir", cache)
	if code != 0 {
		t.Fatalf("sync --commit: exit %d\n%s", code, stderr)
	}
	var rep syncJSON
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("sync --json: %v\n%s", err, stdout)
	}
	want := map[string]string{
		"apt hello_1.0-1_amd64.deb": "selected", "apt hello_1.1-1_amd64.deb": "selected", "apt hello_2.0-1_amd64.deb": "constraint",
		"yum hello-1.0-1.noarch.rpm": "selected", "yum hello-1.1-1.noarch.rpm": "selected", "yum hello-2.0-1.noarch.rpm": "constraint",
		"pypi demo_pkg-1.0-py3-none-any.whl": "selected", "pypi demo_pkg-1.1-py3-none-any.whl": "selected", "pypi demo_pkg-2.0-py3-none-any.whl": "constraint",
		"npm demo-1.0.0.tgz": "present", "npm demo-1.1.0.tgz": "selected", "npm demo-2.0.0.tgz": "constraint",
	}
	got := rep.statuses()
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %q, want %q", k, got[k], v)
		}
	}
	if len(got) != len(want) {
		t.Errorf("sync reported %d files, want %d: %v", len(got), len(want), got)
	}
	if rep.Written != 7 || rep.Branch != "sync/2023-11-19" || len(rep.Commit) != 40 {
		t.Errorf("sync --commit wrote %d on branch %q commit %q, want 7 on sync/2023-11-19", rep.Written, rep.Branch, rep.Commit)
	}
	for _, r := range rep.Repositories {
		if r.Name == "npm" && (len(r.Missing) != 1 || r.Missing[0] != "not-upstream") {
			t.Errorf("npm missing = %v, want [not-upstream]", r.Missing)
		}
	}

	// The commit is on the branch, by the configured author; the working
	// tree and the current branch are as they were.
	log, err := exec.Command("git", "-C", dir, "log", "-1", "--format=%an <%ae>|%s", rep.Branch).Output()
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(string(log)); got != "Sync Bot <sync@example.org>|sync: mirror 7 upstream file(s)" {
		t.Errorf("branch commit: %q", got)
	}
	status, _ := exec.Command("git", "-C", dir, "status", "--porcelain").Output()
	head, _ := exec.Command("git", "-C", dir, "rev-parse", "--abbrev-ref", "HEAD").Output()
	if len(status) != 0 || strings.TrimSpace(string(head)) != "main" {
		t.Errorf("working tree after sync --commit: status %q, HEAD %q; want clean on main", status, head)
	}
	manifest, err := exec.Command("git", "-C", dir, "show", rep.Branch+":packages/npm/demo-1.1.0.tgz.yaml").Output()
	if err != nil || !strings.Contains(string(manifest), "source: "+up.srv.URL+"/npm/demo/-/demo-1.1.0.tgz") {
		t.Errorf("mirrored manifest: %v\n%s", err, manifest)
	}

	// The branch builds, with the mirrored packages in it, from the
	// upstream's bytes.
	out := filepath.Join(t.TempDir(), "out")
	mustStockpile(t, "build", "-C", dir, "--ref", rep.Branch, "-o", out, "--base-url", "http://mirror.example/", "--cache-dir", cache)
	tree := treeFiles(t, out)
	for _, want := range []string{
		"apt/pool/main/h/hello_1.1-1_amd64.deb",
		"yum/Packages/h/hello-1.1-1.noarch.rpm",
		"pypi/files/demo-pkg/demo_pkg-1.1-py3-none-any.whl",
		"npm/demo/-/demo-1.1.0.tgz",
	} {
		if _, ok := tree[want]; !ok {
			t.Errorf("built branch lacks %s", want)
		}
	}
	if p := tree["apt/dists/stable/main/binary-amd64/Packages"]; !strings.Contains(p, "Version: 1.0-1") || strings.Contains(p, "Version: 2.0-1") {
		t.Errorf("Packages of the built branch:\n%s", p)
	}

	// A second --commit on the same day needs another branch name.
	code, _, stderr = stockpile(t, at(later), "sync", "-C", dir, "--commit", "--cache-dir", cache)
	if code == 0 || !strings.Contains(stderr, "exists already") {
		t.Errorf("second sync --commit: exit %d\n%s", code, stderr)
	}

	// Without --commit the manifests land in the working tree.
	code, stdout, stderr = stockpile(t, at(later), "sync", "-C", dir, "npm", "--cache-dir", cache)
	if code != 0 || !strings.Contains(stdout, "mirrored demo 1.1.0 (demo-1.1.0.tgz) -> packages/npm/demo-1.1.0.tgz.yaml") {
		t.Errorf("sync npm: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "packages/npm/demo-1.1.0.tgz.yaml")); err != nil {
		t.Error(err)
	}
}

func TestSyncUsage(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "r")
	mustStockpile(t, "init", dir)
	tests := []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"sync", "-C", dir}, exitUsage, "no repository has upstream settings"},
		{[]string{"sync", "-C", dir, "nope"}, exitUsage, `no repository "nope"`},
		{[]string{"sync", "-C", dir, "--branch", "x"}, exitUsage, "--commit"},
	}
	for _, tt := range tests {
		code, _, stderr := stockpile(t, nil, tt.args...)
		if code != tt.code || !strings.Contains(stderr, tt.msg) {
			t.Errorf("stockpile %s: exit %d, want %d with %q\n%s", strings.Join(tt.args, " "), code, tt.code, tt.msg, stderr)
		}
	}

	// Upstream settings are checked with the rest of repos.yaml.
	os.WriteFile(filepath.Join(dir, "repos.yaml"), []byte(`repositories:
  - name: apt
    format: apt
    upstream:
      url: ftp://example.org
      colour: blue
      packages: [{name: hello, versions: ">= 1"}]
`), 0o644)
	code, _, stderr := stockpile(t, nil, "sync", "-C", dir)
	for _, want := range []string{`repos.yaml:6: unknown field "colour"`} {
		if code != exitUsage || !strings.Contains(stderr, want) {
			t.Errorf("sync with bad upstream settings: exit %d, want %d with %q\n%s", code, exitUsage, want, stderr)
		}
	}
	os.WriteFile(filepath.Join(dir, "repos.yaml"), []byte(`repositories:
  - name: apt
    format: apt
    upstream:
      url: ftp://example.org
      packages: [{name: hello, versions: ">= 1"}]
  - name: yum
    format: yum
    upstream:
      url: https://user:secret@example.org/el9
      api: json
      packages: [tmux, tmux]
`), 0o644)
	code, _, stderr = stockpile(t, nil, "sync", "-C", dir)
	for _, want := range []string{"is not an absolute http(s) URL", "suite is required", "key is required",
		"url must not hold credentials", "api does not apply to yum", `upstream package "tmux" is listed twice`} {
		if code != exitUsage || !strings.Contains(stderr, want) {
			t.Errorf("sync with bad upstream settings: exit %d, want %d with %q\n%s", code, exitUsage, want, stderr)
		}
	}
}

// TestSyncLive mirrors a small npm package from registry.npmjs.org and a
// small Debian package from the archive this machine's apt uses, verified
// with the Debian archive keyring. It needs the internet, so it runs only
// with STOCKPILE_SYNC_LIVE=1.
func TestSyncLive(t *testing.T) {
	if os.Getenv("STOCKPILE_SYNC_LIVE") != "1" {
		t.Skip("set STOCKPILE_SYNC_LIVE=1 to sync from the real npm registry and Debian archive")
	}
	mirror, suite := debianMirror(t)
	keyring, err := os.ReadFile("/usr/share/keyrings/debian-archive-keyring.gpg")
	if err != nil {
		t.Fatalf("Debian archive keyring: %v", err)
	}
	dir := filepath.Join(t.TempDir(), "live")
	mustStockpile(t, "init", dir)
	os.WriteFile(filepath.Join(dir, "keys", "debian-archive-keyring.gpg"), keyring, 0o644)
	config := `name: Live mirror
signing:
  openpgp: .stockpile/keys/openpgp.asc
  npm: .stockpile/keys/npm.pem
repositories:
  - name: apt
    format: apt
    apt: {architectures: [amd64]}
    upstream:
      url: ` + mirror + `
      suite: ` + suite + `
      component: main
      key: keys/debian-archive-keyring.gpg
      packages: [hostname]
  - name: npm
    format: npm
    upstream:
      url: https://registry.npmjs.org
      packages:
        - {name: is-number, versions: "7.0.0"}
`
	os.WriteFile(filepath.Join(dir, "repos.yaml"), []byte(config), 0o644)
	live := at(time.Now())
	code, stdout, stderr := stockpile(t, live, "sync", "-C", dir)
	if code != 0 {
		t.Fatalf("sync: exit %d\n%s\n%s", code, stdout, stderr)
	}
	t.Logf("sync:\n%s", stdout)
	manifest, err := os.ReadFile(filepath.Join(dir, "packages/npm/is-number-7.0.0.tgz.yaml"))
	if err != nil || !strings.Contains(string(manifest), "source: https://registry.npmjs.org/is-number/-/is-number-7.0.0.tgz") {
		t.Errorf("is-number manifest: %v\n%s", err, manifest)
	}
	debs, _ := filepath.Glob(filepath.Join(dir, "packages/apt/hostname_*.deb.yaml"))
	if len(debs) != 1 {
		t.Errorf("hostname manifests: %v, want one", debs)
	}
	out := filepath.Join(t.TempDir(), "out")
	code, _, stderr = stockpile(t, live, "build", "-C", dir, "-o", out, "--base-url", "http://mirror.example/")
	if code != 0 {
		t.Fatalf("build: exit %d\n%s", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(out, "npm/is-number/-/is-number-7.0.0.tgz")); err != nil {
		t.Error(err)
	}
}

// debianMirror returns the first Debian archive URL and suite in apt's
// sources (deb822 .sources files or one-line sources.list).
func debianMirror(t *testing.T) (string, string) {
	t.Helper()
	files, _ := filepath.Glob("/etc/apt/sources.list.d/*.sources")
	for _, f := range files {
		data, _ := os.ReadFile(f)
		for _, stanza := range strings.Split(string(data), "\n\n") {
			fields := map[string]string{}
			for _, line := range strings.Split(stanza, "\n") {
				if k, v, ok := strings.Cut(line, ":"); ok && !strings.HasPrefix(line, "#") {
					fields[k] = strings.TrimSpace(v)
				}
			}
			uri := strings.Fields(fields["URIs"])
			suites := strings.Fields(fields["Suites"])
			if len(uri) > 0 && len(suites) > 0 && strings.HasSuffix(uri[0], "/debian") {
				return uri[0], suites[0]
			}
		}
	}
	data, _ := os.ReadFile("/etc/apt/sources.list")
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) > 0 && f[0] == "deb" {
			f = f[1:]
			if len(f) > 0 && strings.HasPrefix(f[0], "[") {
				for len(f) > 0 && !strings.HasSuffix(f[0], "]") {
					f = f[1:]
				}
				f = f[1:]
			}
			if len(f) >= 2 && strings.HasSuffix(strings.TrimSuffix(f[0], "/"), "/debian") {
				return strings.TrimSuffix(f[0], "/"), f[1]
			}
		}
	}
	t.Skip("no Debian archive in apt's sources")
	return "", ""
}

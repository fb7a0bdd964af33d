package main

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/stockpile/stockpile/dist"
	"github.com/stockpile/stockpile/internal/pygen"
)

// pyInterp is a Python interpreter whose pip the tests run.
type pyInterp struct {
	name string
	exe  string
	// json: this pip asks for PEP 691 JSON pages; metadata: it fetches the
	// PEP 658 .metadata file from what our pages advertise to it.
	json, metadata bool
}

// pyInterps are the newest and the oldest pip of the machine image, and
// Debian's pip 23.0.1, which fails on a dict-valued dist-info-metadata in
// JSON pages.
var pyInterps = []pyInterp{
	{name: "pip-24.2", exe: "/root/.pyenv/versions/3.13.0/bin/python", json: true, metadata: true},
	{name: "pip-22.0", exe: "/root/.pyenv/versions/3.7.16/bin/python"},
	{name: "debian-pip-23.0", exe: "/usr/bin/python3", json: true},
}

// requirePython checks that an interpreter with pip is installed. Outside CI
// a missing one skips the test; in CI it fails it.
func requirePython(t *testing.T, py pyInterp) {
	t.Helper()
	out, err := exec.Command(py.exe, "-m", "pip", "--version").CombinedOutput()
	if err == nil {
		t.Logf("%s: %s", py.name, bytes.TrimSpace(out))
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s (%s -m pip) is required in CI: %v\n%s", py.name, py.exe, err, out)
	}
	t.Skipf("%s not available: %v", py.exe, err)
}

// pyCmd runs a Python program with an environment that reads no user or
// machine pip configuration (the image sets PIP_FIND_LINKS).
func pyCmd(t *testing.T, dir, exe string, args ...string) (string, error) {
	t.Helper()
	home := filepath.Join(t.TempDir(), "home")
	os.MkdirAll(home, 0o755)
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PIP_") && !strings.HasPrefix(kv, "HOME=") && !strings.HasPrefix(kv, "PYTHON") {
			env = append(env, kv)
		}
	}
	cmd := exec.Command(exe, args...)
	cmd.Dir = dir
	cmd.Env = append(env, "HOME="+home, "PIP_NO_INPUT=1", "LC_ALL=C.UTF-8")
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// pip runs `python -m pip --isolated ...` with the common options.
func pip(t *testing.T, exe string, args ...string) (string, error) {
	t.Helper()
	return pyCmd(t, "", exe, append([]string{"-m", "pip", "--isolated", "--disable-pip-version-check", "--no-cache-dir"}, args...)...)
}

// pyVenv makes a virtual environment and returns its python.
func pyVenv(t *testing.T, exe string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "venv")
	if out, err := pyCmd(t, "", exe, "-m", "venv", dir); err != nil {
		t.Fatalf("%s -m venv: %v\n%s", exe, err, out)
	}
	return filepath.Join(dir, "bin", "python")
}

// The projects of the end-to-end registry.
var (
	pyGreeting = pygen.Project{
		Name: "e2e-greeting", Version: "1.0+local", RequiresPython: ">=3.7",
		Files: map[string][]byte{"e2e_greeting/__init__.py": []byte("GREETING = 'hello from e2e-greeting'\n")},
	}
	pyApp = pygen.Project{
		Name: "E2E.App", Version: "2.0", RequiresPython: ">=3.7",
		RequiresDist: []string{"e2e-greeting>=1.0"},
		Files: map[string][]byte{
			"e2e_app/__init__.py": []byte("from e2e_greeting import GREETING\n\n\ndef main():\n    print(GREETING)\n"),
		},
	}
	pyYanky1    = pygen.Project{Name: "e2e-yanky", Version: "1.0"}
	pyYanky2    = pygen.Project{Name: "e2e-yanky", Version: "2.0"}
	pySdistOnly = pygen.Project{Name: "e2e_sdist_only", Version: "0.5"}
	pyFuture    = pygen.Project{Name: "e2e-future", Version: "1.0", RequiresPython: ">=4"}
)

// pyRegistry is a built registry of the end-to-end projects.
type pyRegistry struct {
	out   string            // the built tree
	files map[string][]byte // distribution files by name
}

func (r *pyRegistry) sha(t *testing.T, file string) string {
	t.Helper()
	data, ok := r.files[file]
	if !ok {
		t.Fatalf("no distribution %s", file)
	}
	return sha256Hex(data)
}

func buildPyRegistry(t *testing.T) *pyRegistry {
	t.Helper()
	dir := t.TempDir()
	reg := filepath.Join(dir, "registry")
	mustStockpile(t, "init", reg)
	r := &pyRegistry{out: filepath.Join(dir, "public"), files: map[string][]byte{}}
	type distFile struct {
		name  string
		build func() ([]byte, error)
	}
	var paths []string
	for _, d := range []distFile{
		{pyGreeting.WheelName(), pyGreeting.Wheel},
		{pyGreeting.SdistName(), pyGreeting.Sdist},
		{pyApp.WheelName(), pyApp.Wheel},
		{pyYanky1.WheelName(), pyYanky1.Wheel},
		{pyYanky2.WheelName(), pyYanky2.Wheel},
		{pySdistOnly.SdistZipName(), pySdistOnly.SdistZip},
		{pyFuture.WheelName(), pyFuture.Wheel},
	} {
		data, err := d.build()
		if err != nil {
			t.Fatalf("%s: %v", d.name, err)
		}
		p := filepath.Join(dir, d.name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		r.files[d.name] = data
		paths = append(paths, p)
	}
	mustStockpile(t, append([]string{"add", "-C", reg}, paths...)...)

	// A manifest in its project's folder, and a yanked release.
	manifests := filepath.Join(reg, "packages", "pypi")
	os.MkdirAll(filepath.Join(manifests, "e2e-app"), 0o755)
	if err := os.Rename(filepath.Join(manifests, pyApp.WheelName()+".yaml"), filepath.Join(manifests, "e2e-app", pyApp.WheelName()+".yaml")); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(filepath.Join(manifests, pyYanky2.WheelName()+".yaml"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintln(f, "yanked: broken on purpose")
	f.Close()

	mustStockpile(t, "build", "-C", reg, "-o", r.out)
	return r
}

// pyRequest is one request the registry served.
type pyRequest struct {
	Path        string // as sent, percent-encoded
	Accept      string
	ContentType string
	Status      int
}

// pyServer serves a tree as `stockpile serve` does and records requests.
type pyServer struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []pyRequest
}

type pyRecorder struct {
	http.ResponseWriter
	status int
}

func (r *pyRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

func newPyServer(t *testing.T, h http.Handler) *pyServer {
	s := &pyServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &pyRecorder{ResponseWriter: w, status: http.StatusOK}
		h.ServeHTTP(rec, r)
		s.mu.Lock()
		s.reqs = append(s.reqs, pyRequest{r.URL.EscapedPath(), r.Header.Get("Accept"), w.Header().Get("Content-Type"), rec.status})
		s.mu.Unlock()
	}))
	t.Cleanup(s.Close)
	return s
}

// take returns the requests recorded since the last call.
func (s *pyServer) take() []pyRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.reqs
	s.reqs = nil
	return out
}

func (s *pyServer) index() string { return s.URL + "/pypi/simple/" }

// served returns the request for a path, or nil.
func served(reqs []pyRequest, p string) *pyRequest {
	for i := range reqs {
		if reqs[i].Path == p {
			return &reqs[i]
		}
	}
	return nil
}

// downloaded returns the names of the files in dir.
func downloaded(t *testing.T, dir string) []string {
	t.Helper()
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// pipDownload downloads one requirement, without dependencies, and returns
// the one file pip saved.
func pipDownload(t *testing.T, py pyInterp, index string, args ...string) (name string, data []byte) {
	t.Helper()
	dir := t.TempDir()
	out, err := pip(t, py.exe, append([]string{"download", "--no-deps", "--index-url", index, "-d", dir}, args...)...)
	if err != nil {
		t.Fatalf("pip download %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	names := downloaded(t, dir)
	if len(names) != 1 {
		t.Fatalf("pip download %s saved %v\n%s", strings.Join(args, " "), names, out)
	}
	data, _ = os.ReadFile(filepath.Join(dir, names[0]))
	return names[0], data
}

func TestPipEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test")
	}
	r := buildPyRegistry(t)
	for _, py := range pyInterps {
		t.Run(py.name, func(t *testing.T) {
			requirePython(t, py)
			t.Parallel()
			srv := newPyServer(t, dist.Handler(r.out))
			page := "/pypi/simple/e2e-greeting/"
			wantType := "text/html; charset=utf-8"
			if py.json {
				wantType = dist.PyPIJSON
			}

			// A wheel whose version has a '+', then the sdist of the same release.
			wheel := pyGreeting.WheelName()
			if name, data := pipDownload(t, py, srv.index(), "--only-binary", ":all:", "e2e-greeting==1.0+local"); name != wheel || !bytes.Equal(data, r.files[wheel]) {
				t.Errorf("pip download saved %s, want the bytes of %s", name, wheel)
			}
			reqs := srv.take()
			if p := served(reqs, page); p == nil || p.ContentType != wantType {
				t.Errorf("%s served as %+v, want %s", page, p, wantType)
			}
			if p := served(reqs, "/pypi/files/e2e-greeting/e2e_greeting-1.0%2Blocal-py3-none-any.whl"); p == nil || p.Status != http.StatusOK {
				t.Errorf("the wheel was not requested with '+' encoded: %+v", reqs)
			}
			if name, _ := pipDownload(t, py, srv.index(), "--no-binary", ":all:", "e2e-greeting==1.0+local"); name != pyGreeting.SdistName() {
				t.Errorf("pip download --no-binary saved %s, want %s", name, pyGreeting.SdistName())
			}
			// An sdist in a .zip, built with its in-tree backend.
			if name, _ := pipDownload(t, py, srv.index(), "E2E-Sdist.Only"); name != pySdistOnly.SdistZipName() {
				t.Errorf("pip download saved %s, want %s", name, pySdistOnly.SdistZipName())
			}

			// A yanked release is skipped unless pinned exactly.
			if name, _ := pipDownload(t, py, srv.index(), "e2e-yanky"); name != pyYanky1.WheelName() {
				t.Errorf("pip download e2e-yanky saved %s, want the release that is not yanked", name)
			}
			if name, _ := pipDownload(t, py, srv.index(), "e2e-yanky==2.0"); name != pyYanky2.WheelName() {
				t.Errorf("pip download e2e-yanky==2.0 saved %s, want the pinned yanked release", name)
			}
			// Requires-Python is honored.
			if out, err := pip(t, py.exe, "download", "--no-deps", "--index-url", srv.index(), "-d", t.TempDir(), "e2e-future"); err == nil {
				t.Errorf("pip downloaded a release that requires Python >= 4:\n%s", out)
			}
			srv.take()

			// Resolving a dependency: pip 24 reads both projects' .metadata
			// files before it downloads the wheels.
			dir := t.TempDir()
			if out, err := pip(t, py.exe, "download", "--index-url", srv.index(), "-d", dir, "e2e-app"); err != nil {
				t.Fatalf("pip download e2e-app: %v\n%s", err, out)
			}
			if got := strings.Join(downloaded(t, dir), " "); got != pyApp.WheelName()+" "+pyGreeting.WheelName() {
				t.Errorf("pip download e2e-app saved %s", got)
			}
			reqs = srv.take()
			for _, p := range []string{"/pypi/files/e2e-app/e2e_app-2.0-py3-none-any.whl.metadata", "/pypi/files/e2e-greeting/e2e_greeting-1.0%2Blocal-py3-none-any.whl.metadata"} {
				metadata := served(reqs, p)
				if py.metadata && (metadata == nil || metadata.Status != http.StatusOK) {
					t.Errorf("pip did not fetch %s: %+v", p, reqs)
				}
				if !py.metadata && metadata != nil {
					t.Errorf("pip fetched %s, which it should not know of", p)
				}
			}
			if p := served(reqs, "/pypi/simple/e2e-app/"); p == nil || p.ContentType != wantType {
				t.Errorf("/pypi/simple/e2e-app/ served as %+v, want %s", p, wantType)
			}

			// Installing with hashes required: a project and its dependency.
			venv := pyVenv(t, py.exe)
			req := filepath.Join(t.TempDir(), "requirements.txt")
			os.WriteFile(req, []byte(fmt.Sprintf("e2e-app==2.0 --hash=sha256:%s\ne2e-greeting==1.0+local --hash=sha256:%s --hash=sha256:%s\n",
				r.sha(t, pyApp.WheelName()), r.sha(t, pyGreeting.WheelName()), r.sha(t, pyGreeting.SdistName()))), 0o644)
			if out, err := pip(t, venv, "install", "--require-hashes", "--index-url", srv.index(), "-r", req); err != nil {
				t.Fatalf("pip install --require-hashes: %v\n%s", err, out)
			}
			if out, err := pyCmd(t, "", venv, "-c", "import e2e_app; e2e_app.main()"); err != nil || strings.TrimSpace(out) != "hello from e2e-greeting" {
				t.Errorf("installed e2e_app printed %q (%v)", out, err)
			}
		})
	}
}

// pip refuses a wheel or a .metadata file whose bytes are not those the
// pages name.
func TestPipRefusesTampering(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test")
	}
	r := buildPyRegistry(t)
	wheel := filepath.Join("pypi", "files", "e2e-greeting", pyGreeting.WheelName())
	tests := []struct {
		name   string
		file   string // in the tree
		tamper func([]byte) []byte
		interp []pyInterp
		want   *regexp.Regexp
	}{
		{"wheel", wheel, func(b []byte) []byte { b[len(b)-1] ^= 1; return b },
			pyInterps, regexp.MustCompile(`DO NOT MATCH THE HASHES`)},
		{"metadata", wheel + ".metadata", func(b []byte) []byte { return append(b, "Requires-Dist: evil\n"...) },
			pyInterps[:1], regexp.MustCompile(`DO NOT MATCH THE HASHES`)},
	}
	for _, tt := range tests {
		for _, py := range tt.interp {
			t.Run(tt.name+"/"+py.name, func(t *testing.T) {
				requirePython(t, py)
				t.Parallel()
				bad := copyTree(t, r.out)
				p := filepath.Join(bad, tt.file)
				data, err := os.ReadFile(p)
				if err != nil {
					t.Fatal(err)
				}
				os.WriteFile(p, tt.tamper(data), 0o644)
				srv := newPyServer(t, dist.Handler(bad))
				dir := t.TempDir()
				out, err := pip(t, py.exe, "download", "--only-binary", ":all:", "--index-url", srv.index(), "-d", dir, "e2e-greeting==1.0+local")
				if err == nil || !tt.want.MatchString(out) {
					t.Fatalf("pip download accepted a tampered %s (err %v):\n%s", tt.name, err, out)
				}
				t.Logf("pip refused it:\n%s", out)
				if names := downloaded(t, dir); len(names) != 0 {
					t.Errorf("pip saved %v", names)
				}
			})
		}
	}
}

// poetry (Debian's python3-poetry) resolves and installs from the registry
// as its primary source, with no other index reachable. It reads the HTML
// pages.
func TestPoetryEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test")
	}
	poetry := requireTool(t, "poetry")
	r := buildPyRegistry(t)
	srv := newPyServer(t, dist.Handler(r.out))
	project, env := poetryProject(t, srv.index(), `e2e-app = "2.0"`+"\n"+`e2e-yanky = "*"`)
	for _, args := range [][]string{{"lock"}, {"install", "--no-root"}} {
		cmd := exec.Command(poetry, args...)
		cmd.Dir, cmd.Env = project, env
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("poetry %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	lock, err := os.ReadFile(filepath.Join(project, "poetry.lock"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`name = "e2e-yanky"` + "\n" + `version = "1.0"`,
		`name = "e2e-greeting"` + "\n" + `version = "1.0+local"`,
		"sha256:" + r.sha(t, pyApp.WheelName()),
		"sha256:" + r.sha(t, pyGreeting.WheelName()),
	} {
		if !strings.Contains(string(lock), want) {
			t.Errorf("poetry.lock lacks %q:\n%s", want, lock)
		}
	}
	venvPython := filepath.Join(project, ".venv", "bin", "python")
	if out, err := pyCmd(t, project, venvPython, "-c", "import e2e_app; e2e_app.main()"); err != nil || strings.TrimSpace(out) != "hello from e2e-greeting" {
		t.Errorf("installed e2e_app printed %q (%v)", out, err)
	}
	for _, req := range srv.take() {
		if strings.HasPrefix(req.Path, "/pypi/simple/") && req.Status == http.StatusOK && req.ContentType != "text/html; charset=utf-8" {
			t.Errorf("poetry was served %s as %s", req.Path, req.ContentType)
		}
	}
}

// poetryProject writes a project that depends on deps (pyproject.toml
// lines) from the registry at index only, and returns its folder and the
// environment to run poetry in.
func poetryProject(t *testing.T, index, deps string) (string, []string) {
	root := t.TempDir()
	project := filepath.Join(root, "project")
	os.MkdirAll(project, 0o755)
	pyproject := `[tool.poetry]
name = "e2e-consumer"
version = "0.1.0"
description = "A project that installs from a Stockpile registry"
authors = ["Test <test@example.org>"]

[tool.poetry.dependencies]
python = "^3.7"
` + deps + `

[[tool.poetry.source]]
name = "stockpile"
url = "` + index + `"
default = true

[build-system]
requires = ["poetry-core"]
build-backend = "poetry.core.masonry.api"
`
	os.WriteFile(filepath.Join(project, "pyproject.toml"), []byte(pyproject), 0o644)
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PIP_") && !strings.HasPrefix(kv, "HOME=") && !strings.HasPrefix(kv, "POETRY_") && !strings.HasPrefix(kv, "XDG_") {
			env = append(env, kv)
		}
	}
	env = append(env, "HOME="+filepath.Join(root, "home"), "XDG_CONFIG_HOME="+filepath.Join(root, "config"),
		"XDG_DATA_HOME="+filepath.Join(root, "data"), "XDG_CACHE_HOME="+filepath.Join(root, "cache"),
		"POETRY_CACHE_DIR="+filepath.Join(root, "poetry-cache"), "POETRY_VIRTUALENVS_IN_PROJECT=true",
		"POETRY_NO_INTERACTION=1", "PYTHON_KEYRING_BACKEND=keyring.backends.null.Keyring", "LC_ALL=C.UTF-8")
	return project, env
}

const (
	pipJSONAccept = "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html; q=0.1, text/html; q=0.01"
	pipHTMLAccept = "text/html"
)

// The shipped CloudFront function picks simple pages by Accept and
// redirects page URLs without their slash.
func TestPypiCloudFrontFunction(t *testing.T) {
	cf := newCFFunction(t, requireTool(t, "node"))
	tests := []struct {
		uri, accept, query string
		want               string // rewritten URI, or "301 <location>"
	}{
		{"/pypi/simple/", pipJSONAccept, "", "/pypi/simple/index.json"},
		{"/pypi/simple/", pipHTMLAccept, "", "/pypi/simple/index.html"},
		{"/pypi/simple/foo-bar/", pipJSONAccept, "", "/pypi/simple/foo-bar/index.json"},
		{"/pypi/simple/foo-bar/", pipHTMLAccept, "", "/pypi/simple/foo-bar/index.html"},
		{"/pypi/simple/foo-bar/", "*/*", "", "/pypi/simple/foo-bar/index.html"},
		{"/pypi/simple/foo-bar/", "", "", "/pypi/simple/foo-bar/index.html"},
		{"/pypi/simple/foo-bar/", "text/html, application/vnd.pypi.simple.v1+json;q=0.5", "", "/pypi/simple/foo-bar/index.html"},
		{"/pypi/simple/foo-bar/", "application/vnd.pypi.simple.v1+json;q=0", "", "/pypi/simple/foo-bar/index.html"},
		{"/pypi/simple/foo-bar/", "Application/Vnd.PyPI.Simple.v1+JSON", "", "/pypi/simple/foo-bar/index.json"},
		{"/pypi/simple/foo-bar/index.json", pipHTMLAccept, "", "/pypi/simple/foo-bar/index.json"},
		{"/pypi/simple/index.html", pipJSONAccept, "", "/pypi/simple/index.html"},
		{"/pypi/simple", pipJSONAccept, "", "301 /pypi/simple/"},
		{"/pypi/simple/foo-bar", pipJSONAccept, "", "301 /pypi/simple/foo-bar/"},
		{"/pypi/simple/foo-bar", pipJSONAccept, "a=1&b", "301 /pypi/simple/foo-bar/?a=1&b"},
		{"/pypi/files/foo-bar/foo_bar-1.0%2Blocal-py3-none-any.whl", pipJSONAccept, "", "/pypi/files/foo-bar/foo_bar-1.0%2Blocal-py3-none-any.whl"},
		{"/pypi/files/foo-bar/foo_bar-1.0-py3-none-any.whl.metadata", pipJSONAccept, "", "/pypi/files/foo-bar/foo_bar-1.0-py3-none-any.whl.metadata"},
		{"/", pipJSONAccept, "", "/index.html"},
		{"/pypi/", pipJSONAccept, "", "/pypi/index.html"},
		{"/other/simple/foo/", pipJSONAccept, "", "/other/simple/foo/index.html"},
		{"/apt/dists/stable/InRelease", "", "", "/apt/dists/stable/InRelease"},
	}
	for _, tt := range tests {
		target := tt.uri
		if tt.query != "" {
			target += "?" + tt.query
		}
		req := httptest.NewRequest("GET", target, nil)
		if tt.accept != "" {
			req.Header.Set("Accept", tt.accept)
		}
		res, err := cf.handle(req)
		if err != nil {
			t.Fatal(err)
		}
		got := res.URI
		if res.StatusCode != 0 {
			got = fmt.Sprintf("%d %s", res.StatusCode, res.Headers["location"].Value)
		}
		if got != tt.want {
			t.Errorf("handler(%s, Accept %q) = %q, want %q", tt.uri, tt.accept, got, tt.want)
		}
	}
}

// s3Origin serves a tree as S3's REST endpoint does: a key or 404 (403 on
// AWS without ListBucket), no index documents, no redirects.
func s3Origin(dir string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := strings.TrimPrefix(r.URL.Path, "/")
		f, err := os.Open(filepath.Join(dir, filepath.FromSlash(key)))
		if err != nil || !dist.ValidPath(key) {
			http.NotFound(w, r)
			return
		}
		defer f.Close()
		if st, err := f.Stat(); err != nil || !st.Mode().IsRegular() {
			http.NotFound(w, r)
			return
		}
		rule := dist.RuleFor(key)
		w.Header().Set("Content-Type", rule.ContentType)
		w.Header().Set("Cache-Control", rule.CacheControl)
		io.Copy(w, f)
	})
}

// pip installs through the shipped CloudFront Function in front of an
// S3-like origin: the function picks the pages, the origin only has keys.
func TestPypiCloudFrontPip(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test")
	}
	r := buildPyRegistry(t)
	cf := newCFFunction(t, requireTool(t, "node"))
	origin := s3Origin(r.out)
	edge := http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		res, err := cf.handle(req)
		if err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		if res.StatusCode != 0 {
			for k, v := range res.Headers {
				w.Header().Set(k, v.Value)
			}
			w.WriteHeader(res.StatusCode)
			return
		}
		u, err := url.Parse(res.URI) // S3 decodes the path it is sent
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		req = req.Clone(req.Context())
		req.URL.Path, req.URL.RawPath = u.Path, ""
		origin.ServeHTTP(w, req)
	})
	for _, py := range pyInterps[:2] {
		t.Run(py.name, func(t *testing.T) {
			requirePython(t, py)
			srv := newPyServer(t, edge)
			dir := t.TempDir()
			// No trailing slash: the function redirects.
			if out, err := pip(t, py.exe, "download", "--index-url", strings.TrimSuffix(srv.index(), "/"), "-d", dir, "e2e-app"); err != nil {
				t.Fatalf("pip download: %v\n%s", err, out)
			}
			if got := strings.Join(downloaded(t, dir), " "); got != pyApp.WheelName()+" "+pyGreeting.WheelName() {
				t.Errorf("pip downloaded %s", got)
			}
			want := "text/html"
			if py.json {
				want = dist.PyPIJSON
			}
			if p := served(srv.take(), "/pypi/simple/e2e-app/"); p == nil || !strings.HasPrefix(p.ContentType, want) {
				t.Errorf("/pypi/simple/e2e-app/ served as %+v, want %s", p, want)
			}
		})
	}
}

// The shipped nginx rules, in front of an S3-like store holding the tree,
// serve the pages by Accept, redirect page URLs without their slash, pass
// on every file's labels, and pip installs through them.
func TestPypiNginx(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test")
	}
	nginx := requireTool(t, "nginx")
	r := buildPyRegistry(t)
	origin := bucketOrigin(t, "bucket", r.out)
	addr := freeAddr(t)
	startNginx(t, nginx, addr, cdnNginx(t, addr, strings.TrimPrefix(origin.URL, "http://"), "/bucket"))
	base := "http://" + addr
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(p, accept string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest("GET", base+p, nil)
		if accept != "" {
			req.Header.Set("Accept", accept)
		}
		res, err := client.Do(req)
		if err != nil {
			t.Fatalf("GET %s: %v", p, err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		return res
	}

	wheel := "/pypi/files/e2e-greeting/" + strings.ReplaceAll(pyGreeting.WheelName(), "+", "%2B")
	tests := []struct {
		path, accept string
		status       int
		contentType  string
		cache        string
		location     string
	}{
		{"/pypi/simple/", pipJSONAccept, 200, dist.PyPIJSON, "public, max-age=60", ""},
		{"/pypi/simple/", pipHTMLAccept, 200, "text/html; charset=utf-8", "public, max-age=60", ""},
		{"/pypi/simple/e2e-greeting/", pipJSONAccept, 200, dist.PyPIJSON, "public, max-age=60", ""},
		{"/pypi/simple/e2e-greeting/", "*/*", 200, "text/html; charset=utf-8", "public, max-age=60", ""},
		{"/pypi/simple/e2e-greeting/index.json", "", 200, dist.PyPIJSON, "public, max-age=60", ""},
		{"/pypi/simple/e2e-greeting", pipJSONAccept, 301, "", "", "/pypi/simple/e2e-greeting/"},
		{"/pypi/simple", "", 301, "", "", "/pypi/simple/"},
		{"/pypi/simple/nothing-here/", pipJSONAccept, 404, "", "", ""},
		{wheel, "", 200, "application/zip", "public, max-age=31536000, immutable", ""},
		{"/pypi/files/e2e-greeting/" + pyGreeting.WheelName(), "", 200, "application/zip", "public, max-age=31536000, immutable", ""},
		{wheel + ".metadata", "", 200, "text/plain; charset=utf-8", "public, max-age=31536000, immutable", ""},
		{"/pypi/files/e2e-greeting/" + strings.ReplaceAll(pyGreeting.SdistName(), "+", "%2B"), "", 200, "application/gzip", "public, max-age=31536000, immutable", ""},
	}
	for _, tt := range tests {
		res := get(tt.path, tt.accept)
		if res.StatusCode != tt.status {
			t.Errorf("GET %s (Accept %q): %d, want %d", tt.path, tt.accept, res.StatusCode, tt.status)
			continue
		}
		if tt.contentType != "" && res.Header.Get("Content-Type") != tt.contentType {
			t.Errorf("GET %s (Accept %q): Content-Type %q, want %q", tt.path, tt.accept, res.Header.Get("Content-Type"), tt.contentType)
		}
		if tt.cache != "" && res.Header.Get("Cache-Control") != tt.cache {
			t.Errorf("GET %s: Cache-Control %q, want %q", tt.path, res.Header.Get("Cache-Control"), tt.cache)
		}
		if tt.location != "" && res.Header.Get("Location") != tt.location {
			t.Errorf("GET %s: Location %q, want %q", tt.path, res.Header.Get("Location"), tt.location)
		}
	}

	py := pyInterps[0]
	requirePython(t, py)
	dir := t.TempDir()
	if out, err := pip(t, py.exe, "download", "--index-url", base+"/pypi/simple", "-d", dir, "e2e-app"); err != nil {
		t.Fatalf("pip download through nginx: %v\n%s", err, out)
	}
	if got := strings.Join(downloaded(t, dir), " "); got != pyApp.WheelName()+" "+pyGreeting.WheelName() {
		t.Errorf("pip downloaded %s", got)
	}
}

// The example registry of this repository, as `make demo` builds it, is one
// pip installs from: stockpile-hello and its dependency, not the yanked
// release of it.
func TestPipDemoRegistryInstalls(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test")
	}
	py := pyInterps[0]
	requirePython(t, py)
	reg := exampleRegistry(t)
	out := filepath.Join(t.TempDir(), "public")
	mustStockpile(t, "build", "-C", reg, "-o", out)
	srv := newPyServer(t, dist.Handler(out))
	venv := pyVenv(t, py.exe)
	if log, err := pip(t, venv, "install", "--index-url", srv.index(), "stockpile-hello"); err != nil {
		t.Fatalf("pip install stockpile-hello: %v\n%s", err, log)
	}
	if got, err := pyCmd(t, "", venv, "-m", "stockpile_hello"); err != nil || strings.TrimSpace(got) != "Hello from Stockpile!" {
		t.Errorf("python -m stockpile_hello printed %q (%v)", got, err)
	}
	if got, _ := pyCmd(t, "", venv, "-c", "import stockpile_greeting; print(stockpile_greeting.__version__)"); strings.TrimSpace(got) != "1.2+demo" {
		t.Errorf("installed stockpile-greeting %q, want 1.2+demo (1.3 is yanked)", got)
	}
	for _, req := range srv.take() {
		if path.Ext(req.Path) == ".whl" && req.Status != http.StatusOK {
			t.Errorf("%s: %d", req.Path, req.Status)
		}
	}
}

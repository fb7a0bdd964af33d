package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stockpile/stockpile/dist"
	"github.com/stockpile/stockpile/internal/npmgen"
	"github.com/stockpile/stockpile/signing"
)

// jsTools are the JavaScript package managers the end-to-end tests run.
// .ci/run installs them under .ci/tools/ (Git-ignored), each in its own
// folder since two of them ship a `yarn`; STOCKPILE_JS_TOOLS names another
// folder of the same layout.
type jsTools struct {
	node   string
	npm    string // the npm command
	npmDir string // npm's package folder, for its bundled pacote
	yarn1  string
	yarn4  string
	pnpm   string
}

func findJSTools(t *testing.T) *jsTools {
	t.Helper()
	node := requireTool(t, "node")
	dir := os.Getenv("STOCKPILE_JS_TOOLS")
	if dir == "" {
		dir = filepath.Join("..", "..", ".ci", "tools")
	}
	dir, _ = filepath.Abs(dir)
	tool := func(name, rel string) string {
		p := filepath.Join(dir, rel)
		if _, err := os.Stat(p); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("%s is required in CI but not installed at %s (.ci/run installs it)", name, p)
			}
			t.Skipf("%s not installed at %s", name, p)
		}
		return p
	}
	return &jsTools{
		node:   node,
		npm:    tool("npm", "npm/node_modules/.bin/npm"),
		npmDir: tool("npm", "npm/node_modules/npm"),
		yarn1:  tool("yarn 1", "yarn1/node_modules/.bin/yarn"),
		yarn4:  tool("yarn 4", "yarn4/node_modules/.bin/yarn"),
		pnpm:   tool("pnpm", "pnpm/node_modules/.bin/pnpm"),
	}
}

// npmServer serves a built tree as `stockpile serve` does, records every
// request, and can play offline.
type npmServer struct {
	*httptest.Server
	mu       sync.Mutex
	offline  bool
	requests []string // "STATUS PATH"
}

func newNpmServer(t *testing.T, dir string) *npmServer {
	s := &npmServer{}
	h := dist.Handler(dir)
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		s.mu.Lock()
		offline := s.offline
		s.mu.Unlock()
		if offline {
			rec.WriteHeader(http.StatusServiceUnavailable)
		} else {
			h.ServeHTTP(rec, r)
		}
		s.mu.Lock()
		s.requests = append(s.requests, fmt.Sprintf("%d %s", rec.status, r.RequestURI))
		s.mu.Unlock()
	}))
	t.Cleanup(s.Close)
	return s
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

func (s *npmServer) setOffline(off bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.offline = off
}

// takeRequests returns the requests since the last call.
func (s *npmServer) takeRequests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.requests
	s.requests = nil
	return r
}

// The test registry: a scoped command that depends on an unscoped library
// with several versions, a '+' version, a deprecated one and a dist-tag.
var (
	e2eLibVersions = []string{"0.9.0", "1.0.0", "1.1.0+build.5", "2.0.0-rc.1"}
	e2eWantLib     = "1.1.0+build.5" // what ^1.0.0 resolves to, as its package.json says
	e2eWantLibReg  = "1.1.0"         // the same, as the registry lists it (npm drops build metadata)
)

func e2eNpmPackages() []npmgen.Package {
	var pkgs []npmgen.Package
	for _, v := range e2eLibVersions {
		pkgs = append(pkgs, npmgen.Package{
			JSON:  map[string]any{"name": "e2e-lib", "version": v, "main": "index.js", "license": "MIT"},
			Files: map[string][]byte{"index.js": []byte(fmt.Sprintf("module.exports = %q;\n", "e2e-lib "+v))},
		})
	}
	pkgs = append(pkgs, npmgen.Package{
		JSON: map[string]any{
			"name": "@e2e/app", "version": "1.0.0", "license": "MIT",
			"bin":          map[string]any{"e2e-app": "bin/app.js"},
			"dependencies": map[string]any{"e2e-lib": "^1.0.0"},
		},
		Files: map[string][]byte{"bin/app.js": []byte("#!/usr/bin/env node\nconsole.log(require('e2e-lib'));\n")},
	})
	return pkgs
}

// npmRegistry builds the test registry into a tree served by a new server,
// and returns the server and the tree.
func npmRegistry(t *testing.T) (*npmServer, string) {
	t.Helper()
	dir := t.TempDir()
	reg := filepath.Join(dir, "registry")
	mustStockpile(t, "init", reg)
	var files []string
	for _, p := range e2eNpmPackages() {
		data, err := p.Build()
		if err != nil {
			t.Fatal(err)
		}
		f := filepath.Join(dir, p.FileName())
		os.WriteFile(f, data, 0o644)
		files = append(files, f)
	}
	mustStockpile(t, append([]string{"add", "-C", reg}, files...)...)
	appendManifest(t, reg, "e2e-lib-0.9.0.tgz", "deprecated: \"0.9 is old: use ^1.0.0\"\n")
	appendManifest(t, reg, "e2e-lib-2.0.0-rc.1.tgz", "tags: [next]\n")
	out := filepath.Join(dir, "public")
	srv := newNpmServer(t, out)
	mustStockpile(t, "build", "-C", reg, "-o", out, "--base-url", srv.URL+"/")
	return srv, out
}

func appendManifest(t *testing.T, reg, file, text string) {
	t.Helper()
	p := filepath.Join(reg, "packages", "npm", file+".yaml")
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(p, append(data, text...), 0o644)
}

// jsEnv is the environment of a client run: the machine's, without CI
// (clients change their defaults under CI), with a private home.
func jsEnv(home string, extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch {
		case k == "CI", k == "HOME", k == "XDG_CONFIG_HOME", k == "XDG_CACHE_HOME", k == "XDG_DATA_HOME", k == "XDG_STATE_HOME",
			strings.HasPrefix(strings.ToLower(k), "npm_config_"), strings.HasPrefix(k, "YARN_"), strings.HasPrefix(k, "PNPM_"):
			continue
		}
		env = append(env, kv)
	}
	userconfig := filepath.Join(home, ".npmrc")
	if _, err := os.Stat(userconfig); err != nil {
		os.MkdirAll(home, 0o755)
		os.WriteFile(userconfig, nil, 0o644)
	}
	env = append(env, "HOME="+home, "XDG_CONFIG_HOME="+filepath.Join(home, ".config"),
		"XDG_CACHE_HOME="+filepath.Join(home, ".cache"), "XDG_DATA_HOME="+filepath.Join(home, ".local/share"),
		"XDG_STATE_HOME="+filepath.Join(home, ".local/state"),
		"npm_config_userconfig="+userconfig, "npm_config_update_notifier=false", "npm_config_audit=false",
		"npm_config_fund=false", "COREPACK_ENABLE_STRICT=0", "FORCE_COLOR=0", "NO_COLOR=1")
	return append(env, extra...)
}

// runJS runs a client in dir and returns its output.
func runJS(t *testing.T, dir string, env []string, name string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func mustRunJS(t *testing.T, dir string, env []string, name string, args ...string) string {
	t.Helper()
	out, err := runJS(t, dir, env, name, args...)
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", filepath.Base(name), strings.Join(args, " "), err, out)
	}
	return out
}

// jsClient is one package manager: how to add a package to a new project,
// and how to reinstall a project from its lockfile with a given cache.
type jsClient struct {
	name      string
	lockfile  string
	integrity bool     // the lockfile records the registry's integrity strings
	requests  []string // requests the client is known to make when adding
	add       func(t *testing.T, project, cache string)
	reinstall func(t *testing.T, project, cache string, offline bool)
}

func jsClients(tools *jsTools, registry string) []jsClient {
	home := func(project string) string { return filepath.Join(project, "..", filepath.Base(project)+"-home") }
	return []jsClient{
		{
			name: "npm", lockfile: "package-lock.json", integrity: true,
			requests: []string{"/npm/@e2e%2fapp", "/npm/e2e-lib", "/npm/@e2e/app/-/app-1.0.0.tgz", "/npm/e2e-lib/-/e2e-lib-1.1.0.tgz"},
			add: func(t *testing.T, project, cache string) {
				mustRunJS(t, project, jsEnv(home(project)), tools.npm, "install", "--registry", registry, "--cache", cache, "@e2e/app")
			},
			reinstall: func(t *testing.T, project, cache string, offline bool) {
				args := []string{"ci", "--registry", registry, "--cache", cache}
				if offline {
					args = append(args, "--offline")
				}
				mustRunJS(t, project, jsEnv(home(project)), tools.npm, args...)
			},
		},
		{
			name: "yarn 1", lockfile: "yarn.lock", integrity: true,
			requests: []string{"/npm/@e2e%2fapp", "/npm/e2e-lib", "/npm/@e2e/app/-/app-1.0.0.tgz", "/npm/e2e-lib/-/e2e-lib-1.1.0.tgz"},
			add: func(t *testing.T, project, cache string) {
				mustRunJS(t, project, jsEnv(home(project)), tools.yarn1, "add", "@e2e/app", "--registry", registry,
					"--cache-folder", cache, "--non-interactive", "--no-progress")
			},
			reinstall: func(t *testing.T, project, cache string, offline bool) {
				args := []string{"install", "--frozen-lockfile", "--registry", registry, "--cache-folder", cache, "--non-interactive", "--no-progress"}
				if offline {
					args = append(args, "--offline")
				}
				mustRunJS(t, project, jsEnv(home(project)), tools.yarn1, args...)
			},
		},
		{
			name: "yarn 4", lockfile: "yarn.lock",
			requests: []string{"/npm/@e2e%2fapp", "/npm/e2e-lib", "/npm/@e2e%2fapp/-/app-1.0.0.tgz", "/npm/e2e-lib/-/e2e-lib-1.1.0.tgz"},
			add: func(t *testing.T, project, cache string) {
				yarn4Config(t, project, registry, cache)
				mustRunJS(t, project, jsEnv(home(project)), tools.yarn4, "add", "@e2e/app")
			},
			reinstall: func(t *testing.T, project, cache string, _ bool) {
				yarn4Config(t, project, registry, cache)
				mustRunJS(t, project, jsEnv(home(project)), tools.yarn4, "install", "--immutable")
			},
		},
		{
			name: "pnpm", lockfile: "pnpm-lock.yaml", integrity: true,
			requests: []string{"/npm/@e2e%2Fapp/latest", "/npm/@e2e%2Fapp", "/npm/e2e-lib", "/npm/@e2e/app/-/app-1.0.0.tgz", "/npm/e2e-lib/-/e2e-lib-1.1.0.tgz"},
			add: func(t *testing.T, project, cache string) {
				mustRunJS(t, project, jsEnv(home(project)), tools.pnpm, "add", "@e2e/app", "--registry", registry,
					"--store-dir", filepath.Join(cache, "store"), "--cache-dir", filepath.Join(cache, "meta"),
					"--config.minimum-release-age=0")
			},
			reinstall: func(t *testing.T, project, cache string, offline bool) {
				args := []string{"install", "--frozen-lockfile", "--registry", registry,
					"--store-dir", filepath.Join(cache, "store"), "--cache-dir", filepath.Join(cache, "meta"),
					"--config.minimum-release-age=0"}
				if offline {
					args = append(args, "--offline")
				}
				mustRunJS(t, project, jsEnv(home(project)), tools.pnpm, args...)
			},
		},
	}
}

// yarn4Config writes .yarnrc.yml: the registry over plain HTTP, no age
// gate for new versions, a cache of the test's own, node_modules linking.
func yarn4Config(t *testing.T, project, registry, cache string) {
	t.Helper()
	cfg := fmt.Sprintf(`npmRegistryServer: %q
unsafeHttpWhitelist: ["127.0.0.1"]
npmMinimalAgeGate: 0
enableGlobalCache: false
enableTelemetry: false
enableImmutableInstalls: false
cacheFolder: %q
globalFolder: %q
nodeLinker: node-modules
`, registry, cache, filepath.Join(cache, "global"))
	if err := os.WriteFile(filepath.Join(project, ".yarnrc.yml"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
}

func newProject(t *testing.T, name string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), name)
	os.MkdirAll(dir, 0o755)
	pj := fmt.Sprintf(`{"name": %q, "version": "1.0.0", "private": true, "license": "MIT"}`+"\n", name)
	if err := os.WriteFile(filepath.Join(dir, "package.json"), []byte(pj), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// checkInstalled runs the installed command and checks which version of
// the library it loads.
func checkInstalled(t *testing.T, tools *jsTools, project string) {
	t.Helper()
	out := mustRunJS(t, project, jsEnv(filepath.Join(project, "..", "run-home")), tools.node, filepath.Join(project, "node_modules/@e2e/app/bin/app.js"))
	if strings.TrimSpace(out) != "e2e-lib "+e2eWantLib {
		t.Errorf("installed command prints %q, want %q", strings.TrimSpace(out), "e2e-lib "+e2eWantLib)
	}
	var pj struct{ Version string }
	data, err := os.ReadFile(filepath.Join(libDir(t, project), "package.json"))
	if err != nil || json.Unmarshal(data, &pj) != nil || pj.Version != e2eWantLib {
		t.Errorf("e2e-lib/package.json: version %q (%v), want %s", pj.Version, err, e2eWantLib)
	}
}

// libDir finds e2e-lib as Node.js does from the installed @e2e/app: in the
// node_modules of the app's real folder or of one of its parents (pnpm
// links dependencies beside the package, others hoist them).
func libDir(t *testing.T, project string) string {
	t.Helper()
	dir, err := filepath.EvalSymlinks(filepath.Join(project, "node_modules/@e2e/app"))
	if err != nil {
		t.Fatalf("@e2e/app is not installed: %v", err)
	}
	for ; dir != filepath.Dir(dir); dir = filepath.Dir(dir) {
		if filepath.Base(dir) == "node_modules" {
			continue
		}
		if p := filepath.Join(dir, "node_modules", "e2e-lib"); isDir(p) {
			return p
		}
	}
	t.Fatalf("e2e-lib is not reachable from @e2e/app in %s", project)
	return ""
}

func isDir(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}

// servedIntegrity returns the integrity strings of every version in the
// packuments of the tree.
func servedIntegrity(t *testing.T, out string) map[string]string {
	t.Helper()
	got := map[string]string{}
	for _, name := range []string{"e2e-lib", "@e2e/app"} {
		var p struct {
			Versions map[string]struct {
				Dist struct{ Integrity string }
			}
		}
		data, err := os.ReadFile(filepath.Join(out, "npm", name, "index.json"))
		if err != nil || json.Unmarshal(data, &p) != nil {
			t.Fatalf("packument of %s: %v", name, err)
		}
		for v, d := range p.Versions {
			got[name+"@"+v] = d.Dist.Integrity
		}
	}
	return got
}

// Each client installs a scoped package that depends on an unscoped one from
// the served tree, then reinstalls from its lockfile, first with an empty
// cache and then offline, to the same lockfile and files.
func TestNpmClientsEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test")
	}
	tools := findJSTools(t)
	srv, out := npmRegistry(t)
	registry := srv.URL + "/npm/"
	integrity := servedIntegrity(t, out)
	for _, c := range jsClients(tools, registry) {
		t.Run(c.name, func(t *testing.T) {
			srv.setOffline(false)
			project := newProject(t, "project")
			c.add(t, project, filepath.Join(t.TempDir(), "cache1"))
			checkInstalled(t, tools, project)
			log := srv.takeRequests()
			for _, r := range log {
				if !strings.HasPrefix(r, "200 ") && r != "404 /npm/pnpm" { // pnpm looks for its own updates
					t.Errorf("%s: request answered %s", c.name, r)
				}
			}
			// The URL forms of CLIENTS.md: scoped names with %2f (%2F from
			// pnpm), pnpm's /latest, yarn 4's %2f tarball path, '+' as %2B.
			for _, want := range c.requests {
				if !slices.Contains(log, "200 "+want) {
					t.Errorf("%s did not request %s; it requested:\n%s", c.name, want, strings.Join(log, "\n"))
				}
			}
			lock, err := os.ReadFile(filepath.Join(project, c.lockfile))
			if err != nil {
				t.Fatal(err)
			}
			if c.integrity {
				for _, id := range []string{"@e2e/app@1.0.0", "e2e-lib@" + e2eWantLibReg} {
					if !strings.Contains(string(lock), integrity[id]) {
						t.Errorf("%s does not record the served integrity of %s (%s)", c.lockfile, id, integrity[id])
					}
				}
			}
			installed, _ := os.ReadFile(filepath.Join(libDir(t, project), "index.js"))

			// From the lockfile, with an empty cache: every tarball is
			// fetched again and checked against the lockfile.
			cache2 := filepath.Join(t.TempDir(), "cache2")
			os.RemoveAll(filepath.Join(project, "node_modules"))
			c.reinstall(t, project, cache2, false)
			checkInstalled(t, tools, project)
			srv.takeRequests()

			// Offline, from that cache: no request reaches the registry.
			os.RemoveAll(filepath.Join(project, "node_modules"))
			srv.setOffline(true)
			c.reinstall(t, project, cache2, true)
			srv.setOffline(false)
			checkInstalled(t, tools, project)
			if reqs := srv.takeRequests(); len(reqs) > 0 {
				t.Errorf("offline reinstall made requests: %v", reqs)
			}
			again, _ := os.ReadFile(filepath.Join(project, c.lockfile))
			if string(again) != string(lock) {
				t.Errorf("%s changed on reinstall:\n%s\nthen\n%s", c.lockfile, lock, again)
			}
			if now, _ := os.ReadFile(filepath.Join(libDir(t, project), "index.js")); string(now) != string(installed) {
				t.Errorf("reinstalled e2e-lib differs: %q, then %q", installed, now)
			}
		})
	}
}

// verifyScript checks registry signatures with npm's own code: the pacote
// bundled in npm, as `npm audit signatures` calls it.
const verifyScript = `
const [npmDir, registry, cache, specsJSON, mangle] = process.argv.slice(2);
const pacote = require(npmDir + '/node_modules/pacote');
(async () => {
  const res = await fetch(registry + '-/npm/v1/keys');
  let keys = (await res.json()).keys.map(k => ({ ...k, pemkey: '-----BEGIN PUBLIC KEY-----\n' + k.key + '\n-----END PUBLIC KEY-----' }));
  if (mangle === 'keyid') keys = keys.map(k => ({ ...k, keyid: 'SHA256:other' }));
  const u = new URL(registry);
  const opts = { registry, cache, verifySignatures: true, preferOnline: true, ['//' + u.host + u.pathname + ':_keys']: keys };
  const out = [];
  for (const spec of JSON.parse(specsJSON)) {
    try {
      const m = await pacote.manifest(spec, opts);
      out.push({ spec, ok: true, signatures: (m._signatures || []).length });
    } catch (e) {
      out.push({ spec, ok: false, code: e.code || '', message: e.message });
    }
  }
  console.log(JSON.stringify(out));
})().catch(e => { console.error(e); process.exit(1); });
`

type verifyResult struct {
	Spec       string
	OK         bool
	Signatures int
	Code       string
	Message    string
}

func verifySignatures(t *testing.T, tools *jsTools, registry string, specs []string, mangle string) map[string]verifyResult {
	t.Helper()
	dir := t.TempDir()
	script := filepath.Join(dir, "verify.js")
	os.WriteFile(script, []byte(verifyScript), 0o644)
	specJSON, _ := json.Marshal(specs)
	out := mustRunJS(t, dir, jsEnv(filepath.Join(dir, "home")), tools.node, script, tools.npmDir, registry, filepath.Join(dir, "cache"), string(specJSON), mangle)
	var results []verifyResult
	if err := json.Unmarshal([]byte(strings.TrimSpace(out[strings.LastIndex(out, "\n[")+1:])), &results); err != nil {
		t.Fatalf("verify output: %v\n%s", err, out)
	}
	byspec := map[string]verifyResult{}
	for _, r := range results {
		byspec[r.Spec] = r
	}
	return byspec
}

// npm's own verification accepts the registry signature of every version,
// and refuses an altered signature or an unknown key.
func TestNpmRegistrySignatures(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test")
	}
	tools := findJSTools(t)
	srv, out := npmRegistry(t)
	registry := srv.URL + "/npm/"
	specs := []string{"@e2e/app@1.0.0"}
	for _, v := range e2eLibVersions {
		specs = append(specs, "e2e-lib@"+v)
	}
	for spec, r := range verifySignatures(t, tools, registry, specs, "") {
		if !r.OK || r.Signatures != 1 {
			t.Errorf("%s: verified %v with %d signatures: %s %s", spec, r.OK, r.Signatures, r.Code, r.Message)
		}
	}
	for spec, r := range verifySignatures(t, tools, registry, specs[:1], "keyid") {
		if r.OK || r.Code != "EMISSINGSIGNATUREKEY" {
			t.Errorf("%s with an unknown key id: ok=%v %s %s", spec, r.OK, r.Code, r.Message)
		}
	}

	// Swap two versions' signatures: each still a valid signature by the
	// registry key, but over another message.
	path := filepath.Join(out, "npm", "e2e-lib", "index.json")
	doc, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sigs := regexp.MustCompile(`"sig":"([^"]+)"`).FindAllSubmatch(doc, -1)
	if len(sigs) != len(e2eLibVersions) {
		t.Fatalf("packument has %d signatures, want %d", len(sigs), len(e2eLibVersions))
	}
	a, b := string(sigs[0][1]), string(sigs[1][1])
	swapped := strings.NewReplacer(a, b, b, a).Replace(string(doc))
	os.Remove(path) // the tree may share its files with the build's cache
	os.WriteFile(path, []byte(swapped), 0o644)
	results := verifySignatures(t, tools, registry, specs, "")
	for _, spec := range []string{"e2e-lib@" + e2eLibVersions[0], "e2e-lib@" + e2eLibVersions[1]} {
		if r := results[spec]; r.OK || r.Code != "EINTEGRITYSIGNATURE" {
			t.Errorf("%s with another version's signature: ok=%v %s %s", spec, r.OK, r.Code, r.Message)
		}
	}
	if r := results["e2e-lib@"+e2eLibVersions[2]]; !r.OK {
		t.Errorf("untouched version failed: %s %s", r.Code, r.Message)
	}
}

// npm refuses a tarball whose bytes differ from the packument's integrity.
func TestNpmTamperedTarball(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test")
	}
	tools := findJSTools(t)
	srv, out := npmRegistry(t)
	evil, err := npmgen.Package{
		JSON:  map[string]any{"name": "e2e-lib", "version": e2eWantLib, "main": "index.js"},
		Files: map[string][]byte{"index.js": []byte("module.exports = 'evil';\n")},
	}.Build()
	if err != nil {
		t.Fatal(err)
	}
	tgz := filepath.Join(out, "npm", "e2e-lib", "-", "e2e-lib-"+e2eWantLibReg+".tgz")
	os.Remove(tgz) // a hard link to the verified blob: do not write through it
	os.WriteFile(tgz, evil, 0o644)
	project := newProject(t, "tampered")
	// No retries: npm would fetch the same wrong bytes again after a back-off.
	log, err := runJS(t, project, jsEnv(filepath.Join(project, "..", "home")), tools.npm, "install",
		"--registry", srv.URL+"/npm/", "--cache", filepath.Join(t.TempDir(), "cache"), "--fetch-retries=0", "@e2e/app")
	if err == nil || !strings.Contains(log, "EINTEGRITY") {
		t.Fatalf("npm installed a tampered tarball (err %v)\n%s", err, log)
	}
	if _, err := os.Stat(filepath.Join(project, "node_modules/e2e-lib/index.js")); err == nil {
		t.Errorf("the tampered tarball was unpacked")
	}
}

// The tree answers the URLs clients and the CDN rules use: scoped names in
// three spellings, dist-tag documents, the keys, tarballs with '+' and yarn
// 4's %2f, each with its content type and cache lifetime.
func TestNpmServeURLs(t *testing.T) {
	srv, _ := npmRegistry(t)
	tests := []struct {
		path, contentType, cache string
		status                   int
	}{
		{"/npm/@e2e%2fapp", "application/json", dist.CacheMutable, 200},
		{"/npm/@e2e%2Fapp", "application/json", dist.CacheMutable, 200},
		{"/npm/@e2e/app", "application/json", dist.CacheMutable, 200},
		{"/npm/@e2e%2Fapp/latest", "application/json", dist.CacheMutable, 200},
		{"/npm/e2e-lib", "application/json", dist.CacheMutable, 200},
		{"/npm/e2e-lib/next", "application/json", dist.CacheMutable, 200},
		{"/npm/-/npm/v1/keys", "application/json", dist.CacheMutable, 200},
		{"/npm/e2e-lib/-/e2e-lib-1.1.0.tgz", "application/gzip", dist.CacheImmutable, 200},
		{"/npm/@e2e%2fapp/-/app-1.0.0.tgz", "application/gzip", dist.CacheImmutable, 200},
		{"/npm/@e2e/app/-/app-1.0.0.tgz", "application/gzip", dist.CacheImmutable, 200},
		{"/npm/e2e-lib/1.0.0", "", "", 404},
		{"/npm/no-such-package", "", "", 404},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			resp, err := http.Get(srv.URL + tt.path)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.status {
				t.Fatalf("GET %s = %d, want %d", tt.path, resp.StatusCode, tt.status)
			}
			if tt.status == 200 && (resp.Header.Get("Content-Type") != tt.contentType || resp.Header.Get("Cache-Control") != tt.cache) {
				t.Errorf("GET %s: Content-Type %q Cache-Control %q, want %q %q", tt.path,
					resp.Header.Get("Content-Type"), resp.Header.Get("Cache-Control"), tt.contentType, tt.cache)
			}
		})
	}
}

// The shipped CloudFront function maps every URL form npm clients use to
// the key the tree stores.
func TestNpmCloudFrontFunction(t *testing.T) {
	cf := newCFFunction(t, requireTool(t, "node"))
	cases := map[string]string{
		"/npm/left-pad":                          "/npm/left-pad/index.json",
		"/npm/@s%2fn":                            "/npm/@s/n/index.json",
		"/npm/@s%2Fn":                            "/npm/@s/n/index.json",
		"/npm/@s/n":                              "/npm/@s/n/index.json",
		"/npm/@s%2Fn/latest":                     "/npm/@s/n/latest/index.json",
		"/npm/lodash.merge/":                     "/npm/lodash.merge/index.json",
		"/npm/-/npm/v1/keys":                     "/npm/-/npm/v1/keys/index.json",
		"/npm/@s%2fn/-/n-1.0.0.tgz":              "/npm/@s/n/-/n-1.0.0.tgz",
		"/npm/@s/n/-/n-1.0.0.tgz":                "/npm/@s/n/-/n-1.0.0.tgz",
		"/npm/left-pad/-/left-pad-1.0.0%2Bb.tgz": "/npm/left-pad/-/left-pad-1.0.0%2Bb.tgz",
		"/npm/left-pad/-/left-pad-1.0.0+b.tgz":   "/npm/left-pad/-/left-pad-1.0.0%2Bb.tgz",
		"/npm/foo.tgz":                           "/npm/foo.tgz/index.json",
		"/npm/":                                  "/npm/index.html",
		"/apt/dists/stable/InRelease":            "/apt/dists/stable/InRelease",
	}
	for uri, want := range cases {
		res, err := cf.handle(httptest.NewRequest("GET", uri, nil))
		if err != nil {
			t.Fatal(err)
		}
		if res.StatusCode != 0 || res.URI != want {
			t.Errorf("handler(%q) = %q (status %d), want %q", uri, res.URI, res.StatusCode, want)
		}
	}
}

// The example registry of this repository, as `make demo` builds it, is one
// npm installs from: a scoped command and its unscoped dependency.
func TestNpmDemoRegistryInstalls(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test")
	}
	tools := findJSTools(t)
	reg := exampleRegistry(t)
	out := filepath.Join(t.TempDir(), "public")
	srv := newNpmServer(t, out)
	mustStockpile(t, "build", "-C", reg, "-o", out, "--base-url", srv.URL+"/")
	project := newProject(t, "demo")
	mustRunJS(t, project, jsEnv(filepath.Join(project, "..", "home")), tools.npm, "install",
		"--registry", srv.URL+"/npm/", "--cache", filepath.Join(t.TempDir(), "cache"), "@stockpile-demo/hello")
	got := mustRunJS(t, project, jsEnv(filepath.Join(project, "..", "home")), filepath.Join(project, "node_modules/.bin/hello-stockpile"))
	if strings.TrimSpace(got) != "Hello from a static npm registry!" {
		t.Errorf("hello-stockpile printed %q", got)
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// The shipped nginx rules, in front of an S3-like store holding the tree,
// answer every URL form clients use, and npm installs through them.
func TestNpmNginx(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test")
	}
	nginx := requireTool(t, "nginx")
	tools := findJSTools(t)
	addr := freeAddr(t)
	_, out := npmRegistry(t) // built for its own server: rebuilt for nginx's address
	reg := filepath.Join(filepath.Dir(out), "registry")
	mustStockpile(t, "build", "-C", reg, "-o", out, "--base-url", "http://"+addr+"/")
	origin := bucketOrigin(t, "bucket", out)
	startNginx(t, nginx, addr, cdnNginx(t, addr, strings.TrimPrefix(origin.URL, "http://"), "/bucket"))

	tests := []struct {
		path, contentType, cache string
		status                   int
	}{
		{"/npm/@e2e%2fapp", "application/json", dist.CacheMutable, 200},
		{"/npm/@e2e%2Fapp", "application/json", dist.CacheMutable, 200},
		{"/npm/@e2e/app", "application/json", dist.CacheMutable, 200},
		{"/npm/@e2e%2Fapp/latest", "application/json", dist.CacheMutable, 200},
		{"/npm/e2e-lib", "application/json", dist.CacheMutable, 200},
		{"/npm/e2e-lib/", "application/json", dist.CacheMutable, 200},
		{"/npm/e2e-lib/next", "application/json", dist.CacheMutable, 200},
		{"/npm/-/npm/v1/keys", "application/json", dist.CacheMutable, 200},
		{"/npm/e2e-lib/-/e2e-lib-1.1.0.tgz", "application/gzip", dist.CacheImmutable, 200},
		{"/npm/@e2e%2fapp/-/app-1.0.0.tgz", "application/gzip", dist.CacheImmutable, 200},
		{"/npm/@e2e/app/-/app-1.0.0.tgz", "application/gzip", dist.CacheImmutable, 200},
		{"/npm/no-such-package", "", "", 404},
	}
	for _, tt := range tests {
		res := cdnGet(t, "GET", "http://"+addr+tt.path)
		if res.status != tt.status {
			t.Errorf("GET %s = %d, want %d", tt.path, res.status, tt.status)
			continue
		}
		if tt.status == 200 && (res.header.Get("Content-Type") != tt.contentType || res.header.Get("Cache-Control") != tt.cache) {
			t.Errorf("GET %s: Content-Type %q Cache-Control %q, want %q %q", tt.path,
				res.header.Get("Content-Type"), res.header.Get("Cache-Control"), tt.contentType, tt.cache)
		}
	}

	project := newProject(t, "nginx")
	mustRunJS(t, project, jsEnv(filepath.Join(project, "..", "home")), tools.npm, "install",
		"--registry", "http://"+addr+"/npm/", "--cache", filepath.Join(t.TempDir(), "cache"), "@e2e/app")
	checkInstalled(t, tools, project)
}

// init makes the npm registry key next to the OpenPGP one, and `keys create
// --if-missing` makes it for a registry that lacks only that one.
func TestNpmKeysCreate(t *testing.T) {
	reg := filepath.Join(t.TempDir(), "registry")
	mustStockpile(t, "init", reg)
	cfg, _ := os.ReadFile(filepath.Join(reg, "repos.yaml"))
	if !strings.Contains(string(cfg), "npm: .stockpile/keys/npm.pem") {
		t.Fatalf("repos.yaml does not name the npm key:\n%s", cfg)
	}
	priv := filepath.Join(reg, ".stockpile/keys/npm.pem")
	first, err := signing.LoadECDSA(".stockpile/keys/npm.pem", reg, os.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(priv); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("npm.pem: %v, mode %v; want 0600", err, st.Mode().Perm())
	}
	pub, _ := os.ReadFile(filepath.Join(reg, "keys/npm.pub"))
	if string(pub) != string(first.PublicPEM()) {
		t.Errorf("keys/npm.pub is not the public half of the key")
	}
	if code, _, stderr := stockpile(t, nil, "keys", "create", "-C", reg); code == 0 {
		t.Errorf("keys create over existing keys succeeded:\n%s", stderr)
	}
	os.Remove(priv)
	mustStockpile(t, "keys", "create", "-C", reg, "--if-missing")
	second, err := signing.LoadECDSA(".stockpile/keys/npm.pem", reg, os.Getenv)
	if err != nil {
		t.Fatalf("keys create --if-missing did not make the npm key: %v", err)
	}
	if second.KeyID() == first.KeyID() {
		t.Errorf("the new key is the old one")
	}
}

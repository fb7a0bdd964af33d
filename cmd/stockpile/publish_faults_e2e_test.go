package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/packet"

	"github.com/stockpile/stockpile/dist"
	"github.com/stockpile/stockpile/internal/debgen"
	"github.com/stockpile/stockpile/internal/npmgen"
	"github.com/stockpile/stockpile/internal/pygen"
	"github.com/stockpile/stockpile/internal/rpmgen"
	"github.com/stockpile/stockpile/publish"
	"github.com/stockpile/stockpile/signing/tuf"
	"github.com/stockpile/stockpile/tufclient"
)

var errFaultInjected = errors.New("injected upload failure")

// faultStore lets the first `after` uploads of registry files through and
// refuses the rest, as a publisher that died or lost the network would;
// publish's own records (.stockpile/) always go through. after < 0 lets
// everything through.
type faultStore struct {
	publish.Store
	after int
	mu    sync.Mutex
	keys  []string // registry files uploaded, in order
}

func (f *faultStore) Put(ctx context.Context, key string, body io.ReaderAt, size int64, opts publish.PutOptions) error {
	if !strings.HasPrefix(key, ".stockpile/") {
		f.mu.Lock()
		if f.after >= 0 && len(f.keys) >= f.after {
			f.mu.Unlock()
			return errFaultInjected
		}
		f.keys = append(f.keys, key)
		f.mu.Unlock()
	}
	return f.Store.Put(ctx, key, body, size, opts)
}

// faultServer serves one folder at a time as `stockpile serve` does; the
// folder can be switched while the URL stays, since the build wrote it into
// npm packuments. Under /no-inrelease/ it answers 404 for apt's InRelease,
// so that apt reads Release and Release.gpg instead, as older clients do.
type faultServer struct {
	*httptest.Server
	dir atomic.Pointer[string]
}

func newFaultServer(t *testing.T) *faultServer {
	t.Helper()
	s := &faultServer{}
	empty := t.TempDir()
	s.dir.Store(&empty)
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := dist.Handler(*s.dir.Load())
		if rest, ok := strings.CutPrefix(r.URL.Path, "/no-inrelease/"); ok {
			if path.Base(rest) == "InRelease" {
				http.NotFound(w, r)
				return
			}
			r = r.Clone(r.Context())
			r.URL.Path, r.URL.RawPath = "/"+rest, ""
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *faultServer) serve(dir string) { s.dir.Store(&dir) }

// faultsAddPackages adds one package of each format to the registry: a new
// apt and yum package, a new release of an existing PyPI project and of an
// existing npm package (so that their pages and packuments change). It
// returns the public key of the rpm's packager.
func faultsAddPackages(t *testing.T, reg string) string {
	t.Helper()
	dir := t.TempDir()
	var files []string
	write := func(name string, data []byte, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, p)
	}
	deb, err := debgen.Build(debgen.Control{Package: "faults-probe", Version: "1.0-1", Architecture: "all",
		Maintainer: "Test <test@example.org>", Description: "added between two publishes"},
		map[string][]byte{"usr/share/doc/faults-probe/README": []byte("probe\n")})
	write("faults-probe_1.0-1_all.deb", deb, err)

	key, err := openpgp.NewEntity("Faults packager", "", "faults@example.org", &packet.Config{
		Algorithm: packet.PubKeyAlgoEdDSA, Curve: packet.Curve25519,
		Time: func() time.Time { return time.Unix(1700000000, 0) },
	})
	if err != nil {
		t.Fatal(err)
	}
	rp := rpmgen.Package{Name: "faults-probe", Version: "1.0", Release: "1", Summary: "probe", Description: "added between two publishes",
		Files: []rpmgen.File{{Path: "/usr/share/faults-probe/README", Data: []byte("probe\n")}}}
	rpm, err := rpmgen.Build(rp, rpmgen.Options{Signer: key})
	write(rp.FileName(), rpm, err)

	py := pygen.Project{Name: "stockpile-hello", Version: "1.1.0", Summary: "a newer release",
		Files: map[string][]byte{"stockpile_hello/__init__.py": []byte("")}}
	whl, err := py.Wheel()
	write(py.WheelName(), whl, err)

	np := npmgen.Package{JSON: map[string]any{"name": "stockpile-greeting", "version": "1.3.0", "license": "MIT", "main": "index.js"},
		Files: map[string][]byte{"index.js": []byte("module.exports = 'greeting 1.3.0';\n")}}
	tgz, err := np.Build()
	write(np.FileName(), tgz, err)
	mustStockpile(t, append([]string{"add", "-C", reg}, files...)...)

	var pub bytes.Buffer
	w, err := armor.Encode(&pub, openpgp.PublicKeyType, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := key.Serialize(w); err != nil {
		t.Fatal(err)
	}
	w.Close()
	pubFile := filepath.Join(dir, "faults-packager.asc")
	if err := os.WriteFile(pubFile, pub.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return pubFile
}

// faultsStoreFiles returns the registry files a store folder serves, with
// their bytes.
func faultsStoreFiles(t *testing.T, dir string) map[string]string {
	t.Helper()
	files := treeFiles(t, dir)
	for k := range files {
		if strings.HasPrefix(k, ".stockpile/") {
			delete(files, k)
		}
	}
	return files
}

// faultsClients runs the real clients against the served store.
type faultsClients struct {
	url     string
	aptKey  string
	dnfKeys []string
	py      pyInterp
	tools   *jsTools
}

// apt runs apt-get update and downloads pkg; base is the path of the
// repository on the server.
func (c *faultsClients) apt(t *testing.T, base, pkg string) (string, error) {
	t.Helper()
	a := newAptClient(t, c.url+base, c.aptKey)
	log, err := a.run("update")
	if err == nil && (strings.Contains(log, "W:") || strings.Contains(log, "E:")) {
		err = errors.New("apt-get update warned")
	}
	if err != nil {
		return "apt-get update\n" + log, err
	}
	more, err := a.run("install", "-y", "--download-only", pkg)
	return log + "apt-get install\n" + more, err
}

func (c *faultsClients) dnf(t *testing.T, pkg string) (string, error) {
	t.Helper()
	return newDNFClient(t, c.url+"/yum/", c.dnfKeys...).install(pkg)
}

// pip downloads req and returns the name of the file saved.
func (c *faultsClients) pip(t *testing.T, req string) (string, string, error) {
	t.Helper()
	dir := t.TempDir()
	log, err := pip(t, c.py.exe, "download", "--no-deps", "--only-binary", ":all:", "--index-url", c.url+"/pypi/simple/", "-d", dir, req)
	return strings.Join(downloaded(t, dir), " "), log, err
}

// npm installs spec into a new project and returns the installed version.
func (c *faultsClients) npm(t *testing.T, spec string) (string, string, error) {
	t.Helper()
	project := newProject(t, "faults")
	log, err := runJS(t, project, jsEnv(filepath.Join(project, "..", "home")), c.tools.npm, "install",
		"--registry", c.url+"/npm/", "--cache", filepath.Join(t.TempDir(), "cache"), "--fetch-retries=0", spec)
	var pj struct{ Version string }
	data, _ := os.ReadFile(filepath.Join(project, "node_modules", "stockpile-greeting", "package.json"))
	json.Unmarshal(data, &pj)
	return pj.Version, log, err
}

// faultsVerifiesDetached reports whether sig is a good signature of data by the
// binary keyring in keyFile.
func faultsVerifiesDetached(t *testing.T, keyFile string, data, sig []byte) bool {
	t.Helper()
	kr, err := openpgp.ReadKeyRing(bytes.NewReader(tufReadFile(t, keyFile)))
	if err != nil {
		t.Fatal(err)
	}
	_, err = openpgp.CheckArmoredDetachedSignature(kr, bytes.NewReader(data), bytes.NewReader(sig), nil)
	return err == nil
}

// A publish that dies at any upload leaves a store that TUF clients verify,
// as the old or the new registry, and that real apt, dnf, pip and npm
// clients install from, except while one of two files that are published
// one after the other but read together is new and the other old: the new
// repomd.xml with the old repomd.xml.asc (dnf), and the new Release with the
// old Release.gpg (apt when it cannot read InRelease). Publishing again
// completes the store.
func TestPublishFaultsEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test")
	}
	requireTool(t, "apt-get")
	requireTool(t, "dnf")
	py := pyInterps[0]
	requirePython(t, py)
	tools := findJSTools(t)
	start := time.Now()
	ctx := context.Background()

	// Built in the past, so that the signatures are not from the future,
	// and recently enough that the TUF timestamps are still valid.
	now := time.Now().UTC().Truncate(time.Second)
	t1, t2 := now.Add(-2*time.Hour), now.Add(-time.Hour)
	srv := newFaultServer(t)
	reg := tufRegistry(t, t1)
	rootJSON := tufReadFile(t, filepath.Join(reg, filepath.FromSlash(tuf.RootFile)))
	v1 := filepath.Join(t.TempDir(), "v1")
	stockpileAt(t, t1, "build", "-C", reg, "-o", v1, "--base-url", srv.URL+"/")
	store1 := filepath.Join(t.TempDir(), "store")
	if _, err := publish.Publish(ctx, publish.NewLocal(store1), v1, publish.Options{Now: t1}); err != nil {
		t.Fatalf("publish v1: %v", err)
	}
	packagerKey := faultsAddPackages(t, reg)
	v2 := filepath.Join(t.TempDir(), "v2")
	if err := os.Rename(copyTree(t, v1), v2); err != nil {
		t.Fatal(err)
	}
	stockpileAt(t, t2, "build", "-C", reg, "-o", v2, "--base-url", srv.URL+"/")
	v1Files, v2Files := treeFiles(t, v1), treeFiles(t, v2)

	// The uploads of v2 over v1 in publish order; one at a time, so that
	// the first K are the same files in every run.
	opts := publish.Options{Now: t2, Parallel: 1}
	count := &faultStore{Store: publish.NewLocal(copyTree(t, store1)), after: -1}
	if _, err := publish.Publish(ctx, count, v2, opts); err != nil {
		t.Fatalf("publish v2: %v", err)
	}
	order := count.keys
	n := len(order)
	if diff := changedFiles(v1Files, v2Files); !slices.Equal(diff, faultsSorted(order)) {
		t.Fatalf("publish uploaded %v\nwant the changed files %v", order, diff)
	}
	end := map[dist.Phase]int{} // K after the last upload of each phase
	for i, key := range order {
		p := dist.RuleFor(key).Phase
		if i > 0 && p < dist.RuleFor(order[i-1]).Phase {
			t.Fatalf("upload %d (%s) is of an earlier phase than upload %d", i+1, key, i)
		}
		end[p] = i + 1
	}
	for _, p := range []dist.Phase{dist.PhaseBlob, dist.PhaseLeaf, dist.PhaseRoot, dist.PhaseTUF, dist.PhaseTimestamp} {
		if _, ok := end[p]; !ok {
			t.Fatalf("no upload of phase %d in %v", p, order)
		}
	}
	// Real clients run at the end of every phase and at every K inside
	// the roots of trust.
	clientKs := map[int]bool{end[dist.PhaseBlob]: true, end[dist.PhaseTUF]: true, n: true}
	for k := end[dist.PhaseLeaf]; k <= end[dist.PhaseRoot]; k++ {
		clientKs[k] = true
	}
	// Clients install the new packages after the rerun at three of them.
	newClientKs := map[int]bool{end[dist.PhaseBlob]: true, end[dist.PhaseRoot] - 1: true, n: true}
	t.Logf("%d uploads: blobs to K=%d, index leaves to %d, roots of trust to %d (%v), TUF roles to %d, timestamp %d",
		n, end[dist.PhaseBlob], end[dist.PhaseLeaf], end[dist.PhaseRoot], order[end[dist.PhaseLeaf]:end[dist.PhaseRoot]], end[dist.PhaseTUF], n)

	// The TUF targets: an old and a new file of each format, the roots of
	// trust and pages.
	added := map[string]string{}
	for k := range v2Files {
		if _, ok := v1Files[k]; !ok && dist.RuleFor(k).Phase == dist.PhaseBlob && path.Ext(k) != ".metadata" {
			added[path.Ext(k)] = k
		}
	}
	if len(added) != 4 {
		t.Fatalf("new artifacts in v2: %v, want one .deb, .rpm, .whl and .tgz", added)
	}
	targets := []string{
		"apt/dists/stable/InRelease", "apt/pool/main/h/hello-stockpile_1.0.0-1_all.deb", added[".deb"],
		"yum/repodata/repomd.xml", "yum/Packages/h/hello-stockpile-1.0.0-1.noarch.rpm", added[".rpm"],
		"pypi/simple/index.html", "pypi/simple/stockpile-hello/index.html",
		"pypi/files/stockpile-hello/stockpile_hello-1.0.0-py3-none-any.whl", added[".whl"],
		"npm/stockpile-greeting/index.json", "npm/stockpile-greeting/-/stockpile-greeting-1.2.0.tgz", added[".tgz"],
	}
	for _, k := range targets {
		if _, ok := v2Files[k]; !ok {
			t.Fatalf("v2 has no %s", k)
		}
	}
	// A client that trusted v1's metadata before the publish began.
	seeded := t.TempDir()
	srv.serve(store1)
	for _, target := range targets[:2] {
		if _, err := tufclient.Get(ctx, tufclient.Options{URL: srv.URL, Root: rootJSON, Target: target, Out: filepath.Join(t.TempDir(), "out"), MetadataDir: seeded}); err != nil {
			t.Fatalf("get %s from v1: %v", target, err)
		}
	}

	clients := &faultsClients{
		url:     srv.URL,
		aptKey:  filepath.Join(v1, "apt", "key.gpg"),
		dnfKeys: []string{filepath.Join(v1, "yum", "key.asc"), filepath.Join(reg, "keys", "demo-packager.asc"), packagerKey},
		py:      py,
		tools:   tools,
	}
	var windows []string
	for k := 0; k <= n; k++ {
		t.Run(fmt.Sprintf("K=%d", k), func(t *testing.T) {
			dir := copyTree(t, store1)
			f := &faultStore{Store: publish.NewLocal(dir), after: k}
			_, err := publish.Publish(ctx, f, v2, opts)
			switch {
			case k < n && !errors.Is(err, errFaultInjected):
				t.Fatalf("publish failing after %d of %d uploads: %v", k, n, err)
			case k == n && err != nil:
				t.Fatalf("publish: %v", err)
			}
			if !slices.Equal(f.keys, order[:k]) {
				t.Fatalf("uploaded %v, want %v", f.keys, order[:k])
			}
			// The store holds v1 with the first K uploads of v2.
			served := faultsStoreFiles(t, dir)
			want := map[string]string{}
			for key, data := range v1Files {
				want[key] = data
			}
			for _, key := range order[:k] {
				want[key] = v2Files[key]
			}
			if diff := faultsDiffering(want, served); len(diff) > 0 {
				t.Fatalf("the store does not hold v1 and the first %d uploads of v2; these differ: %v", k, diff)
			}
			srv.serve(dir)

			// (1) TUF: the old or the new registry, whole.
			state, stateName := v1Files, "v1"
			switch served["tuf/timestamp.json"] {
			case v2Files["tuf/timestamp.json"]:
				state, stateName = v2Files, "v2"
			case v1Files["tuf/timestamp.json"]:
			default:
				t.Fatal("the store serves a timestamp of neither v1 nor v2")
			}
			// A client starting from the root alone fetches every target at
			// once; one that trusted v1 before the publish, one by one.
			type got struct {
				data []byte
				err  error
			}
			tmp := t.TempDir()
			getAll := func(name, meta string, concurrent bool) []got {
				res := make([]got, len(targets))
				var wg sync.WaitGroup
				for i, target := range targets {
					fetch := func() {
						out := filepath.Join(tmp, fmt.Sprintf("%s-%d", name, i))
						_, err := tufclient.Get(ctx, tufclient.Options{URL: srv.URL, Root: rootJSON, Target: target, Out: out, MetadataDir: meta})
						var data []byte
						if err == nil {
							data, err = os.ReadFile(out)
						}
						res[i] = got{data, err}
					}
					if !concurrent {
						fetch()
						continue
					}
					wg.Add(1)
					go func() { defer wg.Done(); fetch() }()
				}
				wg.Wait()
				return res
			}
			var first []got
			done := make(chan struct{})
			go func() { defer close(done); first = getAll("first", "", true) }()
			returning := getAll("returning", copyTree(t, seeded), false)
			<-done
			for name, results := range map[string][]got{"a new client": first, "a client that trusted v1": returning} {
				for i, r := range results {
					target := targets[i]
					wantData, listed := state[target]
					var verr *tufclient.VerifyError
					switch {
					case errors.As(r.err, &verr):
						t.Errorf("%s: get %s (%s): verification failed: %v", name, target, stateName, r.err)
					case listed && r.err != nil:
						t.Errorf("%s: get %s (%s): %v", name, target, stateName, r.err)
					case listed && string(r.data) != wantData:
						t.Errorf("%s: get %s: the bytes are not those of %s", name, target, stateName)
					case !listed && r.err == nil:
						t.Errorf("%s: get %s: found, but %s does not list it", name, target, stateName)
					}
				}
			}

			// (2) Real clients. The windows: two objects published one after
			// the other but read together, one of v1 and one of v2.
			mixed := func(a, b string) bool { return (served[a] == v2Files[a]) != (served[b] == v2Files[b]) }
			yumMix := mixed("yum/repodata/repomd.xml", "yum/repodata/repomd.xml.asc")
			aptMix := mixed("apt/dists/stable/Release", "apt/dists/stable/Release.gpg")
			if good := faultsVerifiesDetached(t, clients.aptKey, []byte(served["apt/dists/stable/Release"]), []byte(served["apt/dists/stable/Release.gpg"])); good == aptMix {
				t.Errorf("Release.gpg verifies: %v; the store holds a mix of Release and Release.gpg: %v", good, aptMix)
			}
			if yumMix || aptMix {
				windows = append(windows, fmt.Sprintf("K=%d: %s", k, order[k-1]))
			}
			if clientKs[k] {
				t.Run("old packages", func(t *testing.T) {
					faultsRunClients(t, clients, faultsWant{
						apt: "hello-stockpile", aptLegacyFails: aptMix,
						dnf: "hello-stockpile", dnfFails: yumMix,
						pip: "stockpile-hello==1.0.0", pipFile: "stockpile_hello-1.0.0-py3-none-any.whl",
						npm: "stockpile-greeting@1.2.0", npmVersion: "1.2.0",
					})
				})
			}

			// (3) Publishing again completes the store; the interrupted
			// publish gave its lock back.
			if code, _, stderr := stockpile(t, nil, "publish", v2, "--to", dir); code != 0 {
				t.Fatalf("publish again: exit %d\n%s", code, stderr)
			}
			if _, err := os.Stat(filepath.Join(dir, ".stockpile", "lock")); err == nil {
				t.Error("the publish left its lock behind")
			}
			served = faultsStoreFiles(t, dir)
			for key, data := range v2Files {
				if served[key] != data {
					t.Errorf("after publishing again, %s does not hold its v2 bytes", key)
				}
			}
			for key, data := range v1Files {
				if _, ok := v2Files[key]; !ok && served[key] != data {
					t.Errorf("after publishing again, %s, which left the tree, is gone inside the grace period", key)
				}
			}
			if newClientKs[k] {
				for key, data := range v2Files {
					if body := faultsHTTPGet(t, srv.URL, key); body != data {
						t.Errorf("after publishing again, GET /%s does not answer its v2 bytes", key)
					}
				}
				t.Run("new packages", func(t *testing.T) {
					faultsRunClients(t, clients, faultsWant{
						apt: "faults-probe", dnf: "faults-probe",
						pip: "stockpile-hello", pipFile: path.Base(added[".whl"]),
						npm: "stockpile-greeting", npmVersion: "1.3.0",
					})
				})
			}
		})
	}
	t.Logf("windows where two objects read together were a mix of v1 and v2: %v", windows)
	t.Logf("publishes stopped after K=0..%d uploads; real clients at K in %v, new packages after the rerun at %v; in %s",
		n, faultsSortedKeys(clientKs), faultsSortedKeys(newClientKs), time.Since(start).Round(time.Second))
}

// faultsWant is what each client installs, and whether it is expected to
// fail: only inside the window of a mixed signed pair.
type faultsWant struct {
	apt            string
	aptLegacyFails bool // apt reading Release and Release.gpg instead of InRelease
	dnf            string
	dnfFails       bool
	pip, pipFile   string
	npm            string
	npmVersion     string
}

// What apt and dnf say of a signature that does not match its file.
var (
	faultsAptBadSig = regexp.MustCompile(`.*BADSIG.*`)
	faultsDNFBadSig = regexp.MustCompile(`.*Bad GPG signature.*`)
)

func faultsRunClients(t *testing.T, c *faultsClients, want faultsWant) {
	// check fails the test unless the client failed exactly when expected,
	// saying why (badSig) when it did.
	check := func(t *testing.T, what string, shouldFail bool, badSig *regexp.Regexp, log string, err error) {
		t.Helper()
		switch {
		case shouldFail && err == nil:
			t.Errorf("%s succeeded although the store holds a mixed signed pair\n%s", what, log)
		case shouldFail && !badSig.MatchString(log):
			t.Errorf("%s failed in the window, but not for the signature (want %q): %v\n%s", what, badSig, err, log)
		case shouldFail:
			t.Logf("%s failed in the window, as expected: %v: %s", what, err, strings.TrimSpace(badSig.FindString(log)))
		case err != nil:
			t.Errorf("%s: %v\n%s", what, err, log)
		}
	}
	t.Run("apt", func(t *testing.T) {
		t.Parallel()
		log, err := c.apt(t, "/apt/", want.apt)
		check(t, "apt-get "+want.apt, false, nil, log, err)
		log, err = c.apt(t, "/no-inrelease/apt/", want.apt)
		check(t, "apt-get "+want.apt+" without InRelease", want.aptLegacyFails, faultsAptBadSig, log, err)
	})
	t.Run("dnf", func(t *testing.T) {
		t.Parallel()
		log, err := c.dnf(t, want.dnf)
		check(t, "dnf install "+want.dnf, want.dnfFails, faultsDNFBadSig, log, err)
	})
	t.Run("pip", func(t *testing.T) {
		t.Parallel()
		name, log, err := c.pip(t, want.pip)
		check(t, "pip download "+want.pip, false, nil, log, err)
		if err == nil && name != want.pipFile {
			t.Errorf("pip download %s saved %q, want %s", want.pip, name, want.pipFile)
		}
	})
	t.Run("npm", func(t *testing.T) {
		t.Parallel()
		version, log, err := c.npm(t, want.npm)
		check(t, "npm install "+want.npm, false, nil, log, err)
		if err == nil && version != want.npmVersion {
			t.Errorf("npm install %s installed %q, want %s", want.npm, version, want.npmVersion)
		}
	})
}

// faultsHTTPGet returns the body the server answers for a tree key, or "".
func faultsHTTPGet(t *testing.T, base, key string) string {
	t.Helper()
	res, err := http.Get(base + (&url.URL{Path: "/" + key}).EscapedPath())
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil || res.StatusCode != http.StatusOK {
		return ""
	}
	return string(body)
}

// faultsDiffering returns the keys whose values differ between a and b, or that
// only one of them has.
func faultsDiffering(a, b map[string]string) []string {
	var out []string
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			out = append(out, k)
		}
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

func faultsSorted(s []string) []string {
	out := slices.Clone(s)
	sort.Strings(out)
	return out
}

func faultsSortedKeys(m map[int]bool) []int {
	var out []int
	for k := range m {
		out = append(out, k)
	}
	sort.Ints(out)
	return out
}

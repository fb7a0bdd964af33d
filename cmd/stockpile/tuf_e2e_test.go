package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/theupdateframework/go-tuf/v2/metadata"

	"github.com/stockpile/stockpile/dist"
	"github.com/stockpile/stockpile/signing/tuf"
)

// tufJS is tuf-js, an independent TUF client, as .ci/run installs it under
// .ci/tools/tufjs (or STOCKPILE_JS_TOOLS/tufjs).
type tufJS struct {
	node string
	dir  string // holds node_modules/tuf-js
}

func findTUFJS(t *testing.T) *tufJS {
	t.Helper()
	node := requireTool(t, "node")
	dir := os.Getenv("STOCKPILE_JS_TOOLS")
	if dir == "" {
		dir = filepath.Join("..", "..", ".ci", "tools")
	}
	dir, _ = filepath.Abs(filepath.Join(dir, "tufjs"))
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "tuf-js", "package.json")); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("tuf-js is required in CI but not installed under %s (.ci/run installs it)", dir)
		}
		t.Skipf("tuf-js not installed under %s", dir)
	}
	return &tufJS{node: node, dir: dir}
}

// tufJSResult is one line printed by testdata/tufjs/get.js.
type tufJSResult struct {
	Target  string `json:"target"`
	OK      bool   `json:"ok"`
	SHA256  string `json:"sha256"`
	Length  int64  `json:"length"`
	Error   string `json:"error"` // the tuf-js error class
	Message string `json:"message"`
}

// get downloads targets with tuf-js, keeping its trusted metadata in
// metaDir (seeded with root on first use).
func (js *tufJS) get(t *testing.T, root, metaDir, url string, targets ...string) []tufJSResult {
	t.Helper()
	script, _ := filepath.Abs(filepath.Join("testdata", "tufjs", "get.js"))
	cmd := exec.Command(js.node, append([]string{script, js.dir, root, metaDir, url}, targets...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node get.js: %v\n%s", err, stderr.String())
	}
	var res []tufJSResult
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		var r tufJSResult
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("get.js printed %q: %v", line, err)
		}
		res = append(res, r)
	}
	if len(res) != len(targets) {
		t.Fatalf("get.js printed %d results for %d targets:\n%s", len(res), len(targets), out)
	}
	return res
}

// stockpileAt runs the command at the given time and fails unless it exits 0.
func stockpileAt(t *testing.T, when time.Time, args ...string) {
	t.Helper()
	if code, _, stderr := stockpile(t, at(when), args...); code != 0 {
		t.Fatalf("stockpile %s: exit %d\n%s", strings.Join(args, " "), code, stderr)
	}
}

// tufServer serves a tree as `stockpile serve` does and records the paths
// clients asked for.
type tufServer struct {
	*httptest.Server
	mu    sync.Mutex
	paths []string
}

func serveTUFTree(t *testing.T, dir string) *tufServer {
	t.Helper()
	s := &tufServer{}
	h := dist.Handler(dir)
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.paths = append(s.paths, r.URL.Path)
		s.mu.Unlock()
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *tufServer) requested(p string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, q := range s.paths {
		if q == "/"+p {
			return true
		}
	}
	return false
}

func tufCopyTree(t *testing.T, src string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), filepath.Base(src))
	if b, err := exec.Command("cp", "-a", src, dst).CombinedOutput(); err != nil {
		t.Fatalf("cp %s: %v\n%s", src, err, b)
	}
	return dst
}

func tufReadFile(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func tufWriteFile(t *testing.T, p string, data []byte) {
	t.Helper()
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func tufLoadKey(t *testing.T, p string) signature.Signer {
	t.Helper()
	s, err := tuf.ParsePrivateKey(tufReadFile(t, p))
	if err != nil {
		t.Fatalf("%s: %v", p, err)
	}
	return s
}

// tufNewKey makes a fresh Ed25519 key.
func tufNewKey(t *testing.T) signature.Signer {
	t.Helper()
	pem, err := tuf.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	s, err := tuf.ParsePrivateKey(pem)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func tufPublicKey(t *testing.T, s signature.Signer) *metadata.Key {
	t.Helper()
	k, _, err := tuf.PublicKey(s)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// tufResignTimestamp rewrites a published timestamp with another version, signed
// by sg, as someone holding sg could.
func tufResignTimestamp(t *testing.T, data []byte, version int64, sg signature.Signer) []byte {
	t.Helper()
	ts, err := metadata.Timestamp().FromBytes(data)
	if err != nil {
		t.Fatal(err)
	}
	ts.Signed.Version = version
	ts.Signatures = nil
	if _, err := ts.Sign(sg); err != nil {
		t.Fatal(err)
	}
	out, err := ts.ToBytes(false)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// tufMetaVersion is the version of role (e.g. "snapshot.json", "apt.json") that
// a built tree's timestamp or snapshot names.
func tufMetaVersion(t *testing.T, tree, role string) int64 {
	t.Helper()
	ts, err := metadata.Timestamp().FromBytes(tufReadFile(t, filepath.Join(tree, "tuf", "timestamp.json")))
	if err != nil {
		t.Fatal(err)
	}
	snapV := ts.Signed.Meta["snapshot.json"].Version
	if role == "snapshot.json" {
		return snapV
	}
	snap, err := metadata.Snapshot().FromBytes(tufReadFile(t, filepath.Join(tree, "tuf", fmt.Sprintf("%d.snapshot.json", snapV))))
	if err != nil {
		t.Fatal(err)
	}
	if snap.Signed.Meta[role] == nil {
		t.Fatalf("%s: the snapshot lists no %s", tree, role)
	}
	return snap.Signed.Meta[role].Version
}

// tufRotate replaces the keys of each named role of the registry in reg
// with `stockpile keys rotate` (one root version each, signed by the old and
// new root keys), points repos.yaml at the new keys, and returns the
// replaced signers by role.
func tufRotate(t *testing.T, reg string, now time.Time, roles ...string) map[string]signature.Signer {
	t.Helper()
	old := map[string]signature.Signer{}
	conf := filepath.Join(reg, "repos.yaml")
	for _, role := range roles {
		oldRef, newRef := ".stockpile/keys/tuf-"+role+".pem", ".stockpile/keys/tuf-"+role+"-2.pem"
		old[role] = tufLoadKey(t, filepath.Join(reg, filepath.FromSlash(oldRef)))
		stockpileAt(t, now, "keys", "rotate", role, "--key", newRef, "-C", reg)
		yml := tufReadFile(t, conf)
		if n := bytes.Count(yml, []byte(oldRef+"]")); n != 1 {
			t.Fatalf("repos.yaml names %s %d times", oldRef, n)
		}
		tufWriteFile(t, conf, bytes.Replace(yml, []byte(oldRef+"]"), []byte(newRef+"]"), 1))
	}
	return old
}

// tufRegistry is the example registry with a first root made at now, so
// that it is valid while the test runs.
func tufRegistry(t *testing.T, now time.Time) string {
	t.Helper()
	reg := exampleRegistry(t)
	for _, p := range []string{tuf.RootFile, tuf.RootPath(1)} {
		if err := os.Remove(filepath.Join(reg, filepath.FromSlash(p))); err != nil && !errors.Is(err, fs.ErrNotExist) {
			t.Fatal(err)
		}
	}
	stockpileAt(t, now, "keys", "create", "--if-missing", "-C", reg)
	return reg
}

// tufGet runs `stockpile get` and returns its exit code, stderr and the
// bytes written.
func tufGet(t *testing.T, root, metaDir, url, target string) (int, string, []byte) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "out")
	code, _, stderr := stockpile(t, nil, "get", "--root", root, "--metadata-dir", metaDir, "-o", out, url, target)
	data, _ := os.ReadFile(out)
	return code, stderr, data
}

// The published metadata verifies with two independent TUF clients, go-tuf
// (`stockpile get`) and tuf-js, configured as docs/tuf.md says, and both
// refuse every attack TUF guards against, saying why.
func TestTUFClients(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test")
	}
	js := findTUFJS(t)
	now := time.Now().UTC().Truncate(time.Second)
	reg := tufRegistry(t, now)
	root := filepath.Join(reg, filepath.FromSlash(tuf.RootFile))
	built := filepath.Join(t.TempDir(), "public")
	stockpileAt(t, now, "build", "-C", reg, "-o", built)

	t.Run("targets", func(t *testing.T) {
		targets := []string{
			"index.html",
			"apt/dists/stable/InRelease",
			"apt/pool/main/h/hello-stockpile_1.0.0-1_all.deb",
			"yum/repodata/repomd.xml",
			"yum/Packages/h/hello-stockpile-1.0.0-1.noarch.rpm",
			"pypi/simple/stockpile-greeting/index.html",
			"pypi/files/stockpile-greeting/stockpile_greeting-1.2+demo-py3-none-any.whl",
			"npm/stockpile-greeting/index.json",
			"npm/@stockpile-demo/hello/-/hello-1.0.0.tgz",
		}
		// Indexes whose own path is content-addressed: fetched there.
		for _, pattern := range []string{"apt/dists/stable/main/binary-amd64/by-hash/SHA256/*", "yum/repodata/*-primary.xml.gz"} {
			m, _ := filepath.Glob(filepath.Join(built, filepath.FromSlash(pattern)))
			if len(m) == 0 {
				t.Fatalf("the build has no %s", pattern)
			}
			rel, _ := filepath.Rel(built, m[0])
			targets = append(targets, filepath.ToSlash(rel))
		}
		// Where a client must fetch each target: immutable files at their
		// own path, mutable ones at their hash-prefixed copy.
		fetchPath := func(target string) string {
			if dist.RuleFor(target).Immutable() {
				return target
			}
			return tuf.HashPrefixedPath(target, sha256Hex(tufReadFile(t, filepath.Join(built, target))))
		}
		t.Run("go-tuf", func(t *testing.T) {
			srv := serveTUFTree(t, built)
			meta := t.TempDir()
			for _, target := range targets {
				code, stderr, got := tufGet(t, root, meta, srv.URL, target)
				if code != 0 {
					t.Errorf("get %s: exit %d\n%s", target, code, stderr)
					continue
				}
				if want := tufReadFile(t, filepath.Join(built, target)); !bytes.Equal(got, want) {
					t.Errorf("get %s: %d bytes differ from the built file's %d", target, len(got), len(want))
				}
				if p := fetchPath(target); !srv.requested(p) {
					t.Errorf("get %s did not fetch /%s; asked for %q", target, p, srv.paths)
				}
			}
		})
		t.Run("tuf-js", func(t *testing.T) {
			srv := serveTUFTree(t, built)
			for _, r := range js.get(t, root, t.TempDir(), srv.URL, targets...) {
				if !r.OK {
					t.Errorf("tuf-js %s: %s: %s", r.Target, r.Error, r.Message)
					continue
				}
				if want := sha256Hex(tufReadFile(t, filepath.Join(built, r.Target))); r.SHA256 != want {
					t.Errorf("tuf-js %s: sha256 %s, want %s", r.Target, r.SHA256, want)
				}
				if p := fetchPath(r.Target); !srv.requested(p) {
					t.Errorf("tuf-js %s did not fetch /%s; asked for %q", r.Target, p, srv.paths)
				}
			}
		})
	})

	// Repositories above bins_above targets delegate to hashed bins
	// (succinct_roles), which both clients walk.
	t.Run("hashed bins", func(t *testing.T) {
		binReg := tufCopyTree(t, reg)
		conf := filepath.Join(binReg, "repos.yaml")
		yml := tufReadFile(t, conf)
		if !bytes.Contains(yml, []byte("\n  tuf:\n")) {
			t.Fatal("repos.yaml has no signing.tuf")
		}
		tufWriteFile(t, conf, bytes.Replace(yml, []byte("\n  tuf:\n"), []byte("\n  tuf:\n    bins_above: 4\n"), 1))
		binned := filepath.Join(t.TempDir(), "public")
		stockpileAt(t, now, "build", "-C", binReg, "-o", binned)
		if _, err := os.Stat(filepath.Join(binned, "tuf", "1.apt-bin-00.json")); err != nil {
			t.Fatalf("no hashed bins: %v", err)
		}
		srv := serveTUFTree(t, binned)
		targets := []string{"apt/dists/stable/InRelease", "npm/stockpile-greeting/-/stockpile-greeting-1.2.0.tgz"}
		meta := t.TempDir()
		for _, target := range targets {
			code, stderr, got := tufGet(t, root, meta, srv.URL, target)
			if code != 0 || !bytes.Equal(got, tufReadFile(t, filepath.Join(binned, target))) {
				t.Errorf("get %s: exit %d, %d bytes\n%s", target, code, len(got), stderr)
			}
		}
		for _, r := range js.get(t, root, t.TempDir(), srv.URL, targets...) {
			if !r.OK || r.SHA256 != sha256Hex(tufReadFile(t, filepath.Join(binned, r.Target))) {
				t.Errorf("tuf-js %s: ok %v, sha256 %s: %s: %s", r.Target, r.OK, r.SHA256, r.Error, r.Message)
			}
		}
	})

	// A store that answers 403 for a missing key (S3 without ListBucket)
	// would stop go-tuf's search for the next root; get reads that 403 as
	// the 404 it means, as tuf-js does.
	t.Run("403 for the next root", func(t *testing.T) {
		h := dist.Handler(built)
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if _, err := os.Stat(filepath.Join(built, filepath.FromSlash(r.URL.Path))); err != nil {
				http.Error(w, "AccessDenied", http.StatusForbidden)
				return
			}
			h.ServeHTTP(w, r)
		}))
		defer srv.Close()
		if code, stderr, _ := tufGet(t, root, t.TempDir(), srv.URL, "index.html"); code != exitOK {
			t.Errorf("get behind a 403 store = exit %d, want 0:\n%s", code, stderr)
		}
		if r := js.get(t, root, t.TempDir(), srv.URL, "index.html")[0]; !r.OK {
			t.Errorf("tuf-js behind a 403 store: %s: %s", r.Error, r.Message)
		}
	})

	// Later builds continuing from the first: four days on, the timestamp
	// and snapshot are re-signed one version up.
	later := tufCopyTree(t, built)
	stockpileAt(t, now.Add(96*time.Hour), "build", "-C", reg, "-o", later)
	if v := tufMetaVersion(t, later, "snapshot.json"); v != 2 {
		t.Fatalf("the later build names snapshot version %d, want 2", v)
	}
	// A build two days old: its one-day timestamp has expired.
	stale := filepath.Join(t.TempDir(), "stale")
	stockpileAt(t, now.Add(-48*time.Hour), "build", "-C", reg, "-o", stale)
	// A registry whose root rotated the root and timestamp keys, rebuilt
	// from the first build's state.
	rotReg := tufCopyTree(t, reg)
	oldKeys := tufRotate(t, rotReg, now, metadata.ROOT, metadata.TIMESTAMP)
	rotated := tufCopyTree(t, built)
	stockpileAt(t, now, "build", "-C", rotReg, "-o", rotated)
	newest := tuf.RootPath(3)
	if _, err := os.Stat(filepath.Join(rotated, filepath.FromSlash(newest))); err != nil {
		t.Fatalf("the rotated build lacks its newest root: %v", err)
	}
	tsKey := tufLoadKey(t, filepath.Join(reg, ".stockpile", "keys", "tuf-timestamp.pem"))
	tsPath := filepath.FromSlash(tuf.TimestampPath)

	cases := []struct {
		name   string
		target string
		// before is the tree the clients first fetch from, so that they
		// trust its metadata; "" for a client that starts from the root.
		before string
		// attack returns a copy of a built tree, tampered with.
		attack func(t *testing.T) string
		goErr  string // in the message of `get`; %URL% is the server's
		jsErr  string // the tuf-js error class
		jsMsg  string // in the tuf-js message
	}{{
		name:   "tampered target",
		target: "apt/pool/main/h/hello-stockpile_1.0.0-1_all.deb",
		attack: func(t *testing.T) string {
			dir := tufCopyTree(t, built)
			p := filepath.Join(dir, "apt/pool/main/h/hello-stockpile_1.0.0-1_all.deb")
			b := tufReadFile(t, p)
			b[len(b)/2] ^= 0xff
			tufWriteFile(t, p, b)
			return dir
		},
		goErr: "length/hash verification error: hash verification failed",
		jsErr: "LengthOrHashMismatchError",
		jsMsg: "Expected hash",
	}, {
		name:   "tampered index",
		target: "apt/dists/stable/InRelease",
		attack: func(t *testing.T) string {
			dir := tufCopyTree(t, built)
			p := filepath.Join(dir, "apt/dists/stable/InRelease")
			hashed := filepath.Join(dir, filepath.FromSlash(tuf.HashPrefixedPath("apt/dists/stable/InRelease", sha256Hex(tufReadFile(t, p)))))
			b := tufReadFile(t, hashed)
			b[len(b)/2] ^= 0x01
			tufWriteFile(t, hashed, b)
			return dir
		},
		goErr: "length/hash verification error: hash verification failed",
		jsErr: "LengthOrHashMismatchError",
		jsMsg: "Expected hash",
	}, {
		name:   "rollback of the timestamp",
		target: "index.html",
		before: later,
		attack: func(t *testing.T) string { return tufCopyTree(t, built) },
		goErr:  "new timestamp version 1 must be >= 2",
		jsErr:  "BadVersionError",
		jsMsg:  "New timestamp version 1 is less than current version 2",
	}, {
		name:   "rollback of the snapshot",
		target: "index.html",
		before: later,
		attack: func(t *testing.T) string {
			// A newer timestamp, properly signed, naming the old snapshot.
			dir := tufCopyTree(t, built)
			tufWriteFile(t, filepath.Join(dir, tsPath), tufResignTimestamp(t, tufReadFile(t, filepath.Join(dir, tsPath)), 3, tsKey))
			return dir
		},
		goErr: "new snapshot version 1 must be >= 2",
		jsErr: "BadVersionError",
		jsMsg: "New snapshot version 1 is less than current version 2",
	}, {
		name:   "expired timestamp (freeze)",
		target: "index.html",
		attack: func(t *testing.T) string { return tufCopyTree(t, stale) },
		goErr:  "expired metadata error: timestamp.json is expired",
		jsErr:  "ExpiredMetadataError",
		jsMsg:  "Final timestamp.json is expired",
	}, {
		name:   "role from another build (mix-and-match)",
		target: "apt/dists/stable/InRelease",
		attack: func(t *testing.T) string {
			dir := tufCopyTree(t, built)
			v := tufMetaVersion(t, later, "apt.json")
			if v == tufMetaVersion(t, built, "apt.json") {
				t.Fatalf("the later build kept apt version %d; the case needs another", v)
			}
			other := tufReadFile(t, filepath.Join(later, "tuf", fmt.Sprintf("%d.apt.json", v)))
			tufWriteFile(t, filepath.Join(dir, "tuf", fmt.Sprintf("%d.apt.json", tufMetaVersion(t, built, "apt.json"))), other)
			return dir
		},
		goErr: "expected apt version 1, got 2",
		jsErr: "RuntimeError", // tuf-js wraps the BadVersionError of a targets role
		jsMsg: "Version 2 of apt does not match snapshot version 1",
	}, {
		name:   "timestamp signed by an unknown key",
		target: "index.html",
		attack: func(t *testing.T) string {
			dir := tufCopyTree(t, built)
			tufWriteFile(t, filepath.Join(dir, tsPath), tufResignTimestamp(t, tufReadFile(t, filepath.Join(dir, tsPath)), 2, tufNewKey(t)))
			return dir
		},
		goErr: "unsigned metadata error: Verifying timestamp failed, not enough signatures",
		jsErr: "UnsignedMetadataError",
		jsMsg: "timestamp was signed by 0/1 keys",
	}, {
		name:   "oversized timestamp (endless data)",
		target: "index.html",
		attack: func(t *testing.T) string {
			// Still validly signed: the padding is outside the signed JSON.
			dir := tufCopyTree(t, built)
			b := append(tufReadFile(t, filepath.Join(dir, tsPath)), bytes.Repeat([]byte(" "), 16<<10)...)
			tufWriteFile(t, filepath.Join(dir, tsPath), b)
			return dir
		},
		goErr: "download length mismatch error: download failed for %URL%/tuf/timestamp.json",
		jsErr: "DownloadLengthMismatchError",
		jsMsg: "Max length reached",
	}, {
		name:   "oversized targets role (endless data)",
		target: "apt/dists/stable/InRelease",
		attack: func(t *testing.T) string {
			dir := tufCopyTree(t, built)
			p := filepath.Join(dir, "tuf", fmt.Sprintf("%d.apt.json", tufMetaVersion(t, built, "apt.json")))
			tufWriteFile(t, p, append(tufReadFile(t, p), bytes.Repeat([]byte(" "), 5_000_001)...))
			return dir
		},
		goErr: "download length mismatch error: download failed for %URL%/tuf/1.apt.json",
		jsErr: "RuntimeError", // tuf-js wraps the DownloadLengthMismatchError of a targets role
		jsMsg: "Max length reached",
	}, {
		name:   "old timestamp key after rotation",
		target: "index.html",
		before: rotated,
		attack: func(t *testing.T) string {
			dir := tufCopyTree(t, rotated)
			p := filepath.Join(dir, tsPath)
			ts, err := metadata.Timestamp().FromBytes(tufReadFile(t, p))
			if err != nil {
				t.Fatal(err)
			}
			tufWriteFile(t, p, tufResignTimestamp(t, tufReadFile(t, p), ts.Signed.Version+1, oldKeys[metadata.TIMESTAMP]))
			return dir
		},
		goErr: "unsigned metadata error: Verifying timestamp failed, not enough signatures",
		jsErr: "UnsignedMetadataError",
		jsMsg: "timestamp was signed by 0/1 keys",
	}, {
		name:   "old root key after rotation",
		target: "index.html",
		before: rotated,
		attack: func(t *testing.T) string {
			// The next root, signed by the old root key only, trusting the
			// old keys again.
			dir := tufCopyTree(t, rotated)
			prev, err := tuf.ParseRoot(tufReadFile(t, filepath.Join(dir, filepath.FromSlash(newest))))
			if err != nil {
				t.Fatal(err)
			}
			evil, err := tuf.ParseRoot(tufReadFile(t, filepath.Join(dir, filepath.FromSlash(newest))))
			if err != nil {
				t.Fatal(err)
			}
			evil.Signed.Version++
			evil.Signatures = nil
			for _, role := range []string{metadata.ROOT, metadata.TIMESTAMP} {
				if err := tuf.SetRoleKeys(&evil.Signed, role, []*metadata.Key{tufPublicKey(t, oldKeys[role])}, 1); err != nil {
					t.Fatal(err)
				}
			}
			if n, err := tuf.SignRoot(evil, prev, []signature.Signer{oldKeys[metadata.ROOT]}); err != nil || n != 1 {
				t.Fatalf("sign root 3: %d signatures, %v", n, err)
			}
			data, err := evil.ToBytes(false)
			if err != nil {
				t.Fatal(err)
			}
			tufWriteFile(t, filepath.Join(dir, filepath.FromSlash(tuf.RootPath(evil.Signed.Version))), data)
			p := filepath.Join(dir, tsPath)
			tufWriteFile(t, p, tufResignTimestamp(t, tufReadFile(t, p), 100, oldKeys[metadata.TIMESTAMP]))
			return dir
		},
		goErr: "unsigned metadata error: Verifying root failed, not enough signatures",
		jsErr: "UnsignedMetadataError",
		jsMsg: "root was signed by 0/1 keys",
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			attacked := serveTUFTree(t, tc.attack(t))
			var before *tufServer
			if tc.before != "" {
				before = serveTUFTree(t, tc.before)
			}
			t.Run("go-tuf", func(t *testing.T) {
				meta := t.TempDir()
				if before != nil {
					if code, stderr, _ := tufGet(t, root, meta, before.URL, tc.target); code != 0 {
						t.Fatalf("get %s before the attack: exit %d\n%s", tc.target, code, stderr)
					}
				}
				code, stderr, got := tufGet(t, root, meta, attacked.URL, tc.target)
				t.Logf("get: exit %d: %s", code, strings.TrimSpace(stderr))
				want := strings.ReplaceAll(tc.goErr, "%URL%", attacked.URL)
				if code != exitVerifyFail || !strings.Contains(stderr, want) {
					t.Errorf("get %s = exit %d, want %d with %q in\n%s", tc.target, code, exitVerifyFail, want, stderr)
				}
				if got != nil {
					t.Errorf("get %s wrote %d bytes despite the failure", tc.target, len(got))
				}
			})
			t.Run("tuf-js", func(t *testing.T) {
				meta := t.TempDir()
				if before != nil {
					if r := js.get(t, root, meta, before.URL, tc.target)[0]; !r.OK {
						t.Fatalf("tuf-js %s before the attack: %s: %s", tc.target, r.Error, r.Message)
					}
				}
				r := js.get(t, root, meta, attacked.URL, tc.target)[0]
				t.Logf("tuf-js: %s: %s", r.Error, r.Message)
				if r.OK || r.Error != tc.jsErr || !strings.Contains(r.Message, tc.jsMsg) {
					t.Errorf("tuf-js %s = ok %v, %s: %q; want %s with %q", tc.target, r.OK, r.Error, r.Message, tc.jsErr, tc.jsMsg)
				}
			})
		})
	}
}

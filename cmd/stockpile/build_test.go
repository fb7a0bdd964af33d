package main

import (
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stockpile/stockpile/dist"
)

// exampleRegistry copies this repository's own example registry (repos.yaml,
// manifests, blobs) into a temporary folder with a fresh development key.
func exampleRegistry(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "registry")
	os.MkdirAll(dir, 0o755)
	for _, p := range []string{"repos.yaml", "packages", "blobs", "keys"} {
		if b, err := exec.Command("cp", "-a", filepath.Join("..", "..", p), dir).CombinedOutput(); err != nil {
			t.Fatalf("cp %s: %v\n%s", p, err, b)
		}
	}
	mustStockpile(t, "keys", "create", "-C", dir)
	return dir
}

// treeFiles returns every file of a built tree with its bytes.
func treeFiles(t *testing.T, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		files[filepath.ToSlash(rel)] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func git(t *testing.T, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.org", "GIT_COMMITTER_NAME=t",
		"GIT_COMMITTER_EMAIL=t@example.org", "GIT_AUTHOR_DATE=2024-01-02T03:04:05Z", "GIT_COMMITTER_DATE=2024-01-02T03:04:05Z")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, b)
	}
}

// The same commit gives a byte-identical tree, whether built from the working
// tree or from a bare clone with --ref, and whatever is cached.
func TestBuildDeterministicFromGit(t *testing.T) {
	requireTool(t, "git")
	reg := exampleRegistry(t)
	git(t, reg, "init", "-q", "-b", "main")
	git(t, reg, "add", "-A")
	git(t, reg, "commit", "-q", "-m", "example registry")
	bare := filepath.Join(t.TempDir(), "bare.git")
	git(t, reg, "clone", "-q", "--bare", reg, bare)

	work := filepath.Join(t.TempDir(), "work")
	mustStockpile(t, "build", "-C", reg, "-o", work)
	fromGit := filepath.Join(t.TempDir(), "git")
	// A bare repository holds no private keys (they are Git-ignored): put
	// the working tree's development keys beside it.
	os.MkdirAll(filepath.Join(bare, ".stockpile/keys"), 0o755)
	names, _ := filepath.Glob(filepath.Join(reg, ".stockpile/keys/*"))
	for _, p := range names {
		name := filepath.Base(p)
		key, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(bare, ".stockpile/keys", name), key, 0o600)
	}
	mustStockpile(t, "build", "-C", bare, "--ref", "main", "-o", fromGit, "--cache-dir", filepath.Join(t.TempDir(), "cache"))

	a, b := treeFiles(t, work), treeFiles(t, fromGit)
	if len(a) == 0 || len(a) != len(b) {
		t.Fatalf("trees differ in size: %d files from the working tree, %d from Git", len(a), len(b))
	}
	for name, data := range a {
		if b[name] != data {
			t.Errorf("%s differs between the working-tree build and the --ref build", name)
		}
	}

	// Rebuilding into the same folder writes nothing.
	_, _, stderr := stockpile(t, nil, "build", "-C", reg, "-o", work)
	if !strings.Contains(stderr, " 0 written") {
		t.Errorf("rebuild rewrote files:\n%s", stderr)
	}
}

func TestBuildHashMismatch(t *testing.T) {
	reg := exampleRegistry(t)
	blob := filepath.Join(reg, "blobs/apt/hello-stockpile_1.0.0-1_all.deb")
	data, err := os.ReadFile(blob)
	if err != nil {
		t.Fatal(err)
	}
	data[len(data)-1] ^= 0xff
	os.WriteFile(blob, data, 0o644)
	code, _, stderr := stockpile(t, nil, "build", "-C", reg, "-o", filepath.Join(t.TempDir(), "out"))
	if code != exitVerifyFail {
		t.Fatalf("build with a tampered blob: exit %d, want %d\n%s", code, exitVerifyFail, stderr)
	}
	manifest, _ := os.ReadFile(filepath.Join(reg, "packages/apt/hello-stockpile_1.0.0-1_all.deb.yaml"))
	want := strings.TrimPrefix(strings.Split(string(manifest), "\n")[1], "sha256: ")
	for _, s := range []string{"packages/apt/hello-stockpile_1.0.0-1_all.deb.yaml:2", want, sha256Hex(data)} {
		if !strings.Contains(stderr, s) {
			t.Errorf("error does not mention %q:\n%s", s, stderr)
		}
	}
}

func TestAddRefusesOtherBytes(t *testing.T) {
	reg := exampleRegistry(t)
	other := filepath.Join(t.TempDir(), "hello-stockpile_1.0.0-1_all.deb")
	data, _ := os.ReadFile(filepath.Join(reg, "blobs/apt/stockpile-greeting_1.2+demo-1_all.deb"))
	os.WriteFile(other, data, 0o644)
	code, _, stderr := stockpile(t, nil, "add", "-C", reg, other)
	if code == 0 || !strings.Contains(stderr, "published artifacts never change") {
		t.Fatalf("add of other bytes under a listed name: exit %d\n%s", code, stderr)
	}
	// The same bytes again are fine.
	same := filepath.Join(reg, "blobs/apt/hello-stockpile_1.0.0-1_all.deb")
	if code, _, stderr := stockpile(t, nil, "add", "-C", reg, same); code != 0 {
		t.Fatalf("add of the same bytes: exit %d\n%s", code, stderr)
	}
}

// The example registry of this repository, as `make demo` builds it, is one
// apt-get installs from with signature checking on.
func TestDemoRegistryInstalls(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test")
	}
	requireTool(t, "apt-get")
	reg := exampleRegistry(t)
	out := filepath.Join(t.TempDir(), "public")
	mustStockpile(t, "build", "-C", reg, "-o", out)
	srv := httptest.NewServer(dist.Handler(out))
	defer srv.Close()
	apt := newAptClient(t, srv.URL+"/apt/", filepath.Join(out, "apt/key.gpg"))
	if log, err := apt.run("update"); err != nil {
		t.Fatalf("apt-get update: %v\n%s", err, log)
	}
	if log, err := apt.run("install", "-y", "--download-only", "hello-stockpile", "stockpile-tools"); err != nil {
		t.Fatalf("apt-get install: %v\n%s", err, log)
	}
	for _, want := range []string{"hello-stockpile_1.0.0-1_all.deb", "stockpile-greeting_1%3a1.2+demo-1_all.deb", "stockpile-tools_2.0~beta1-1_amd64.deb"} {
		if _, err := os.Stat(filepath.Join(apt.root, "cache/archives", want)); err != nil {
			t.Errorf("apt-get did not download %s", want)
		}
	}
}

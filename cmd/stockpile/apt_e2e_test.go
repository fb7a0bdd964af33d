package main

import (
	"bytes"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/ulikunitz/xz"

	"github.com/stockpile/stockpile/dist"
	"github.com/stockpile/stockpile/signing"
)

// debSpec is a package the test builds with the real dpkg-deb.
type debSpec struct {
	file, pkg, version, arch, depends string
}

var e2eDebs = []debSpec{
	{"hello_1.0-1_amd64.deb", "hello", "1.0-1", "amd64", "libgreet (>= 2:1.2)"},
	{"libgreet_1.2+dfsg-1_amd64.deb", "libgreet", "2:1.2+dfsg-1", "amd64", ""},
	{"libgreet_1.2+dfsg-1_arm64.deb", "libgreet", "2:1.2+dfsg-1", "arm64", ""},
	{"greet-data_3.0~rc1-1_all.deb", "greet-data", "3.0~rc1-1", "all", ""},
}

func buildDeb(t *testing.T, dir string, s debSpec) string {
	t.Helper()
	root := filepath.Join(dir, "src-"+s.pkg+"-"+s.arch)
	os.MkdirAll(filepath.Join(root, "DEBIAN"), 0o755)
	os.MkdirAll(filepath.Join(root, "usr/share/doc", s.pkg), 0o755)
	control := fmt.Sprintf("Package: %s\nVersion: %s\nArchitecture: %s\nMaintainer: Test <test@example.org>\nSection: misc\nPriority: optional\n", s.pkg, s.version, s.arch)
	if s.depends != "" {
		control += "Depends: " + s.depends + "\n"
	}
	control += "Description: test package " + s.pkg + "\n Built by the end-to-end test.\n"
	os.WriteFile(filepath.Join(root, "DEBIAN/control"), []byte(control), 0o644)
	os.WriteFile(filepath.Join(root, "usr/share/doc", s.pkg, "README"), []byte("hello from "+s.pkg+"\n"), 0o644)
	out := filepath.Join(dir, s.file)
	cmd := exec.Command("dpkg-deb", "--root-owner-group", "-Zgzip", "--build", root, out)
	cmd.Env = append(os.Environ(), "SOURCE_DATE_EPOCH=1700000000")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("dpkg-deb: %v\n%s", err, b)
	}
	return out
}

// aptClient is a private apt configuration: nothing of the machine's own apt
// state is read or changed, and signatures are checked against signed-by.
type aptClient struct {
	t    *testing.T
	root string
}

func newAptClient(t *testing.T, repoURL, keyFile string) *aptClient {
	t.Helper()
	root, err := os.MkdirTemp("", "stockpile-apt-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(root) })
	os.Chmod(root, 0o755) // apt's download user must reach the files
	for _, d := range []string{"etc/apt.conf.d", "etc/sources.list.d", "etc/preferences.d", "etc/trusted.gpg.d", "state/lists/partial", "cache/archives/partial", "log"} {
		os.MkdirAll(filepath.Join(root, d), 0o755)
	}
	os.WriteFile(filepath.Join(root, "status"), nil, 0o644)
	conf := strings.ReplaceAll(`Dir::Etc::main "/dev/null"; Dir::Etc::parts "R/etc/apt.conf.d";
Dir::Etc::sourcelist "R/sources.list"; Dir::Etc::sourceparts "R/etc/sources.list.d";
Dir::Etc::preferences "/dev/null"; Dir::Etc::preferencesparts "R/etc/preferences.d";
Dir::Etc::trusted "/dev/null"; Dir::Etc::trustedparts "R/etc/trusted.gpg.d";
Dir::State "R/state"; Dir::State::status "R/status"; Dir::Cache "R/cache"; Dir::Log "R/log";
APT::Architecture "amd64"; APT::Architectures { "amd64"; }; Acquire::Languages "none";
APT::Sandbox::User "root"; Acquire::Retries "0";
`, "R", root)
	os.WriteFile(filepath.Join(root, "apt.conf"), []byte(conf), 0o644)
	key, err := os.ReadFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(root, "key.gpg"), key, 0o644)
	sources := fmt.Sprintf("deb [signed-by=%s] %s stable main\n", filepath.Join(root, "key.gpg"), repoURL)
	os.WriteFile(filepath.Join(root, "sources.list"), []byte(sources), 0o644)
	return &aptClient{t: t, root: root}
}

func (a *aptClient) run(args ...string) (string, error) {
	cmd := exec.Command("apt-get", args...)
	cmd.Env = append(os.Environ(), "APT_CONFIG="+filepath.Join(a.root, "apt.conf"), "LC_ALL=C")
	cmd.Dir = a.root
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// e2eRegistry makes a registry with the test packages, built into out.
func e2eRegistry(t *testing.T) (out string) {
	requireTool(t, "dpkg-deb")
	dir := t.TempDir()
	reg := filepath.Join(dir, "registry")
	mustStockpile(t, "init", reg)
	var files []string
	for _, s := range e2eDebs {
		files = append(files, buildDeb(t, dir, s))
	}
	mustStockpile(t, append([]string{"add", "-C", reg}, files...)...)
	out = filepath.Join(dir, "public")
	mustStockpile(t, "build", "-C", reg, "-o", out)
	return out
}

func TestAptEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test")
	}
	requireTool(t, "apt-get")
	out := e2eRegistry(t)
	srv := httptest.NewServer(dist.Handler(out))
	defer srv.Close()

	apt := newAptClient(t, srv.URL+"/apt/", filepath.Join(out, "apt", "key.gpg"))
	if log, err := apt.run("update"); err != nil || strings.Contains(log, "W:") || strings.Contains(log, "E:") {
		t.Fatalf("apt-get update: %v\n%s", err, log)
	}
	if log, err := apt.run("install", "-y", "--download-only", "hello", "greet-data"); err != nil {
		t.Fatalf("apt-get install: %v\n%s", err, log)
	}
	for _, want := range []string{"hello_1.0-1_amd64.deb", "libgreet_2%3a1.2+dfsg-1_amd64.deb", "greet-data_3.0~rc1-1_all.deb"} {
		if _, err := os.Stat(filepath.Join(apt.root, "cache/archives", want)); err != nil {
			t.Errorf("apt-get did not download %s: %v", want, err)
		}
	}
	if log, err := apt.run("download", "libgreet"); err != nil {
		t.Fatalf("apt-get download: %v\n%s", err, log)
	}

	t.Run("tampered Packages", func(t *testing.T) {
		bad := copyTree(t, out)
		tamperPackages(t, filepath.Join(bad, "apt/dists/stable/main/binary-amd64"))
		srv := httptest.NewServer(dist.Handler(bad))
		defer srv.Close()
		apt := newAptClient(t, srv.URL+"/apt/", filepath.Join(out, "apt", "key.gpg"))
		log, err := apt.run("update")
		// apt checks the size first, then the hash: either refusal will do.
		if err == nil || !(strings.Contains(log, "Hash Sum mismatch") || strings.Contains(log, "File has unexpected size")) {
			t.Fatalf("apt-get update accepted a tampered Packages file (err %v)\n%s", err, log)
		}
	})

	t.Run("Release signed by another key", func(t *testing.T) {
		bad := copyTree(t, out)
		other, err := signing.GenerateOpenPGP("Mallory", "", time.Unix(1700000000, 0))
		if err != nil {
			t.Fatal(err)
		}
		suite := filepath.Join(bad, "apt/dists/stable")
		release, err := os.ReadFile(filepath.Join(suite, "Release"))
		if err != nil {
			t.Fatal(err)
		}
		inRelease, _ := other.ClearSign(release, time.Unix(1700000000, 0))
		detached, _ := other.DetachSign(release, time.Unix(1700000000, 0))
		os.WriteFile(filepath.Join(suite, "InRelease"), inRelease, 0o644)
		os.WriteFile(filepath.Join(suite, "Release.gpg"), detached, 0o644)
		srv := httptest.NewServer(dist.Handler(bad))
		defer srv.Close()
		apt := newAptClient(t, srv.URL+"/apt/", filepath.Join(out, "apt", "key.gpg"))
		log, err := apt.run("update")
		if err == nil || !strings.Contains(log, "NO_PUBKEY") {
			t.Fatalf("apt-get update accepted a Release signed by another key (err %v)\n%s", err, log)
		}
	})
}

func copyTree(t *testing.T, src string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "tree")
	if b, err := exec.Command("cp", "-a", src, dst).CombinedOutput(); err != nil {
		t.Fatalf("cp: %v\n%s", err, b)
	}
	return dst
}

// tamperPackages changes a field in every variant of the Packages index of
// one folder, by-hash copies included, keeping each file well-formed.
func tamperPackages(t *testing.T, dir string) {
	t.Helper()
	plain, err := os.ReadFile(filepath.Join(dir, "Packages"))
	if err != nil {
		t.Fatal(err)
	}
	evil := bytes.Replace(plain, []byte("Maintainer: Test"), []byte("Maintainer: Evil"), 1)
	if bytes.Equal(evil, plain) {
		t.Fatal("nothing to tamper with")
	}
	var gz, x bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(evil)
	zw.Close()
	xw, _ := xz.NewWriter(&x)
	xw.Write(evil)
	xw.Close()
	variants := map[string][]byte{}
	for name, data := range map[string][]byte{"Packages": evil, "Packages.gz": gz.Bytes(), "Packages.xz": x.Bytes()} {
		orig, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		variants[sha256Hex(orig)] = data
		os.WriteFile(filepath.Join(dir, name), data, 0o644)
	}
	hashed, _ := filepath.Glob(filepath.Join(dir, "by-hash/SHA256/*"))
	for _, p := range hashed {
		if data, ok := variants[filepath.Base(p)]; ok {
			os.WriteFile(p, data, 0o644)
		}
	}
}

package main

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stockpile/stockpile/dist"
	"github.com/stockpile/stockpile/signing"
)

// rpmSpec is a package the test builds with the real rpmbuild.
type rpmSpec struct {
	name, epoch, version, release, arch, requires string
	signed                                        bool
}

var e2eRPMs = []rpmSpec{
	{"hello", "", "1.0", "1", "x86_64", "libgreet++ >= 2:1.2", true},
	{"libgreet++", "2", "1.2+dfsg", "1", "x86_64", "", true},
	{"libgreet++", "2", "1.2~rc1", "1", "x86_64", "", true}, // older: '~' sorts first
	{"libgreet++", "2", "1.2+dfsg", "1", "aarch64", "", true},
	{"greet-data", "", "3.0", "1", "noarch", "", true},
	{"greet-data", "", "3.0^git20240101", "1", "noarch", "", true}, // newer: '^' sorts after
	{"unsigned", "", "1", "1", "noarch", "", false},
}

func (s rpmSpec) specFile() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Name: %s\nVersion: %s\nRelease: %s\nSummary: test package %s\nLicense: MIT\n", s.name, s.version, s.release, s.name)
	if s.arch == "noarch" {
		b.WriteString("BuildArch: noarch\n")
	}
	if s.epoch != "" {
		fmt.Fprintf(&b, "Epoch: %s\n", s.epoch)
	}
	if s.requires != "" {
		fmt.Fprintf(&b, "Requires: %s\n", s.requires)
	}
	fmt.Fprintf(&b, "%%description\nBuilt by the end-to-end test.\n%%install\nmkdir -p %%{buildroot}/usr/share/%s\necho hello > %%{buildroot}/usr/share/%s/README.%s\n", s.name, s.name, s.arch)
	fmt.Fprintf(&b, "%%files\n/usr/share/%s/README.%s\n", s.name, s.arch)
	return b.String()
}

// packager is a GnuPG home with one signing key, for rpmsign.
type packager struct {
	home   string
	public string // armored public key file
}

func newPackager(t *testing.T) *packager {
	t.Helper()
	requireTool(t, "gpg")
	// GnuPG's agent socket lives in the home: keep the path short.
	home, err := os.MkdirTemp("", "gpg-")
	if err != nil {
		t.Fatal(err)
	}
	os.Chmod(home, 0o700)
	t.Cleanup(func() {
		exec.Command("gpgconf", "--homedir", home, "--kill", "gpg-agent").Run()
		os.RemoveAll(home)
	})
	p := &packager{home: home, public: filepath.Join(home, "packager.asc")}
	p.gpg(t, "--batch", "--passphrase", "", "--quick-gen-key", "Test Packager <packager@example.org>", "ed25519", "sign", "never")
	pub := p.gpg(t, "--armor", "--export", "packager@example.org")
	os.WriteFile(p.public, []byte(pub), 0o644)
	return p
}

func (p *packager) gpg(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.Command("gpg", args...)
	cmd.Env = append(os.Environ(), "GNUPGHOME="+p.home)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("gpg %s: %v", strings.Join(args, " "), err)
	}
	return string(out)
}

func (p *packager) sign(t *testing.T, rpm string) {
	t.Helper()
	cmd := exec.Command("rpmsign", "--define", "__gpg /usr/bin/gpg", "--define", "_gpg_name packager@example.org", "--addsign", rpm)
	cmd.Env = append(os.Environ(), "GNUPGHOME="+p.home)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("rpmsign %s: %v\n%s", rpm, err, out)
	}
}

// buildRPM builds s with rpmbuild into dir and returns the file. A '^' in
// the file name becomes '_' (stockpile's file names do not allow it; dnf
// does not care).
func buildRPM(t *testing.T, dir string, s rpmSpec) string {
	t.Helper()
	work := t.TempDir()
	spec := filepath.Join(work, s.name+".spec")
	os.WriteFile(spec, []byte(s.specFile()), 0o644)
	out := filepath.Join(work, "out")
	cmd := exec.Command("rpmbuild", "-bb", "--quiet", "--target", s.arch,
		"--define", "_topdir "+work, "--define", "_rpmdir "+out,
		"--define", "_build_name_fmt %%{NAME}-%%{VERSION}-%%{RELEASE}.%%{ARCH}.rpm", spec)
	cmd.Env = append(os.Environ(), "SOURCE_DATE_EPOCH=1700000000")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("rpmbuild %s: %v\n%s", s.name, err, b)
	}
	built, _ := filepath.Glob(filepath.Join(out, "*.rpm"))
	if len(built) != 1 {
		t.Fatalf("rpmbuild %s made %v", s.name, built)
	}
	dst := filepath.Join(dir, strings.ReplaceAll(filepath.Base(built[0]), "^", "_"))
	if err := os.Rename(built[0], dst); err != nil {
		t.Fatal(err)
	}
	return dst
}

// dnfClient runs dnf against one repository with a private install root,
// cache and configuration, every signature check on.
type dnfClient struct {
	root string
	base []string // install root, cache, no system configuration
	repo []string // the repository and its signature checks
}

func newDNFClient(t *testing.T, repoURL string, keys ...string) *dnfClient {
	t.Helper()
	root := t.TempDir()
	for _, d := range []string{"root", "cache", "repos", "dl"} {
		os.MkdirAll(filepath.Join(root, d), 0o755)
	}
	var urls []string
	for _, k := range keys {
		urls = append(urls, "file://"+k)
	}
	return &dnfClient{root: root,
		base: []string{
			"-y", "--installroot=" + filepath.Join(root, "root"), "--releasever=1",
			"--setopt=cachedir=" + filepath.Join(root, "cache"), "--setopt=reposdir=" + filepath.Join(root, "repos"),
		},
		repo: []string{
			"--repofrompath=t," + repoURL, "--repo=t",
			"--setopt=t.gpgcheck=1", "--setopt=t.repo_gpgcheck=1", "--setopt=t.gpgkey=" + strings.Join(urls, " "),
		},
	}
}

// install downloads the named packages and what they need, checking every
// signature, as `dnf install` would before installing.
func (d *dnfClient) install(names ...string) (string, error) {
	args := append(append(append([]string(nil), d.base...), d.repo...), "install", "--downloadonly", "--downloaddir", filepath.Join(d.root, "dl"))
	cmd := exec.Command("dnf", append(args, names...)...)
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func (d *dnfClient) downloaded() []string {
	files, _ := filepath.Glob(filepath.Join(d.root, "dl", "*.rpm"))
	var names []string
	for _, f := range files {
		names = append(names, filepath.Base(f))
	}
	return names
}

// yumRegistry builds the test rpms, signs most, adds them to a new registry
// and builds it for baseURL; it returns the tree and the packager.
func yumRegistry(t *testing.T, baseURL string) (out string, pk *packager) {
	requireTool(t, "rpmbuild")
	requireTool(t, "rpmsign")
	pk = newPackager(t)
	dir := t.TempDir()
	reg := filepath.Join(dir, "registry")
	mustStockpile(t, "init", reg)
	var files []string
	for _, s := range e2eRPMs {
		f := buildRPM(t, dir, s)
		if s.signed {
			pk.sign(t, f)
		}
		files = append(files, f)
	}
	mustStockpile(t, append([]string{"add", "-C", reg}, files...)...)
	out = filepath.Join(dir, "public")
	mustStockpile(t, "build", "-C", reg, "-o", out, "--base-url", baseURL)
	return out, pk
}

func TestYumEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test")
	}
	requireTool(t, "dnf")
	// The base URL must be known before the build: serve a folder that is
	// filled in afterwards.
	srvDir := t.TempDir()
	srv := httptest.NewServer(dist.Handler(srvDir))
	defer srv.Close()
	out, pk := yumRegistry(t, srv.URL+"/")
	os.Remove(srvDir)
	if err := os.Rename(out, srvDir); err != nil {
		t.Fatal(err)
	}
	out = srvDir
	repoKey := filepath.Join(out, "yum", "key.asc")

	dnf := newDNFClient(t, srv.URL+"/yum/", repoKey, pk.public)
	if log, err := dnf.install("hello", "greet-data"); err != nil {
		t.Fatalf("dnf install: %v\n%s", err, log)
	}
	// The newest of each (1.2+dfsg over 1.2~rc1, 3.0^git over 3.0), for
	// this machine's architecture; dnf names files as the repository does.
	want := []string{"greet-data-3.0_git20240101-1.noarch.rpm", "hello-1.0-1.x86_64.rpm", "libgreet__-1.2_dfsg-1.x86_64.rpm"}
	if got := dnf.downloaded(); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("dnf downloaded %v, want %v", got, want)
	}

	t.Run("the published .repo file", func(t *testing.T) {
		dnf := newDNFClient(t, srv.URL+"/yum/", repoKey, pk.public)
		repoFile, err := os.ReadFile(filepath.Join(out, "yum", "yum.repo"))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dnf.root, "repos", "yum.repo"), repoFile, 0o644)
		// The file as written, with the packager's key added to its own.
		dnf.repo = []string{"--repo=yum", "--setopt=yum.gpgkey=" + srv.URL + "/yum/key.asc file://" + pk.public}
		if log, err := dnf.install("greet-data"); err != nil {
			t.Fatalf("dnf install with the published .repo: %v\n%s", err, log)
		}
	})

	t.Run("an unsigned package", func(t *testing.T) {
		dnf := newDNFClient(t, srv.URL+"/yum/", repoKey, pk.public)
		log, err := dnf.install("unsigned")
		if err == nil || !strings.Contains(log, "is not signed") {
			t.Fatalf("dnf installed an unsigned package with gpgcheck on (err %v)\n%s", err, log)
		}
	})

	t.Run("without the packager's key", func(t *testing.T) {
		dnf := newDNFClient(t, srv.URL+"/yum/", repoKey)
		log, err := dnf.install("greet-data")
		if err == nil || !strings.Contains(log, "GPG check FAILED") {
			t.Fatalf("dnf installed a package whose key it lacks (err %v)\n%s", err, log)
		}
	})

	t.Run("tampered primary.xml.gz", func(t *testing.T) {
		bad := copyTree(t, out)
		tamperPrimary(t, filepath.Join(bad, "yum"))
		srv := httptest.NewServer(dist.Handler(bad))
		defer srv.Close()
		dnf := newDNFClient(t, srv.URL+"/yum/", repoKey, pk.public)
		log, err := dnf.install("greet-data")
		if err == nil || !strings.Contains(log, "checksum doesn't match") {
			t.Fatalf("dnf accepted a tampered primary.xml.gz (err %v)\n%s", err, log)
		}
	})

	t.Run("repomd.xml signed by another key", func(t *testing.T) {
		bad := copyTree(t, out)
		other, err := signing.GenerateOpenPGP("Mallory", "", time.Unix(1700000000, 0))
		if err != nil {
			t.Fatal(err)
		}
		repomd, err := os.ReadFile(filepath.Join(bad, "yum/repodata/repomd.xml"))
		if err != nil {
			t.Fatal(err)
		}
		sig, err := other.DetachSign(repomd, time.Unix(1700000000, 0))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(bad, "yum/repodata/repomd.xml.asc"), sig, 0o644)
		srv := httptest.NewServer(dist.Handler(bad))
		defer srv.Close()
		dnf := newDNFClient(t, srv.URL+"/yum/", repoKey, pk.public)
		log, err := dnf.install("greet-data")
		if err == nil || !strings.Contains(log, "Bad GPG signature") {
			t.Fatalf("dnf accepted a repomd.xml signed by another key (err %v)\n%s", err, log)
		}
	})
}

var primaryHref = regexp.MustCompile(`repodata/[0-9a-f]{64}-primary\.xml\.gz`)

// tamperPrimary changes a summary in primary.xml.gz, keeping the file a
// valid gzip under its old name and repomd.xml unchanged.
func tamperPrimary(t *testing.T, repo string) {
	t.Helper()
	repomd, err := os.ReadFile(filepath.Join(repo, "repodata/repomd.xml"))
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(repo, primaryHref.FindString(string(repomd)))
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	plain, _ := io.ReadAll(zr)
	evil := bytes.Replace(plain, []byte("test package greet-data"), []byte("evil package greet-data"), 1)
	if bytes.Equal(evil, plain) {
		t.Fatal("nothing to tamper with")
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(evil)
	zw.Close()
	os.WriteFile(p, gz.Bytes(), 0o644)
}

// The example registry of this repository, as `make demo` builds it, is one
// dnf installs from with every signature check on. Its rpms are signed by a
// demo packager key whose public half is kept next to their generator.
func TestDemoYumInstalls(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test")
	}
	requireTool(t, "dnf")
	reg := exampleRegistry(t)
	srvDir := t.TempDir()
	srv := httptest.NewServer(dist.Handler(srvDir))
	defer srv.Close()
	os.Remove(srvDir)
	mustStockpile(t, "build", "-C", reg, "-o", srvDir, "--base-url", srv.URL+"/")
	// The published .repo file as written: it lists the repository key and
	// the demo packager key that repos.yaml names.
	dnf := newDNFClient(t, srv.URL+"/yum/")
	repoFile, err := os.ReadFile(filepath.Join(srvDir, "yum", "yum.repo"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(repoFile), "/yum/keys/demo-packager.asc") {
		t.Errorf("yum.repo does not list the packager key:\n%s", repoFile)
	}
	os.WriteFile(filepath.Join(dnf.root, "repos", "yum.repo"), repoFile, 0o644)
	dnf.repo = []string{"--repo=yum"}
	if log, err := dnf.install("hello-stockpile", "stockpile-tools"); err != nil {
		t.Fatalf("dnf install: %v\n%s", err, log)
	}
	want := "hello-stockpile-1.0.0-1.noarch.rpm stockpile-greeting-1.2_demo-1.noarch.rpm stockpile-tools-2.0~beta1-1.x86_64.rpm"
	if got := strings.Join(dnf.downloaded(), " "); got != want {
		t.Errorf("dnf downloaded %s, want %s", got, want)
	}
}

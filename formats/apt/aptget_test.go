package apt

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stockpile/stockpile/formats"
	"github.com/stockpile/stockpile/internal/debgen"
)

// TestAptGet serves an indexed tree to apt-get (unsigned, trusted=yes: the
// signing step is not part of this package) and downloads packages from it.
func TestAptGet(t *testing.T) {
	if testing.Short() {
		t.Skip("runs apt-get")
	}
	if !needTool(t, "apt-get") {
		t.Skip("apt-get is missing")
	}
	dir := t.TempDir()
	var arts []*formats.Artifact
	for i, s := range goldenSpecs() {
		deb := mustBuild(t, debgen.Options{Control: s.compression}, s.control, map[string][]byte{"usr/share/doc/x": []byte(s.control.Package)})
		file := debFileName(s.control)
		local := filepath.Join(dir, "blobs", file)
		mustWrite(t, local, deb)
		arts = append(arts, artifactOf(t, i, deb, file, s.suite, s.component, local))
	}
	repo := testRepo()
	repo.Apt.ValidFor = 0 // the test's build date is long past
	tree := index(t, testBuild(), repo, arts)

	var mu sync.Mutex
	var requests []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		requests = append(requests, r.URL.Path)
		mu.Unlock()
		f := tree.Get(strings.TrimPrefix(r.URL.Path, "/"))
		if f == nil {
			http.NotFound(w, r)
			return
		}
		if f.Data != nil {
			w.Write(f.Data)
			return
		}
		http.ServeFile(w, r, f.Source)
	}))
	defer srv.Close()

	root := filepath.Join(dir, "apt")
	for _, d := range []string{"etc/apt.conf.d", "etc/sources.list.d", "etc/preferences.d", "etc/trusted.gpg.d", "state/lists/partial", "cache/archives/partial", "log", "out"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	conf := strings.ReplaceAll(`Dir::Etc::main "/dev/null"; Dir::Etc::parts "R/etc/apt.conf.d";
Dir::Etc::sourcelist "R/sources.list"; Dir::Etc::sourceparts "R/etc/sources.list.d";
Dir::Etc::preferences "/dev/null"; Dir::Etc::preferencesparts "R/etc/preferences.d";
Dir::Etc::trusted "/dev/null"; Dir::Etc::trustedparts "R/etc/trusted.gpg.d";
Dir::State "R/state"; Dir::State::status "R/status"; Dir::Cache "R/cache"; Dir::Log "R/log";
APT::Architecture "amd64"; APT::Architectures { "amd64"; "arm64"; }; Acquire::Languages "none";
APT::Sandbox::User "root";
`, "R", root)
	mustWrite(t, filepath.Join(root, "apt.conf"), []byte(conf))
	mustWrite(t, filepath.Join(root, "status"), nil)
	mustWrite(t, filepath.Join(root, "sources.list"), []byte("deb [trusted=yes] "+srv.URL+"/apt/ stable main contrib\n"))

	run := func(args ...string) string {
		t.Helper()
		cmd := exec.Command("apt-get", args...)
		cmd.Dir = filepath.Join(root, "out")
		cmd.Env = append(os.Environ(), "APT_CONFIG="+filepath.Join(root, "apt.conf"))
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("apt-get %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	if out := run("update"); strings.Contains(out, "W: ") && !strings.Contains(out, "not signed") {
		t.Errorf("apt-get update warns:\n%s", out)
	}
	run("download", "hello=1:2.10-3+b1", "hello:arm64", "libfoo++1", "data-common")
	// apt names its downloads <package>_<version with ':' escaped>_<arch>.deb.
	for got, blob := range map[string]string{
		"hello_1%3a2.10-3+b1_amd64.deb":  "hello_2.10-3+b1_amd64.deb",
		"hello_1%3a2.10-3+b1_arm64.deb":  "hello_2.10-3+b1_arm64.deb",
		"libfoo++1_1.0+dfsg-1_amd64.deb": "libfoo++1_1.0+dfsg-1_amd64.deb",
		"data-common_0.1-1_all.deb":      "data-common_0.1-1_all.deb",
	} {
		data, err := os.ReadFile(filepath.Join(root, "out", got))
		if err != nil {
			t.Errorf("apt-get download: %v", err)
			continue
		}
		if src, _ := os.ReadFile(filepath.Join(dir, "blobs", blob)); !bytes.Equal(data, src) {
			t.Errorf("downloaded %s differs from the artifact %s", got, blob)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	byHash := false
	for _, r := range requests {
		byHash = byHash || strings.Contains(r, "/by-hash/SHA256/")
		if strings.Contains(r, "+") || strings.Contains(r, "%2B") || strings.Contains(r, "%2b") {
			t.Errorf("apt requested %s, with a '+'", r)
		}
	}
	if !byHash {
		t.Errorf("apt fetched no by-hash file; requests:\n%s", strings.Join(requests, "\n"))
	}
}

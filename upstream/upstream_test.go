package upstream

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/stockpile/stockpile/artifact"
	"github.com/stockpile/stockpile/config"
	"github.com/stockpile/stockpile/digest"
	"github.com/stockpile/stockpile/internal/debgen"
	"github.com/stockpile/stockpile/internal/npmgen"
	"github.com/stockpile/stockpile/signing"
)

var now = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func hexSHA256(b []byte) string { h := sha256.Sum256(b); return hex.EncodeToString(h[:]) }

// statuses maps "name version" to what Select decided.
func statuses(res *Result) map[string]Status {
	out := map[string]Status{}
	for _, d := range res.Decisions {
		out[d.Name+" "+d.Version] = d.Status
	}
	return out
}

func npmServer(t *testing.T, versions map[string]time.Time) (*httptest.Server, map[string][]byte) {
	t.Helper()
	tarballs := map[string][]byte{}
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	doc := map[string]any{"name": "demo"}
	vs := map[string]any{}
	times := map[string]string{}
	for v, published := range versions {
		tgz, err := npmgen.Package{JSON: map[string]any{"name": "demo", "version": v}}.Build()
		if err != nil {
			t.Fatal(err)
		}
		file := npmgen.FileName("demo", v)
		tarballs[file] = tgz
		sum := sha512.Sum512(tgz)
		vs[v] = map[string]any{"name": "demo", "version": v, "dist": map[string]any{
			"tarball":   srv.URL + "/demo/-/" + file,
			"integrity": "sha512-" + base64.StdEncoding.EncodeToString(sum[:]),
		}}
		times[v] = published.Format("2006-01-02T15:04:05.000Z")
	}
	doc["versions"], doc["time"] = vs, times
	packument, _ := json.Marshal(doc)
	mux.HandleFunc("/demo", func(w http.ResponseWriter, r *http.Request) { w.Write(packument) })
	mux.HandleFunc("/demo/-/", func(w http.ResponseWriter, r *http.Request) {
		b, ok := tarballs[strings.TrimPrefix(r.URL.Path, "/demo/-/")]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Write(b)
	})
	return srv, tarballs
}

func TestNPMSelection(t *testing.T) {
	day := 24 * time.Hour
	srv, tarballs := npmServer(t, map[string]time.Time{
		"1.0.0":        now.Add(-30 * day),
		"1.1.0":        now.Add(-10 * day),
		"1.2.0":        now.Add(-1 * day), // inside the cooldown
		"2.0.0":        now.Add(-20 * day),
		"2.1.0-beta.1": now.Add(-20 * day),
	})
	repo := &config.Repository{Name: "npm", Format: "npm", Upstream: &config.Upstream{
		URL: srv.URL, Cooldown: config.Duration(72 * time.Hour),
		Packages: []config.UpstreamPackage{{Name: "demo", Versions: "^1"}, {Name: "absent"}},
	}}
	cands, err := List(context.Background(), Source{Now: now}, repo)
	if err != nil {
		t.Fatal(err)
	}
	present := func(c Candidate) bool { return c.Version == "1.0.0" }
	res, err := Select(repo, cands, now, present)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]Status{
		"demo 1.0.0": Present, "demo 1.1.0": Selected, "demo 1.2.0": Cooldown,
		"demo 2.0.0": Excluded, "demo 2.1.0-beta.1": Prerelease,
	}
	if diff := cmp.Diff(want, statuses(res)); diff != "" {
		t.Errorf("Select (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"absent"}, res.Missing); diff != "" {
		t.Errorf("Missing (-want +got):\n%s", diff)
	}
	for _, d := range res.Decisions {
		if d.Version == "1.2.0" && !d.Until.Equal(now.Add(-day+72*time.Hour)) {
			t.Errorf("cooldown of 1.2.0 ends %v, want %v", d.Until, now.Add(2*day))
		}
	}

	// Without a constraint only the newest eligible version is taken.
	repo.Upstream.Packages = []config.UpstreamPackage{{Name: "demo"}}
	res, err = Select(repo, cands, now, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := statuses(res)["demo 2.0.0"]; got != Selected {
		t.Errorf("newest eligible 2.0.0: %s, want selected (all: %v)", got, statuses(res))
	}
	if got := statuses(res)["demo 1.1.0"]; got != Older {
		t.Errorf("1.1.0: %s, want older", got)
	}

	// The integrity from the packument is what downloaded bytes must match.
	for _, c := range cands {
		if c.Version != "1.1.0" {
			continue
		}
		good, _ := digest.Of(bytes.NewReader(tarballs[c.File]))
		if err := c.Check(good); err != nil {
			t.Errorf("Check(real tarball) = %v", err)
		}
		bad, _ := digest.Of(strings.NewReader("tampered"))
		err := c.Check(bad)
		var am *artifact.MismatchError
		if !errors.Is(err, ErrVerification) || !errors.As(err, &am) {
			t.Fatalf("Check(tampered) = %v, want a verification error", err)
		}
		if !strings.Contains(err.Error(), c.SHA512) || !strings.Contains(err.Error(), bad.SHA512) {
			t.Errorf("error %q does not name both hashes", err)
		}
	}
}

func TestSelectConstraintError(t *testing.T) {
	repo := &config.Repository{Name: "p", Format: "pypi", Upstream: &config.Upstream{
		Packages: []config.UpstreamPackage{{Name: "x", Versions: "=>1", Line: 7}},
	}}
	_, err := Select(repo, nil, now, nil)
	if !config.IsInvalid(err) || !strings.Contains(err.Error(), "repos.yaml:7:") {
		t.Errorf("Select with a bad constraint = %v, want a repos.yaml:7 error", err)
	}
}

func TestPyPI(t *testing.T) {
	old := now.Add(-100 * 24 * time.Hour).Format("2006-01-02T15:04:05.000000Z")
	recent := now.Add(-time.Hour).Format("2006-01-02T15:04:05.000000Z")
	file := func(name, uploaded string, yanked any) map[string]any {
		return map[string]any{"filename": name, "url": "../../files/" + name, "hashes": map[string]string{"sha256": strings.Repeat("a", 64)},
			"size": 10, "upload-time": uploaded, "yanked": yanked}
	}
	simple, _ := json.Marshal(map[string]any{"meta": map[string]string{"api-version": "1.1"}, "name": "demo-pkg", "files": []any{
		file("demo_pkg-1.0-py3-none-any.whl", old, false),
		file("demo_pkg-1.0.tar.gz", old, false),
		file("demo_pkg-1.1-py3-none-any.whl", old, "broken"),
		file("demo_pkg-1.2rc1-py3-none-any.whl", old, false),
		file("demo_pkg-1.3-py3-none-any.whl", recent, false),
		file("demo_pkg-2.0-py3-none-any.whl", old, false),
	}})
	release := func(name string) map[string]any {
		return map[string]any{"filename": name, "url": "https://files.example/" + name, "digests": map[string]string{"sha256": strings.Repeat("b", 64)},
			"size": 10, "upload_time_iso_8601": old, "yanked": false}
	}
	api, _ := json.Marshal(map[string]any{"releases": map[string]any{
		"1.0": []any{release("demo_pkg-1.0-py3-none-any.whl")},
		"2.0": []any{release("demo_pkg-2.0-py3-none-any.whl")},
	}})
	mux := http.NewServeMux()
	mux.HandleFunc("/simple/demo-pkg/", func(w http.ResponseWriter, r *http.Request) {
		if !strings.Contains(r.Header.Get("Accept"), pep691) {
			http.Error(w, "want JSON", http.StatusNotAcceptable)
			return
		}
		w.Write(simple)
	})
	mux.HandleFunc("/pypi/Demo.Pkg/json", func(w http.ResponseWriter, r *http.Request) { w.Write(api) })
	srv := httptest.NewServer(mux)
	defer srv.Close()

	repo := &config.Repository{Name: "pypi", Format: "pypi", Upstream: &config.Upstream{
		URL: srv.URL, API: "simple", Cooldown: config.Duration(24 * time.Hour),
		Packages: []config.UpstreamPackage{{Name: "Demo.Pkg", Versions: ">=1.0,<2"}},
	}}
	cands, err := List(context.Background(), Source{}, repo)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Select(repo, cands, now, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]Status{"Demo.Pkg 1.0": Selected, "Demo.Pkg 1.1": Yanked, "Demo.Pkg 1.2rc1": Prerelease,
		"Demo.Pkg 1.3": Cooldown, "Demo.Pkg 2.0": Excluded}
	if diff := cmp.Diff(want, statuses(res)); diff != "" {
		t.Errorf("Select (-want +got):\n%s", diff)
	}
	for _, d := range res.Decisions {
		if d.File == "demo_pkg-1.0.tar.gz" && d.URL != srv.URL+"/files/demo_pkg-1.0.tar.gz" {
			t.Errorf("relative link resolved to %s", d.URL)
		}
	}

	repo.Upstream.API = "json"
	cands, err = List(context.Background(), Source{}, repo)
	if err != nil {
		t.Fatal(err)
	}
	if len(cands) != 2 || cands[0].SHA256 != strings.Repeat("b", 64) {
		t.Errorf("JSON API candidates = %+v", cands)
	}
}

// aptArchive serves a one-package archive whose InRelease and Release.gpg
// are signed by key.
func aptArchive(t *testing.T, key *signing.OpenPGP, inRelease bool, tamper func(path string, b []byte) []byte) *httptest.Server {
	t.Helper()
	deb, err := debgen.Build(debgen.Control{Package: "hello", Version: "1.0-1", Architecture: "amd64", Maintainer: "t <t@example.org>", Description: "hi"}, map[string][]byte{"usr/share/doc/hello/README": []byte("hi\n")})
	if err != nil {
		t.Fatal(err)
	}
	packages := fmt.Sprintf("Package: hello\nVersion: 1.0-1\nArchitecture: amd64\nDescription: hi\n long text\nFilename: pool/main/h/hello/hello_1.0-1_amd64.deb\nSize: %d\nSHA256: %s\n\n", len(deb), hexSHA256(deb))
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(packages))
	zw.Close()
	release := fmt.Sprintf("Origin: Test\nSuite: stable\nDate: %s\nSHA256:\n %s %d main/binary-amd64/Packages\n %s %d main/binary-amd64/Packages.gz\n",
		now.Add(-time.Hour).Format("Mon, 02 Jan 2006 15:04:05 UTC"), hexSHA256([]byte(packages)), len(packages), hexSHA256(gz.Bytes()), gz.Len())
	files := map[string][]byte{
		"/dists/stable/Release":                       []byte(release),
		"/dists/stable/main/binary-amd64/Packages":    []byte(packages),
		"/dists/stable/main/binary-amd64/Packages.gz": gz.Bytes(),
		"/pool/main/h/hello/hello_1.0-1_amd64.deb":    deb,
	}
	if files["/dists/stable/Release.gpg"], err = key.DetachSign([]byte(release), now.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	if inRelease {
		if files["/dists/stable/InRelease"], err = key.ClearSign([]byte(release), now.Add(-time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, ok := files[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		if tamper != nil {
			b = tamper(r.URL.Path, b)
		}
		w.Write(b)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestAptVerification(t *testing.T) {
	key, err := signing.GenerateOpenPGP("Archive", "archive@example.org", now.Add(-24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	other, err := signing.GenerateOpenPGP("Other", "other@example.org", now.Add(-24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := key.ArmoredPublic()
	otherPub, _ := other.ArmoredPublic()
	keys := map[string][]byte{"keys/archive.asc": pub, "keys/other.asc": otherPub}
	src := Source{Now: now, ReadFile: func(p string) ([]byte, error) {
		if b, ok := keys[p]; ok {
			return b, nil
		}
		return nil, errors.New("no such file")
	}}
	repoFor := func(url, key string) *config.Repository {
		return &config.Repository{Name: "apt", Format: "apt", Apt: &config.Apt{Architectures: []string{"amd64"}},
			Upstream: &config.Upstream{URL: url, Suite: "stable", Component: "main", Key: key,
				Packages: []config.UpstreamPackage{{Name: "hello"}}}}
	}
	tests := []struct {
		name      string
		inRelease bool
		key       string
		tamper    func(string, []byte) []byte
		wantErr   string // "" for success
	}{
		{"InRelease", true, "keys/archive.asc", nil, ""},
		{"Release.gpg", false, "keys/archive.asc", nil, ""},
		{"InRelease by another key", true, "keys/other.asc", nil, "InRelease: signature"},
		{"Release.gpg by another key", false, "keys/other.asc", nil, "Release.gpg"},
		{"changed Packages.gz", true, "keys/archive.asc", func(p string, b []byte) []byte {
			if strings.HasSuffix(p, "Packages.gz") {
				return append(bytes.Clone(b), 0)
			}
			return b
		}, "Release says sha256"},
		{"changed InRelease", true, "keys/archive.asc", func(p string, b []byte) []byte {
			if strings.HasSuffix(p, "InRelease") {
				return bytes.Replace(b, []byte("Origin: Test"), []byte("Origin: Evil"), 1)
			}
			return b
		}, "InRelease: signature"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := aptArchive(t, key, tt.inRelease, tt.tamper)
			cands, err := List(context.Background(), src, repoFor(srv.URL, tt.key))
			if tt.wantErr != "" {
				if !errors.Is(err, ErrVerification) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("List = %v, want a verification error with %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(cands) != 1 {
				t.Fatalf("List = %+v, want one package", cands)
			}
			c := cands[0]
			if c.URL != srv.URL+"/pool/main/h/hello/hello_1.0-1_amd64.deb" || c.File != "hello_1.0-1_amd64.deb" || c.Version != "1.0-1" || !c.Published.Equal(now.Add(-time.Hour)) {
				t.Errorf("candidate = %+v", c)
			}
		})
	}
}

func TestYum(t *testing.T) {
	key, err := signing.GenerateOpenPGP("Repo", "repo@example.org", now.Add(-24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := key.ArmoredPublic()
	pkg := func(name, arch, epoch, ver, sumType, sum, href, base string, fileTime int64) string {
		b := ""
		if base != "" {
			b = ` xml:base="` + base + `"`
		}
		return fmt.Sprintf(`<package type="rpm"><name>%s</name><arch>%s</arch><version epoch="%s" ver="%s" rel="1"/>`+
			`<checksum type="%s" pkgid="YES">%s</checksum><time file="%d" build="1"/><size package="42" installed="1" archive="1"/>`+
			`<location%s href="%s"/></package>`, name, arch, epoch, ver, sumType, sum, fileTime, b, href)
	}
	primary := `<?xml version="1.0" encoding="UTF-8"?>
<metadata xmlns="http://linux.duke.edu/metadata/common" xmlns:rpm="http://linux.duke.edu/metadata/rpm" packages="4">` +
		pkg("tmux", "x86_64", "0", "3.2", "sha256", strings.Repeat("a", 64), "Packages/t/tmux-3.2-1.x86_64.rpm", "", now.Add(-time.Hour).Unix()) +
		pkg("tmux", "aarch64", "0", "3.2", "sha256", strings.Repeat("b", 64), "Packages/t/tmux-3.2-1.aarch64.rpm", "", 1) +
		pkg("tmux", "noarch", "2", "3.3", "sha512", strings.Repeat("c", 128), "t/tmux-3.3-1.noarch.rpm", "https://cdn.example/el9", 1) +
		pkg("vim", "x86_64", "0", "9.0", "sha256", strings.Repeat("d", 64), "Packages/v/vim.rpm", "", 1) +
		`</metadata>`
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(primary))
	zw.Close()
	repomd := fmt.Sprintf(`<?xml version="1.0" encoding="UTF-8"?>
<repomd xmlns="http://linux.duke.edu/metadata/repo"><revision>1</revision>
<data type="primary"><checksum type="sha256">%s</checksum><location href="repodata/x-primary.xml.gz"/></data></repomd>`, hexSHA256(gz.Bytes()))
	sig, err := key.DetachSign([]byte(repomd), now.Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{"/os/repodata/repomd.xml": []byte(repomd), "/os/repodata/repomd.xml.asc": sig, "/os/repodata/x-primary.xml.gz": gz.Bytes()}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, ok := files[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Write(b)
	}))
	defer srv.Close()
	src := Source{Now: now, ReadFile: func(string) ([]byte, error) { return pub, nil }}
	repo := &config.Repository{Name: "rpms", Format: "yum", Upstream: &config.Upstream{URL: srv.URL + "/os", Key: "keys/repo.asc",
		Architectures: []string{"x86_64"}, Cooldown: config.Duration(24 * time.Hour),
		Packages: []config.UpstreamPackage{{Name: "tmux", Versions: ">= 3.2"}}}}
	cands, err := List(context.Background(), src, repo)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Select(repo, cands, now, nil)
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		Version, Arch, URL, SHA256, SHA512 string
		Status                             Status
	}
	var got []row
	for _, d := range res.Decisions {
		got = append(got, row{d.Version, d.Arch, d.URL, d.SHA256, d.SHA512, d.Status})
	}
	want := []row{
		{"3.2-1", "x86_64", srv.URL + "/os/Packages/t/tmux-3.2-1.x86_64.rpm", strings.Repeat("a", 64), "", Cooldown},
		{"2:3.3-1", "noarch", "https://cdn.example/el9/t/tmux-3.3-1.noarch.rpm", "", strings.Repeat("c", 128), Selected},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("yum decisions (-want +got):\n%s", diff)
	}

	// A repomd.xml changed after signing is refused.
	files["/os/repodata/repomd.xml"] = bytes.Replace([]byte(repomd), []byte("<revision>1"), []byte("<revision>2"), 1)
	if _, err := List(context.Background(), src, repo); !errors.Is(err, ErrVerification) {
		t.Errorf("List with a changed repomd.xml = %v, want a verification error", err)
	}
}

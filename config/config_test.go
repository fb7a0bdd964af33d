package config

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
)

const goodConfig = `name: test
base_url: https://pkgs.example.org/base
signing:
  openpgp: .stockpile/keys/openpgp.asc
repositories:
  - name: apt
    format: apt
    apt:
      suites: [stable, testing]
      valid_for: 7d
  - name: pypi
    format: pypi
`

const sha = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

func manifest(fields string) string {
	return "file: hello_1.0_amd64.deb\nsha256: " + sha + "\nsize: 12\n" + fields
}

func TestLoad(t *testing.T) {
	fsys := fstest.MapFS{
		"repos.yaml":                 {Data: []byte(goodConfig)},
		"packages/apt/hello.yaml":    {Data: []byte(manifest("source: blobs/apt/hello_1.0_amd64.deb\nsuite: testing\n"))},
		"packages/apt/sub/other.yml": {Data: []byte(strings.Replace(manifest("source: https://example.org/x.deb\n"), "hello_", "other_", 1))},
		"packages/pypi/.gitkeep":     {Data: nil},
	}
	reg, err := Load(fsys)
	if err != nil {
		t.Fatal(err)
	}
	if reg.BaseURL != "https://pkgs.example.org/base/" {
		t.Errorf("BaseURL = %q, want a trailing slash", reg.BaseURL)
	}
	apt := reg.Repository("apt")
	if diff := cmp.Diff([]string{"amd64", "arm64"}, apt.Apt.Architectures); diff != "" {
		t.Errorf("default architectures (-want +got):\n%s", diff)
	}
	if got := apt.Apt.ValidFor; got != Duration(7*24*3600*1e9) {
		t.Errorf("ValidFor = %v, want 7 days", got)
	}
	if len(reg.Manifests) != 2 {
		t.Fatalf("got %d manifests, want 2", len(reg.Manifests))
	}
	m := reg.Manifests[0]
	if m.Repo != "apt" || m.Suite != "testing" || m.Component != "main" || m.Size != 12 {
		t.Errorf("manifest = %+v", m)
	}
	if got := m.Pos("suite"); got != "packages/apt/hello.yaml:5" {
		t.Errorf("Pos(suite) = %q", got)
	}
	if reg.Manifests[1].Suite != "stable" {
		t.Errorf("default suite = %q, want stable", reg.Manifests[1].Suite)
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		want  []string // each must appear in the error, in this order
	}{
		{
			name:  "unknown field and wrong type",
			files: map[string]string{"repos.yaml": "name: x\nrepositories:\n  - name: apt\n    format: apt\n    colour: red\n  - name: b\n    format: [x]\n"},
			want:  []string{"repos.yaml:5: field colour not found", "repos.yaml:7: cannot unmarshal"},
		},
		{
			name:  "duplicate repository and bad format",
			files: map[string]string{"repos.yaml": "repositories:\n  - name: apt\n    format: apt\n  - name: apt\n    format: apt\n  - name: x\n    format: gem\n"},
			want:  []string{`repos.yaml:4: repository "apt" is defined twice (first at line 2)`, `repos.yaml:6: repository "x": unknown format "gem"`},
		},
		{
			name: "manifest problems all at once",
			files: map[string]string{
				"repos.yaml":            goodConfig,
				"packages/apt/a.yaml":   manifest("source: ../outside.deb\nflavour: sweet\n"),
				"packages/apt/b.yaml":   "file: x/../y.deb\nsha256: ABC\nsize: -1\nsource: /etc/passwd\n",
				"packages/pypi/c.yaml":  manifest("source: blobs/c\nsuite: stable\n"),
				"packages/nope/d.yaml":  manifest("source: blobs/d\n"),
				"packages/apt/e.yaml":   "file: [\n",
				"packages/apt/f.yaml":   manifest("source: ftp://example.org/x\n"),
				"packages/apt/dup.yaml": manifest("source: blobs/apt/hello_1.0_amd64.deb\nsuite: unstable\n"),
			},
			want: []string{
				"packages/apt/a.yaml:4: source \"../outside.deb\" must be a clean path",
				"packages/apt/a.yaml:5: unknown field \"flavour\"",
				"packages/apt/b.yaml:1: file \"x/../y.deb\" must be a plain file name",
				"packages/apt/b.yaml:2: sha256 \"ABC\" is not 64 lowercase hex digits",
				"packages/apt/b.yaml:3: size \"-1\" is not a whole number",
				"packages/apt/b.yaml:4: source \"/etc/passwd\"",
				"packages/apt/dup.yaml:5: suite \"unstable\" is not one of",
				"packages/apt/e.yaml:",
				"packages/apt/f.yaml:4: source \"ftp://example.org/x\" has an unsupported scheme",
				"packages/nope/d.yaml: manifest is not inside the folder of a repository",
				"packages/pypi/c.yaml:5: field \"suite\" does not apply to pypi repositories",
			},
		},
		{
			name: "duplicate artifact",
			files: map[string]string{
				"repos.yaml":          goodConfig,
				"packages/apt/a.yaml": manifest("source: blobs/a.deb\n"),
				"packages/apt/b.yaml": manifest("source: blobs/b.deb\n"),
			},
			want: []string{`packages/apt/b.yaml:1: artifact "hello_1.0_amd64.deb" is already listed in repository "apt" by packages/apt/a.yaml:1`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fsys := fstest.MapFS{}
			for name, data := range tt.files {
				fsys[name] = &fstest.MapFile{Data: []byte(data)}
			}
			_, err := Load(fsys)
			if err == nil {
				t.Fatal("Load succeeded, want errors")
			}
			if !IsInvalid(err) {
				t.Errorf("IsInvalid(%v) = false", err)
			}
			msg := err.Error()
			at := 0
			for _, w := range tt.want {
				i := strings.Index(msg[at:], w)
				if i < 0 {
					t.Errorf("error does not contain %q after offset %d:\n%s", w, at, msg)
					continue
				}
				at += i + len(w)
			}
		})
	}
}

func FuzzParseManifest(f *testing.F) {
	reg, err := ParseConfig([]byte(goodConfig))
	if err != nil {
		f.Fatal(err)
	}
	f.Add([]byte(manifest("source: blobs/x.deb\n")))
	f.Add([]byte("file: [\n"))
	f.Add([]byte("- a\n- b\n"))
	f.Add([]byte("file: &a x\nsha256: *a\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ParseManifest("packages/apt/x.yaml", data, reg)
		if err == nil && m == nil {
			t.Fatal("no manifest and no error")
		}
		if err != nil && !IsInvalid(err) {
			t.Fatalf("error without a location: %v", err)
		}
	})
}

func TestManifestPlacementFields(t *testing.T) {
	reg, err := ParseConfig([]byte("repositories:\n  - name: py\n    format: pypi\n  - name: js\n    format: npm\n"))
	if err != nil {
		t.Fatal(err)
	}
	m, err := ParseManifest("packages/py/a.yaml", []byte(manifest("source: blobs/a\nyanked: broken build\n")), reg)
	if err != nil || !m.Yanked || m.YankReason != "broken build" {
		t.Errorf("yanked with a reason: %+v, %v", m, err)
	}
	m, err = ParseManifest("packages/py/a.yaml", []byte(manifest("source: blobs/a\nyanked: true\n")), reg)
	if err != nil || !m.Yanked || m.YankReason != "" {
		t.Errorf("yanked: true: %+v, %v", m, err)
	}
	m, err = ParseManifest("packages/js/a.yaml", []byte(manifest("source: blobs/a\ntags: [next, beta]\ndeprecated: use b\n")), reg)
	if err != nil || !cmp.Equal(m.Tags, []string{"next", "beta"}) || m.Deprecated != "use b" {
		t.Errorf("npm fields: %+v, %v", m, err)
	}
	_, err = ParseManifest("packages/js/a.yaml", []byte(manifest("source: blobs/a\ntags: [latest, \"1.0\"]\n")), reg)
	if err == nil || !strings.Contains(err.Error(), `tag "latest" is set by the build`) || !strings.Contains(err.Error(), `tag "1.0" must be a word`) {
		t.Errorf("bad tags: %v", err)
	}
}

func TestYumPackagerKeys(t *testing.T) {
	reg, err := ParseConfig([]byte("repositories:\n  - name: rpm\n    format: yum\n    yum:\n      packager_keys: [keys/a.asc]\n"))
	if err != nil || !cmp.Equal(reg.Repositories[0].Yum.PackagerKeys, []string{"keys/a.asc"}) {
		t.Errorf("packager_keys: %+v, %v", reg, err)
	}
	_, err = ParseConfig([]byte("repositories:\n  - name: rpm\n    format: yum\n    yum:\n      packager_keys: [../a.asc, keys/key.asc]\n  - name: deb\n    format: apt\n    yum: {}\n"))
	for _, want := range []string{`packager key "../a.asc" must be a path inside`, `packager key "keys/key.asc"`, `repository "deb": yum settings on a apt repository`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v does not say %q", err, want)
		}
	}
}

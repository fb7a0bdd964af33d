package npm

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/stockpile/stockpile/internal/npmgen"
)

// fuzzLimits keep each run fast; the code paths are those of the defaults.
var fuzzLimits = limits{unpacked: 1 << 20, entries: 64, packageJSON: 64 << 10, stream: 2 << 20}

func FuzzInspect(f *testing.F) {
	for _, s := range goldenSpecs() {
		f.Add(mustPack(f, s.pkg), s.pkg.FileName())
	}
	f.Add(mustArchive(f, []npmgen.Entry{
		{Name: "pkg/package.json", Data: []byte(`{"name":"@a/b","version":"1.0.0","directories":{"bin":"b"},"bin":null}`)},
		{Name: "pkg/b/x", Data: []byte("x")},
		{Name: "pkg/binding.gyp", Data: []byte("{}")},
		{Name: "pkg/l", Type: tar.TypeSymlink, Linkname: "/etc"},
		{Name: "pkg/../x", Data: []byte("x")},
	}), "b-1.0.0.tgz")
	format := format{limits: fuzzLimits}
	f.Fuzz(func(t *testing.T, tgz []byte, file string) {
		meta, err := format.Inspect(bytes.NewReader(tgz), int64(len(tgz)), file)
		if err != nil {
			return
		}
		p, err := DecodeMeta(meta)
		if err != nil {
			t.Fatalf("DecodeMeta(Inspect()): %v", err)
		}
		if err := checkFileName(file, p.Name, p.Version); err != nil {
			t.Fatalf("Inspect accepted a file name that does not match: %v", err)
		}
		if !json.Valid(p.PackageJSON) {
			t.Fatalf("PackageJSON is not valid JSON")
		}
		if p.FileCount < 1 || p.UnpackedSize < int64(len(p.PackageJSON)) && p.UnpackedSize < 2 {
			t.Fatalf("FileCount %d, UnpackedSize %d", p.FileCount, p.UnpackedSize)
		}
	})
}

func FuzzParsePackageJSON(f *testing.F) {
	for _, s := range goldenSpecs() {
		b, _ := json.Marshal(s.pkg.JSON)
		f.Add(b)
	}
	for _, s := range []string{
		`{"name":"a","version":"1.0.0","bin":"x","os":"linux","license":{"type":"MIT"}}`,
		`{"name":"a","version":"1.0.0","bin":["a/b","c"],"bundledDependencies":true,"dependencies":[]}`,
		`{"name":"@s/a","version":"1.0.0-rc.1+b","bin":{"../x":"..\\y","":"z"},"engines":["node"]}`,
		"\uFEFF{\"name\":\"a\",\"version\":\"1.0.0\",\"peerDependenciesMeta\":{\"x\":{\"optional\":1}}}",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		pj, err := parsePackageJSON(data)
		if err != nil {
			return
		}
		if err := ValidName(pj.manifest.Name); err != nil {
			t.Fatalf("accepted name: %v", err)
		}
		if _, err := parseSemver(pj.manifest.Version); err != nil {
			t.Fatalf("accepted version: %v", err)
		}
		// The normalized fields, written as a package.json, read back the
		// same: normalization is idempotent.
		m := pj.manifest
		out, err := json.Marshal(m)
		if err != nil {
			t.Fatalf("marshal: %v", err)
		}
		again, err := parsePackageJSON(out)
		if err != nil {
			t.Fatalf("normalized package.json %s does not parse: %v", out, err)
		}
		m.HasInstallScript, m.HasShrinkwrap = false, false
		if diff := cmp.Diff(m, again.manifest); diff != "" {
			t.Fatalf("normalizing twice differs (-once +twice):\n%s", diff)
		}
	})
}

func FuzzSemver(f *testing.F) {
	for _, s := range [][2]string{{"1.0.0", "1.0.0-rc.1"}, {"1.0.0-alpha.1", "1.0.0-alpha.beta"}, {"1.2.3+b", "1.2.3"}, {"0.0.0-0", "0.0.0-a"}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		va, errA := parseSemver(a)
		vb, errB := parseSemver(b)
		if errA != nil || errB != nil {
			return
		}
		if va.compare(va) != 0 {
			t.Fatalf("compare(%q, itself) != 0", a)
		}
		if va.compare(vb) != -vb.compare(va) {
			t.Fatalf("compare(%q, %q) is not antisymmetric", a, b)
		}
		if (a == b) && va.compare(vb) != 0 {
			t.Fatalf("equal strings compare unequal")
		}
	})
}

// FuzzPreviousDist reads a previous build's packument, which may be damaged.
func FuzzPreviousDist(f *testing.F) {
	tree := index(f, testBuild(f), artifacts(f, goldenSpecs()))
	f.Add(tree.Get("npm/hello-npm/index.json").Data, "hello-npm@1.0.1")
	f.Add([]byte(`{"_id":"a@1.0.0","dist":{"integrity":"x","signatures":[{"keyid":"k","sig":"s\"}]}}`), "a@1.0.0")
	f.Fuzz(func(t *testing.T, packument []byte, id string) {
		d := previousDist(packument, id)
		if d == nil {
			return
		}
		if d.Integrity == "" || strings.ContainsAny(d.Integrity, `"\`) {
			t.Fatalf("integrity %q", d.Integrity)
		}
		for _, s := range d.Signatures {
			if strings.ContainsAny(s.KeyID+s.Sig, `"\`) {
				t.Fatalf("signature %+v", s)
			}
		}
	})
}

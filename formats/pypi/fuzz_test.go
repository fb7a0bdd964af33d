package pypi

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stockpile/stockpile/internal/pygen"
)

// pythonMade returns the distributions testdata/python/make.py wrote with
// Python's zipfile and tarfile.
func pythonMade(t testing.TB) map[string][]byte {
	files, err := filepath.Glob("testdata/python/py_made-*")
	if err != nil || len(files) != 2 {
		t.Fatalf("testdata/python: %v %v", files, err)
	}
	out := map[string][]byte{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out[filepath.Base(f)] = data
	}
	return out
}

func TestInspectPythonMade(t *testing.T) {
	for file, data := range pythonMade(t) {
		d, err := inspectBytes(t, New().(format), file, data)
		if err != nil {
			t.Fatalf("Inspect(%s): %v", file, err)
		}
		if d.Name != "Py.Made" || d.Version != "2.0.post1+py.1" || d.RequiresPython != ">=3.7" || !strings.Contains(d.Metadata, "café") {
			t.Errorf("Inspect(%s) = %+v", file, d)
		}
	}
}

// fuzzFiles are the file names FuzzInspect reads its input as.
var fuzzFiles = []string{"foo_bar-1.0+local.1-py3-none-any.whl", "foo_bar-1.0+local.1.tar.gz", "foo_bar-1.0+local.1.zip", "py_made-2.0.post1+py.1-py3-none-any.whl", "py_made-2.0.post1+py.1.tar.gz"}

func FuzzInspect(f *testing.F) {
	must := mustFn(f)
	seeds := [][]byte{
		must(foo.Wheel()), must(foo.Sdist()), must(foo.SdistZip()),
		must(pygen.Zip(wheelEntries(add(pygen.Entry{Name: "foo_bar/link", Link: "/etc"})))),
		must(pygen.TarGz(sdistEntries(add(pygen.Entry{Name: "../x"})))),
	}
	for _, data := range pythonMade(f) {
		seeds = append(seeds, data)
	}
	for _, s := range seeds {
		for i := range fuzzFiles {
			f.Add(s, uint8(i))
		}
	}
	lim := limits{members: 1000, directory: 1 << 20, unpacked: 4 << 20, untarred: 4 << 20, metadata: 64 << 10}
	f.Fuzz(func(t *testing.T, data []byte, which uint8) {
		file := fuzzFiles[int(which)%len(fuzzFiles)]
		meta, err := format{lim: lim}.Inspect(bytes.NewReader(data), int64(len(data)), file)
		if err != nil {
			return
		}
		d, err := DecodeMeta(meta)
		if err != nil {
			t.Fatalf("Inspect accepted %s but its metadata does not decode: %v", file, err)
		}
		if _, err := checkFileName(file, d.Kind, d.Name, d.Version); err != nil {
			t.Fatalf("Inspect accepted %s for %s %s: %v", file, d.Name, d.Version, err)
		}
		if int64(len(d.Metadata)) > lim.metadata {
			t.Fatalf("metadata of %d bytes is over the limit", len(d.Metadata))
		}
	})
}

func FuzzParseMetadata(f *testing.F) {
	f.Add(foo.Metadata())
	f.Add([]byte("Metadata-Version: 2.1\r\nName: a\r\n Version: 1\r\n\r\nbody"))
	f.Add([]byte("Name: x\n\tcontinued\nVersion: 1.0\nRequires-Python: >=3,<4\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ParseMetadata(data)
		if err != nil {
			return
		}
		name, version, rp, err := m.core()
		if err != nil {
			return
		}
		if !ValidName(name) {
			t.Fatalf("core() accepted name %q", name)
		}
		if _, err := ParseVersion(version); err != nil {
			t.Fatalf("core() accepted version %q: %v", version, err)
		}
		if rp != "" && checkSpecifiers(rp) != nil {
			t.Fatalf("core() accepted Requires-Python %q", rp)
		}
	})
}

func FuzzParseVersion(f *testing.F) {
	for _, s := range ordered {
		f.Add(s)
	}
	f.Add("v1.0-1")
	f.Add("1.0+ubuntu-1_007")
	f.Fuzz(func(t *testing.T, s string) {
		v, err := ParseVersion(s)
		if err != nil {
			return
		}
		again, err := ParseVersion(v.String())
		if err != nil {
			t.Fatalf("ParseVersion(%q).String() = %q does not parse: %v", s, v.String(), err)
		}
		if again.String() != v.String() || again.Compare(v) != 0 || v.Compare(again) != 0 {
			t.Fatalf("%q: normalized form %q does not round-trip (%q)", s, v.String(), again.String())
		}
	})
}

func FuzzFileNames(f *testing.F) {
	for _, s := range append(fuzzFiles, "Foo_Bar-1.0.0+LOCAL.1-1-py3-none-any.whl", "foo-bar-1.0-1.tar.gz") {
		f.Add(s, "foo.bar", "1.0")
	}
	f.Fuzz(func(t *testing.T, file, name, version string) {
		kind, _, err := kindOf(file)
		if err != nil {
			return
		}
		_, _ = checkFileName(file, kind, name, version)
		if got, want := Normalize(name), strings.ToLower(regexp.MustCompile(`[-_.]+`).ReplaceAllString(name, "-")); got != want {
			t.Fatalf("Normalize(%q) = %q, want %q", name, got, want)
		}
		_ = checkSpecifiers(version)
	})
}

// The JSON writer escapes strings as encoding/json does.
func FuzzJSONString(f *testing.F) {
	for _, s := range []string{"", "plain", `q"b\\`, "tab\tnl\n\x00\x1f", "<>&", "caf\u00e9", "\u2028\u2029", "\xff\xfe", "\U0001F600"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(s); err != nil {
			t.Fatal(err)
		}
		w := &jsonWriter{}
		w.str(s)
		if got := string(w.bytes()); got != want.String() {
			t.Fatalf("str(%q) = %s, want %s", s, got, want.String())
		}
	})
}

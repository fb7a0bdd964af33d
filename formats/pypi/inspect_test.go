package pypi

import (
	"archive/tar"
	"bytes"
	"encoding/binary"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/stockpile/stockpile/internal/pygen"
)

var foo = pygen.Project{
	Name: "Foo.Bar", Version: "1.0+local.1", Summary: "a test project",
	RequiresPython: ">=3.7, <4",
	RequiresDist:   []string{"baz>=1.0"},
	Description:    "Long description.\n\nWith: colons that are not fields.\n",
}

func inspectBytes(t testing.TB, f format, file string, data []byte) (*Dist, error) {
	t.Helper()
	meta, err := f.Inspect(bytes.NewReader(data), int64(len(data)), file)
	if err != nil {
		return nil, err
	}
	d, err := DecodeMeta(meta)
	if err != nil {
		t.Fatalf("DecodeMeta(Inspect(%s)): %v", file, err)
	}
	return d, nil
}

// mustFn returns a function that unwraps a ([]byte, error) result or
// fails the test.
func mustFn(t testing.TB) func([]byte, error) []byte {
	return func(data []byte, err error) []byte {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
}

func TestInspect(t *testing.T) {
	must := mustFn(t)
	want := func(kind string) *Dist {
		return &Dist{Kind: kind, Name: "Foo.Bar", Version: "1.0+local.1", RequiresPython: ">=3.7, <4", Metadata: string(foo.Metadata())}
	}
	tests := []struct {
		file string
		data []byte
		want *Dist
	}{
		{foo.WheelName(), must(foo.Wheel()), want(Wheel)},
		{foo.SdistName(), must(foo.Sdist()), want(Sdist)},
		{foo.SdistZipName(), must(foo.SdistZip()), want(Sdist)},
		// Other spellings of the same name and version.
		{"foo.bar-1.0+local.1-py3-none-any.whl", must(foo.Wheel()), want(Wheel)},
		{"Foo_Bar-1.0.0+LOCAL.1-1-py3-none-any.whl", must(foo.Wheel()), want(Wheel)},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			got, err := inspectBytes(t, New().(format), tt.file, tt.data)
			if err != nil {
				t.Fatalf("Inspect: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Inspect (-want +got):\n%s", diff)
			}
		})
	}
}

// wheelEntries returns the entries of foo's wheel, changed by edit.
func wheelEntries(edit func([]pygen.Entry) []pygen.Entry) []pygen.Entry {
	di := "foo_bar-1.0+local.1.dist-info/"
	entries := []pygen.Entry{
		{Name: "foo_bar/__init__.py", Data: []byte("x = 1\n")},
		{Name: di + "METADATA", Data: foo.Metadata()},
		{Name: di + "WHEEL", Data: []byte("Wheel-Version: 1.0\nTag: py3-none-any\n")},
		{Name: di + "RECORD", Data: []byte("")},
	}
	if edit != nil {
		entries = edit(entries)
	}
	return entries
}

func sdistEntries(edit func([]pygen.Entry) []pygen.Entry) []pygen.Entry {
	top := "foo_bar-1.0+local.1/"
	entries := []pygen.Entry{
		{Name: top},
		{Name: top + "PKG-INFO", Data: foo.Metadata()},
		{Name: top + "foo_bar/__init__.py", Data: []byte("x = 1\n")},
	}
	if edit != nil {
		entries = edit(entries)
	}
	return entries
}

func add(e ...pygen.Entry) func([]pygen.Entry) []pygen.Entry {
	return func(entries []pygen.Entry) []pygen.Entry { return append(entries, e...) }
}

func replace(name string, data []byte) func([]pygen.Entry) []pygen.Entry {
	return func(entries []pygen.Entry) []pygen.Entry {
		for i := range entries {
			if strings.HasSuffix(entries[i].Name, name) {
				entries[i].Data = data
			}
		}
		return entries
	}
}

func drop(name string) func([]pygen.Entry) []pygen.Entry {
	return func(entries []pygen.Entry) []pygen.Entry {
		var out []pygen.Entry
		for _, e := range entries {
			if !strings.HasSuffix(e.Name, name) {
				out = append(out, e)
			}
		}
		return out
	}
}

// centralHeader returns the offset of the central directory header of the
// entry called name.
func centralHeader(t testing.TB, z []byte, name string) int {
	t.Helper()
	for i := 0; i+46 <= len(z); i++ {
		if binary.LittleEndian.Uint32(z[i:]) != 0x02014b50 {
			continue
		}
		n := int(binary.LittleEndian.Uint16(z[i+28:]))
		if i+46+n <= len(z) && string(z[i+46:i+46+n]) == name {
			return i
		}
	}
	t.Fatalf("no central header for %s", name)
	return 0
}

// declareSize makes the central directory claim size bytes for name.
func declareSize(t testing.TB, z []byte, name string, size uint32) []byte {
	z = bytes.Clone(z)
	binary.LittleEndian.PutUint32(z[centralHeader(t, z, name)+24:], size)
	return z
}

// shareBytes points the entry called name at the bytes of the entry
// called other: the overlapping-entry zip bomb.
func shareBytes(t testing.TB, z []byte, name, other string) []byte {
	z = bytes.Clone(z)
	off := binary.LittleEndian.Uint32(z[centralHeader(t, z, other)+42:])
	binary.LittleEndian.PutUint32(z[centralHeader(t, z, name)+42:], off)
	return z
}

// tarGz writes a tar.gz with raw headers, for entry types pygen does not
// write.
func tarGz(t testing.TB, headers ...*tar.Header) []byte {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, h := range headers {
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if h.Typeflag == tar.TypeReg {
			tw.Write(bytes.Repeat([]byte{'x'}, int(h.Size)))
		}
	}
	tw.Close()
	return pygen.Gzip(buf.Bytes())
}

func TestInspectRefuses(t *testing.T) {
	must := mustFn(t)
	wheel := foo.WheelName()
	sdist := foo.SdistName()
	zipSdist := foo.SdistZipName()
	di := "foo_bar-1.0+local.1.dist-info/"
	top := "foo_bar-1.0+local.1/"
	z := func(edit func([]pygen.Entry) []pygen.Entry) []byte { return must(pygen.Zip(wheelEntries(edit))) }
	tgz := func(edit func([]pygen.Entry) []pygen.Entry) []byte { return must(pygen.TarGz(sdistEntries(edit))) }
	szip := func(edit func([]pygen.Entry) []pygen.Entry) []byte { return must(pygen.Zip(sdistEntries(edit))) }
	small := defaultLimits
	small.members, small.unpacked, small.untarred, small.metadata = 8, 1<<20, 1<<20, 1<<10
	var many []pygen.Entry
	for i := range 9 {
		many = append(many, pygen.Entry{Name: fmt.Sprintf("foo_bar/m%d.py", i)})
	}
	var longNames []pygen.Entry
	for i := range 700 {
		longNames = append(longNames, pygen.Entry{Name: fmt.Sprintf("foo_bar/%0200d.py", i)})
	}
	tiny := defaultLimits
	tiny.directory = 1 << 10

	tests := []struct {
		name string
		file string
		data []byte
		lim  *limits
		err  string
	}{
		{"not a zip", wheel, []byte("not a zip at all"), nil, "not a zip archive"},
		{"unknown extension", "foo-1.0.tar.bz2", tgz(nil), nil, "is not a wheel"},
		{"bad wheel name", "foo-1.0.whl", z(nil), nil, "is not a wheel file name"},
		{"other project", "other-1.0+local.1-py3-none-any.whl", z(nil), nil, `for project "other"`},
		{"other version", "foo_bar-2.0-py3-none-any.whl", z(nil), nil, "for version 2.0"},
		{"dot-dot", wheel, z(add(pygen.Entry{Name: "foo_bar/../../evil.py"})), nil, "leaves the archive"},
		{"absolute", wheel, z(add(pygen.Entry{Name: "/etc/evil"})), nil, "absolute"},
		{"backslash", wheel, z(add(pygen.Entry{Name: `..\evil.py`})), nil, "absolute or not a portable path"},
		{"drive letter", wheel, z(add(pygen.Entry{Name: `C:/evil.py`})), nil, "absolute or not a portable path"},
		{"duplicate METADATA", wheel, z(add(pygen.Entry{Name: di + "METADATA", Data: []byte("Name: evil\n")})), nil, "appears twice"},
		{"symlink", wheel, z(add(pygen.Entry{Name: "foo_bar/link", Link: "/etc/passwd"})), nil, "symbolic link"},
		{"no dist-info", wheel, z(func(e []pygen.Entry) []pygen.Entry { return e[:1] }), nil, "no .dist-info folder"},
		{"two dist-info", wheel, z(add(pygen.Entry{Name: "other-1.0.dist-info/METADATA"})), nil, "2 .dist-info folders"},
		{"no WHEEL", wheel, z(drop("/WHEEL")), nil, "lacks METADATA or WHEEL"},
		{"no METADATA", wheel, z(drop("/METADATA")), nil, "lacks METADATA or WHEEL"},
		{"Wheel-Version 2", wheel, z(replace("/WHEEL", []byte("Wheel-Version: 2.0\n"))), nil, "is not 1.x"},
		{"dist-info of another project", wheel, z(func(e []pygen.Entry) []pygen.Entry {
			for i := range e {
				e[i].Name = strings.Replace(e[i].Name, "foo_bar-", "other-", 1)
			}
			return e
		}), nil, "is not named for project"},
		{"dist-info of another version", wheel, z(func(e []pygen.Entry) []pygen.Entry {
			for i := range e {
				e[i].Name = strings.Replace(e[i].Name, "1.0+local.1.dist-info", "2.0.dist-info", 1)
			}
			return e
		}), nil, "is not named for version"},
		{"METADATA not UTF-8", wheel, z(replace("/METADATA", append(foo.Metadata()[:40:40], 0xff, '\n'))), nil, "not valid UTF-8"},
		{"METADATA smaller than declared", wheel, declareSize(t, z(nil), di+"METADATA", 10), nil, "holds more than the 10 bytes it declares"},
		{"METADATA larger than declared", wheel, declareSize(t, z(nil), di+"METADATA", uint32(len(foo.Metadata())+1000)), nil, "holds fewer than"},
		{"METADATA declared huge", wheel, declareSize(t, z(nil), di+"METADATA", 1<<30), nil, "more than the limit"},
		{"overlapping entries", wheel, shareBytes(t, z(nil), "foo_bar/__init__.py", di+"RECORD"), nil, "overlap"},
		{"too many entries", wheel, z(add(many...)), &small, "more than the limit of 8"},
		{"central directory too big", wheel, z(add(longNames...)), &tiny, "central directory is larger than"},
		{"declared unpacked too big", wheel, declareSize(t, z(nil), di+"RECORD", 2<<20), &small, "more than 1 MiB of unpacked data"},
		{"METADATA over limit", wheel, z(replace("/METADATA", append(foo.Metadata(), bytes.Repeat([]byte("x"), 2000)...))), &small, "more than the limit of 1024"},

		{"sdist not gzip", sdist, []byte("plain"), nil, "not a gzip file"},
		{"sdist not tar", sdist, pygen.Gzip([]byte(strings.Repeat("not a tar ", 100))), nil, "tar:"},
		{"sdist no PKG-INFO", sdist, tgz(drop("/PKG-INFO")), nil, "no PKG-INFO"},
		{"sdist two PKG-INFO elsewhere", "foo_bar-1.0+local.1.tar.gz", must(pygen.TarGz([]pygen.Entry{
			{Name: "a/PKG-INFO", Data: foo.Metadata()}, {Name: "b/PKG-INFO", Data: foo.Metadata()},
		})), nil, "2 PKG-INFO files and none at"},
		{"sdist symlink", sdist, tgz(add(pygen.Entry{Name: top + "link", Link: "../../etc"})), nil, "is a link"},
		{"sdist inner symlink", sdist, tgz(add(pygen.Entry{Name: top + "link", Link: "foo_bar"})), nil, "is a link"},
		{"sdist hard link", sdist, tarGz(t, &tar.Header{Name: top + "PKG-INFO", Typeflag: tar.TypeLink, Linkname: "/etc/passwd"}), nil, "is a link"},
		{"sdist device", sdist, tarGz(t, &tar.Header{Name: top + "dev", Typeflag: tar.TypeChar, Mode: 0o644}), nil, "not a regular file"},
		{"sdist fifo", sdist, tarGz(t, &tar.Header{Name: top + "fifo", Typeflag: tar.TypeFifo, Mode: 0o644}), nil, "not a regular file"},
		{"sdist dot-dot", sdist, tgz(add(pygen.Entry{Name: top + "../evil"})), nil, "leaves the archive"},
		{"sdist absolute", sdist, tgz(add(pygen.Entry{Name: "/tmp/evil"})), nil, "absolute"},
		{"sdist duplicate PKG-INFO", sdist, tgz(add(pygen.Entry{Name: top + "PKG-INFO", Data: []byte("Name: evil\n")})), nil, "appears twice"},
		{"sdist bomb", sdist, tarGz(t, &tar.Header{Name: top + "zeros", Typeflag: tar.TypeReg, Size: 4 << 20, Mode: 0o644}), &small, "unpacks to more than 1 MiB"},
		{"sdist too many entries", sdist, tgz(add(many...)), &small, "more than 8 entries"},
		{"sdist PKG-INFO over limit", sdist, tgz(replace("/PKG-INFO", append(foo.Metadata(), bytes.Repeat([]byte("x"), 2000)...))), &small, "more than the limit of 1024"},
		{"sdist other project", "other-1.0+local.1.tar.gz", must(pygen.TarGz([]pygen.Entry{{Name: "other-1.0+local.1/PKG-INFO", Data: foo.Metadata()}})), nil, "does not start with the project name"},
		{"sdist bad PKG-INFO", sdist, tgz(replace("/PKG-INFO", []byte("Metadata-Version: 2.1\nName: foo_bar\n"))), nil, "no Version field"},
		{"zip sdist symlink", zipSdist, szip(add(pygen.Entry{Name: top + "link", Link: "/etc"})), nil, "symbolic link"},
		{"zip sdist no PKG-INFO", zipSdist, szip(drop("/PKG-INFO")), nil, "no PKG-INFO"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := New().(format)
			if tt.lim != nil {
				f.lim = *tt.lim
			}
			d, err := inspectBytes(t, f, tt.file, tt.data)
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Fatalf("Inspect(%s) = %+v, %v; want an error containing %q", tt.file, d, err, tt.err)
			}
		})
	}
}

// A PKG-INFO elsewhere than <stem>/ is used when it is the only one, and
// the one in <stem>/ wins over others.
func TestSdistPKGInfoChoice(t *testing.T) {
	must := mustFn(t)
	other := foo
	other.Summary = "the other one"
	sdist := foo.SdistName()
	tests := []struct {
		name    string
		entries []pygen.Entry
		want    []byte
	}{
		{"only one, elsewhere", []pygen.Entry{{Name: "src/PKG-INFO", Data: foo.Metadata()}}, foo.Metadata()},
		{"stem wins", []pygen.Entry{
			{Name: "a/PKG-INFO", Data: other.Metadata()},
			{Name: "foo_bar-1.0+local.1/PKG-INFO", Data: foo.Metadata()},
			{Name: "foo_bar-1.0+local.1/foo_bar.egg-info/PKG-INFO", Data: other.Metadata()},
		}, foo.Metadata()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := inspectBytes(t, New().(format), sdist, must(pygen.TarGz(tt.entries)))
			if err != nil {
				t.Fatal(err)
			}
			if d.Metadata != string(tt.want) {
				t.Errorf("Metadata = %q, want %q", d.Metadata, tt.want)
			}
		})
	}
}

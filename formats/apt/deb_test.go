package apt

import (
	"archive/tar"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/klauspost/compress/zstd"

	"github.com/stockpile/stockpile/internal/debgen"
)

var helloControl = debgen.Control{
	Package:       "hello",
	Source:        "hello-src (2.10-3)",
	Version:       "1:2.10-3+b1",
	Architecture:  "amd64",
	Maintainer:    "Jane Doe <jane@example.org>",
	InstalledSize: 12,
	Depends:       "libc6 (>= 2.36)",
	Section:       "utils",
	Priority:      "optional",
	Extra:         []debgen.Field{{Name: "Multi-Arch", Value: "foreign"}, {Name: "Homepage", Value: "https://example.org/hello"}},
	Description:   "say hello\nA friendly program that greets.\n\nIt has a long description.",
}

var helloFiles = map[string][]byte{"usr/bin/hello": []byte("#!/bin/sh\necho hello\n")}

func mustBuild(t testing.TB, o debgen.Options, c debgen.Control, files map[string][]byte) []byte {
	t.Helper()
	deb, err := o.Build(c, files)
	if err != nil {
		t.Fatal(err)
	}
	return deb
}

func inspect(deb []byte) (*Package, error) {
	meta, err := New().Inspect(bytes.NewReader(deb), int64(len(deb)), "x.deb")
	if err != nil {
		return nil, err
	}
	return DecodeMeta(meta)
}

func TestInspect(t *testing.T) {
	want := &Package{
		Control:      helloControl.Text(),
		Package:      "hello",
		Version:      "1:2.10-3+b1",
		Architecture: "amd64",
		Source:       "hello-src",
	}
	debs := map[string][]byte{}
	for _, c := range []debgen.Compression{debgen.Gzip, debgen.XZ, debgen.Zstd, debgen.None} {
		debs["debgen "+string(c)] = mustBuild(t, debgen.Options{Control: c, Data: c}, helloControl, helloFiles)
	}
	// Written by dpkg-deb --root-owner-group -Z<c> --build.
	dpkgDebs, _ := filepath.Glob("testdata/dpkg-deb/*.deb")
	if len(dpkgDebs) == 0 {
		t.Fatal("no testdata/dpkg-deb/*.deb")
	}
	for _, p := range dpkgDebs {
		deb, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		debs[p] = deb
	}
	for name, deb := range debs {
		t.Run(name, func(t *testing.T) {
			got, err := inspect(deb)
			if err != nil {
				t.Fatalf("Inspect: %v", err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("Inspect (-want +got):\n%s", diff)
			}
		})
	}
}

// TestInspectVariants covers archives other tools write: GNU ar names, extra
// members, control without "./".
func TestInspectVariants(t *testing.T) {
	control := []byte("Package: ab\nVersion: 1.0\nArchitecture: all\n")
	ctar := mustTar(t, []debgen.Entry{{Name: "control", Data: control}}, debgen.Gzip)
	tests := map[string][]byte{
		"gnu ar names": debgen.Ar(
			debgen.Member{Name: "debian-binary/", Data: []byte("2.0\n")},
			debgen.Member{Name: "control.tar.gz/", Data: ctar},
			debgen.Member{Name: "data.tar.gz/", Data: nil},
		),
		"underscore members": debgen.Ar(
			debgen.Member{Name: "debian-binary", Data: []byte("2.0\n")},
			debgen.Member{Name: "_gpgorigin", Data: []byte("sig")},
			debgen.Member{Name: "control.tar.gz", Data: ctar},
			debgen.Member{Name: "_extra", Data: nil},
			debgen.Member{Name: "data.tar.bz2", Data: nil},
		),
		"future minor format": debgen.Ar(
			debgen.Member{Name: "debian-binary", Data: []byte("2.1\n")},
			debgen.Member{Name: "control.tar.gz", Data: ctar},
			debgen.Member{Name: "data.tar", Data: []byte("x")},
		),
	}
	for name, deb := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := inspect(deb)
			if err != nil {
				t.Fatalf("Inspect: %v", err)
			}
			if got.Control != string(control) {
				t.Errorf("Control = %q, want %q", got.Control, control)
			}
		})
	}
}

func mustTar(t testing.TB, entries []debgen.Entry, c debgen.Compression) []byte {
	t.Helper()
	b, err := debgen.Tar(entries, c)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// deb assembles a package from a control.tar member.
func deb(name string, ctar []byte) []byte {
	return debgen.Ar(
		debgen.Member{Name: "debian-binary", Data: []byte("2.0\n")},
		debgen.Member{Name: name, Data: ctar},
		debgen.Member{Name: "data.tar.gz", Data: nil},
	)
}

// bomb returns a gzip-compressed tar holding one entry of n zero bytes,
// without holding n bytes in memory.
func bomb(t testing.TB, name string, n int64, c debgen.Compression) []byte {
	t.Helper()
	var buf bytes.Buffer
	var w io.WriteCloser
	switch c {
	case debgen.Zstd:
		zw, err := zstd.NewWriter(&buf, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderConcurrency(1))
		if err != nil {
			t.Fatal(err)
		}
		w = zw
	default:
		t.Fatalf("bomb: compression %q", c)
	}
	tw := tar.NewWriter(w)
	if err := tw.WriteHeader(&tar.Header{Name: name, Size: n, Mode: 0o644, Typeflag: tar.TypeReg}); err != nil {
		t.Fatal(err)
	}
	if _, err := io.CopyN(tw, zeros{}, n); err != nil {
		t.Fatal(err)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// hugeXZDict returns control.tar.xz whose first block asks for a 4 GiB
// dictionary.
func hugeXZDict(t testing.TB) []byte {
	t.Helper()
	b := mustTar(t, []debgen.Entry{{Name: "./control", Data: []byte("Package: ab\n")}}, debgen.XZ)
	b = bytes.Clone(b)
	hsize := (int(b[12]) + 1) * 4
	i := bytes.Index(b[12:12+hsize], []byte{0x21, 0x01})
	if i < 0 {
		t.Fatalf("no LZMA2 filter in block header % x", b[12:12+hsize])
	}
	b[12+i+2] = 40
	return b
}

func TestInspectHostile(t *testing.T) {
	good := mustBuild(t, debgen.Options{}, helloControl, helloFiles)
	ctl := func(entries ...debgen.Entry) []byte { return deb("control.tar", mustTar(t, entries, debgen.None)) }
	control := []byte("Package: ab\nVersion: 1\nArchitecture: all\n")
	raw := func(control string) []byte {
		return mustBuild(t, debgen.Options{RawControl: []byte(control)}, debgen.Control{}, nil)
	}
	oversized := bytes.Clone(good)
	copy(oversized[8+48:8+58], "9999999   ")
	badSize := bytes.Clone(good)
	copy(badSize[8+48:8+58], "4a        ")
	negSize := bytes.Clone(good)
	copy(negSize[8+48:8+58], "-4        ")
	badMagic := bytes.Clone(good)
	copy(badMagic[8+58:8+60], "xx")

	tests := []struct {
		name string
		deb  []byte
		want string
	}{
		{"empty file", nil, "too short"},
		{"not ar", []byte("hello, world\n"), "no ar archive header"},
		{"empty ar", []byte("!<arch>\n"), "empty ar archive"},
		{"truncated header", good[:8+30], "truncated header"},
		{"truncated in control", good[:8+60+4+60+10], "claims"},
		{"truncated before data header", good[:len(good)-len(mustDataMember(t, good))+30], "truncated header"},
		{"truncated in data", good[:len(good)-5], "claims"},
		{"member beyond the file", oversized, "claims 9999999 bytes"},
		{"size not a number", badSize, "invalid size"},
		{"negative size", negSize, "invalid size"},
		{"bad header end", badMagic, "bad header"},
		{"bad member name", debgen.Ar(debgen.Member{Name: "debian\x01binary"}), "invalid name"},
		{"slash in member name", debgen.Ar(debgen.Member{Name: "a/b"}), "invalid name"},
		{"first member", debgen.Ar(debgen.Member{Name: "control.tar.gz"}), `first member is "control.tar.gz"`},
		{"format 1.0", debgen.Ar(debgen.Member{Name: "debian-binary", Data: []byte("1.0\n")}), "unsupported package format version"},
		{"format 3.0", debgen.Ar(debgen.Member{Name: "debian-binary", Data: []byte("3.0\n")}), "unsupported package format version"},
		{"long debian-binary", debgen.Ar(debgen.Member{Name: "debian-binary", Data: bytes.Repeat([]byte("2"), 100)}), "too long"},
		{"no control member", debgen.Ar(debgen.Member{Name: "debian-binary", Data: []byte("2.0\n")}), "no control.tar member"},
		{"data before control", debgen.Ar(debgen.Member{Name: "debian-binary", Data: []byte("2.0\n")}, debgen.Member{Name: "data.tar.gz"}), `"data.tar.gz", want control.tar`},
		{"bzip2 control", deb("control.tar.bz2", nil), `"control.tar.bz2", want control.tar`},
		{"no data member", debgen.Ar(debgen.Member{Name: "debian-binary", Data: []byte("2.0\n")}, debgen.Member{Name: "control.tar", Data: mustTar(t, []debgen.Entry{{Name: "control", Data: control}}, debgen.None)}), "no data.tar member"},
		{"corrupt gzip", deb("control.tar.gz", []byte("\x1f\x8b\x08\x00garbage")), "control.tar.gz"},
		{"not gzip", deb("control.tar.gz", []byte("plain")), "control.tar.gz"},
		{"corrupt xz", deb("control.tar.xz", []byte("\xfd7zXZ\x00garbage")), "control.tar.xz"},
		{"corrupt zstd", deb("control.tar.zst", []byte("\x28\xb5\x2f\xfdgarbage")), "control.tar.zst"},
		{"huge xz dictionary", deb("control.tar.xz", hugeXZDict(t)), "xz dictionary of 4095 MiB"},
		{"bomb", deb("control.tar.zst", bomb(t, "./md5sums", maxControlTar+1, debgen.Zstd)), "unpacks to more than 64 MiB"},
		{"huge control", deb("control.tar.zst", bomb(t, "./control", maxControlFile+1, debgen.Zstd)), "control file is 1048577 bytes"},
		{"traversal", ctl(debgen.Entry{Name: "../control", Data: control}), `entry "../control" is absolute or leaves the archive`},
		{"nested traversal", ctl(debgen.Entry{Name: "./a/../../etc/x", Data: nil}), "leaves the archive"},
		{"absolute", ctl(debgen.Entry{Name: "/etc/passwd", Data: nil}), `entry "/etc/passwd" is absolute`},
		{"symlink control", ctl(debgen.Entry{Name: "./control", Type: tar.TypeSymlink, Linkname: "/etc/shadow"}), "control is a link"},
		{"hardlink control", ctl(debgen.Entry{Name: "./md5sums", Data: control}, debgen.Entry{Name: "./control", Type: tar.TypeLink, Linkname: "./md5sums"}), "control is a link"},
		{"control folder", ctl(debgen.Entry{Name: "./control/", Type: tar.TypeDir}), "control is not a regular file"},
		{"two controls", ctl(debgen.Entry{Name: "./control", Data: control}, debgen.Entry{Name: "control", Data: control}), "two control files"},
		{"no control", ctl(debgen.Entry{Name: "./md5sums", Data: control}), "no control file"},
		{"not a tar", deb("control.tar", []byte(strings.Repeat("x", 1024))), "control.tar"},
		{"empty control", raw(""), "control file is empty"},
		{"comment in control", raw("# x\nPackage: ab\n"), "comments are not allowed"},
		{"missing version", raw("Package: ab\nArchitecture: all\n"), "no Version field"},
		{"bad version", raw("Package: ab\nVersion: 1.0_1\nArchitecture: all\n"), "not allowed in the upstream version"},
		{"bad name", raw("Package: AB\nVersion: 1\nArchitecture: all\n"), "package name \"AB\" is invalid"},
		{"two paragraphs", raw("Package: ab\nVersion: 1\nArchitecture: all\n\nPackage: cd\n"), "more than one paragraph"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := inspect(tc.deb)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Inspect = %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

// mustDataMember returns the data.tar member (header and data) of a package
// debgen built: the last member.
func mustDataMember(t testing.TB, deb []byte) []byte {
	t.Helper()
	i := bytes.LastIndex(deb, []byte("data.tar"))
	if i < 0 {
		t.Fatal("no data.tar member")
	}
	return deb[i:]
}

// TestInspectTruncations checks that every truncation is reported, never
// a panic or a partial result.
func TestInspectTruncations(t *testing.T) {
	for _, c := range []debgen.Compression{debgen.Gzip, debgen.XZ, debgen.Zstd, debgen.None} {
		good := mustBuild(t, debgen.Options{Control: c, Data: c}, helloControl, helloFiles)
		for n := 0; n < len(good); n++ {
			if _, err := inspect(good[:n]); err == nil && n < len(good)-1 {
				// Only the final padding byte may be missing.
				t.Errorf("%s: Inspect of the first %d of %d bytes succeeded", c, n, len(good))
			}
		}
	}
}

func FuzzInspect(f *testing.F) {
	for _, c := range []debgen.Compression{debgen.Gzip, debgen.XZ, debgen.Zstd, debgen.None} {
		deb, err := debgen.Options{Control: c}.Build(helloControl, helloFiles)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(deb)
	}
	seeds, _ := filepath.Glob("testdata/dpkg-deb/*.deb")
	for _, p := range seeds {
		deb, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(deb)
	}
	// A lower cap on control.tar keeps each run fast; the code paths are
	// the same.
	format := format{maxControlTar: 1 << 20}
	f.Fuzz(func(t *testing.T, deb []byte) {
		meta, err := format.Inspect(bytes.NewReader(deb), int64(len(deb)), "fuzz.deb")
		if err != nil {
			return
		}
		pkg, err := DecodeMeta(meta)
		if err != nil {
			t.Fatalf("DecodeMeta of Inspect's result: %v", err)
		}
		if !packageName.MatchString(pkg.Package) || checkVersion(pkg.Version) != nil || !archName.MatchString(pkg.Architecture) {
			t.Fatalf("Inspect accepted %+v", pkg)
		}
		if strings.Contains(pkg.Control, "\n\n") {
			t.Fatalf("control %q has a blank line", pkg.Control)
		}
	})
}

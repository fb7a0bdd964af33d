package debgen

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var hello = Control{
	Package:       "hello",
	Version:       "1:2.10-3+b1",
	Architecture:  "amd64",
	Maintainer:    "Jane Doe <jane@example.org>",
	InstalledSize: 12,
	Depends:       "libc6 (>= 2.36)",
	Section:       "utils",
	Priority:      "optional",
	Extra:         []Field{{"Multi-Arch", "foreign"}},
	Description:   "say hello\nA friendly program.\n\nIt greets.",
}

func TestText(t *testing.T) {
	want := `Package: hello
Version: 1:2.10-3+b1
Architecture: amd64
Maintainer: Jane Doe <jane@example.org>
Installed-Size: 12
Depends: libc6 (>= 2.36)
Section: utils
Priority: optional
Multi-Arch: foreign
Description: say hello
 A friendly program.
 .
 It greets.
`
	if diff := cmp.Diff(want, hello.Text()); diff != "" {
		t.Errorf("Text() (-want +got):\n%s", diff)
	}
}

func TestDeterministic(t *testing.T) {
	files := map[string][]byte{"usr/bin/hello": []byte("#!/bin/sh\n"), "usr/share/doc/hello/copyright": []byte("MIT\n")}
	for _, c := range []Compression{Gzip, XZ, Zstd, None} {
		t.Run(string(c), func(t *testing.T) {
			o := Options{Control: c, Data: c}
			a, err := o.Build(hello, files)
			if err != nil {
				t.Fatal(err)
			}
			b, err := o.Build(hello, files)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(a, b) {
				t.Error("two builds differ")
			}
			if !bytes.HasPrefix(a, []byte("!<arch>\ndebian-binary   ")) {
				t.Errorf("archive starts with %q", a[:24])
			}
		})
	}
}

func TestBuildRejectsBadNames(t *testing.T) {
	for _, name := range []string{"../etc/passwd", "/abs", "a//b", ""} {
		if _, err := Build(hello, map[string][]byte{name: nil}); err == nil {
			t.Errorf("Build with file %q: no error", name)
		}
	}
}

// TestDpkgDeb checks that dpkg-deb reads what Build writes.
func TestDpkgDeb(t *testing.T) {
	if testing.Short() {
		t.Skip("runs dpkg-deb")
	}
	if _, err := exec.LookPath("dpkg-deb"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("dpkg-deb is missing")
		}
		t.Skip("dpkg-deb is missing")
	}
	files := map[string][]byte{"usr/bin/hello": []byte("#!/bin/sh\necho hello\n"), "usr/share/doc/hello/copyright": []byte("MIT\n")}
	for _, c := range []Compression{Gzip, XZ, Zstd, None} {
		t.Run(string(c), func(t *testing.T) {
			deb, err := Options{Control: c, Data: c}.Build(hello, files)
			if err != nil {
				t.Fatal(err)
			}
			p := filepath.Join(t.TempDir(), "hello.deb")
			if err := os.WriteFile(p, deb, 0o644); err != nil {
				t.Fatal(err)
			}
			out, err := exec.Command("dpkg-deb", "--field", p).CombinedOutput()
			if err != nil {
				t.Fatalf("dpkg-deb --field: %v\n%s", err, out)
			}
			if diff := cmp.Diff(hello.Text(), string(out)); diff != "" {
				t.Errorf("dpkg-deb --field (-want +got):\n%s", diff)
			}
			out, err = exec.Command("dpkg-deb", "--contents", p).CombinedOutput()
			if err != nil {
				t.Fatalf("dpkg-deb --contents: %v\n%s", err, out)
			}
			for _, want := range []string{"./usr/bin/hello", "./usr/share/doc/hello/copyright", "-rwxr-xr-x root/root"} {
				if !strings.Contains(string(out), want) {
					t.Errorf("dpkg-deb --contents lacks %q:\n%s", want, out)
				}
			}
			dir := t.TempDir()
			if out, err := exec.Command("dpkg-deb", "--extract", p, dir).CombinedOutput(); err != nil {
				t.Fatalf("dpkg-deb --extract: %v\n%s", err, out)
			}
			got, err := os.ReadFile(filepath.Join(dir, "usr/bin/hello"))
			if err != nil || !bytes.Equal(got, files["usr/bin/hello"]) {
				t.Errorf("extracted usr/bin/hello = %q, %v", got, err)
			}
		})
	}
}

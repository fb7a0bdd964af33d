package pypi

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestNormalize(t *testing.T) {
	for in, want := range map[string]string{
		"friendly-bard":      "friendly-bard",
		"Friendly-Bard":      "friendly-bard",
		"FRIENDLY-BARD":      "friendly-bard",
		"friendly.bard":      "friendly-bard",
		"friendly_bard":      "friendly-bard",
		"friendly--bard":     "friendly-bard",
		"FrIeNdLy-._.-bArD":  "friendly-bard",
		"Stockpile.Greeting": "stockpile-greeting",
	} {
		if got := Normalize(in); got != want {
			t.Errorf("Normalize(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestValidName(t *testing.T) {
	for _, ok := range []string{"a", "A1", "foo.bar_baz-2", "Django"} {
		if !ValidName(ok) {
			t.Errorf("ValidName(%q) = false", ok)
		}
	}
	for _, bad := range []string{"", "-a", "a-", "a b", "a/b", "ü", "a.", strings.Repeat("a", 201)} {
		if ValidName(bad) {
			t.Errorf("ValidName(%q) = true", bad)
		}
	}
}

func TestParseWheelName(t *testing.T) {
	tests := []struct {
		file, name, version string
	}{
		{"foo-1.0-py3-none-any.whl", "foo", "1.0"},
		{"foo_bar-1.0-py3-none-any.whl", "foo-bar", "1.0"},
		{"Foo.Bar-1.0.post1-1-cp311-cp311-manylinux_2_17_x86_64.whl", "Foo.Bar", "1.0.post1"},
		{"foo-1.0+local.1-py2.py3-none-any.whl", "foo", "1.0+local.1"},
		{"foo-1!2.0-py3-none-any.whl", "foo", "1!2.0"},
		{"foo-1.0_1-py3-none-any.whl", "foo", "1.0-1"},
	}
	for _, tt := range tests {
		name, version, err := parseWheelName(tt.file)
		if err != nil || name != tt.name || version != tt.version {
			t.Errorf("parseWheelName(%q) = %q, %q, %v; want %q, %q", tt.file, name, version, err, tt.name, tt.version)
		}
	}
	for _, bad := range []string{"foo-1.0.whl", "foo-1.0-py3-none.whl", "foo-1.0-py3-none-any.zip", "foo 1.0-py3-none-any.whl", "-1.0-py3-none-any.whl"} {
		if _, _, err := parseWheelName(bad); err == nil {
			t.Errorf("parseWheelName(%q) = nil error", bad)
		}
	}
}

func TestCheckFileName(t *testing.T) {
	tests := []struct {
		file, kind, name, version string
		err                       string // "" for none
	}{
		{"foo-1.0-py3-none-any.whl", Wheel, "Foo", "1.0", ""},
		{"foo_bar-1.0-py3-none-any.whl", Wheel, "foo.bar", "1.0.0", ""},
		{"foo-1.0+local-py3-none-any.whl", Wheel, "foo", "1.0+LOCAL", ""},
		{"foo-1.0-py3-none-any.whl", Wheel, "bar", "1.0", `for project "foo"`},
		{"foo-1.0-py3-none-any.whl", Wheel, "foo", "1.1", "for version 1.0"},
		{"foo-1.0.tar.gz", Sdist, "foo", "1.0", ""},
		{"foo-bar-1.0-1.tar.gz", Sdist, "foo_bar", "1.0.post1", ""},
		{"Foo_Bar-1.0.zip", Sdist, "foo-bar", "1.0", ""},
		{"foo-1.0.tar.gz", Sdist, "foobar", "1.0", "does not start with the project name"},
		{"foo-2.0.tar.gz", Sdist, "foo", "1.0", "for version 2.0"},
		{"foo-1.0.tar.gz", Wheel, "foo", "1.0", "file name says sdist"},
		{"foo-1.0.tar.bz2", Sdist, "foo", "1.0", "is not a wheel"},
		{"foo-latest.tar.gz", Sdist, "foo", "1.0", "not a PEP 440 version"},
	}
	for _, tt := range tests {
		_, err := checkFileName(tt.file, tt.kind, tt.name, tt.version)
		switch {
		case tt.err == "" && err != nil:
			t.Errorf("checkFileName(%q, %s, %s, %s): %v", tt.file, tt.kind, tt.name, tt.version, err)
		case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
			t.Errorf("checkFileName(%q, %s, %s, %s) = %v, want an error containing %q", tt.file, tt.kind, tt.name, tt.version, err, tt.err)
		}
	}
}

func TestParseMetadata(t *testing.T) {
	in := "Metadata-Version: 2.1\r\nName: foo\nVersion:1.0\nSummary: a\n  folded line\nRequires-Dist: bar\nRequires-Dist: baz; extra == 'x'\n\nBody: not a field\n"
	m, err := ParseMetadata([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []Field{
		{"Metadata-Version", "2.1"}, {"Name", "foo"}, {"Version", "1.0"}, {"Summary", "a\n  folded line"},
		{"Requires-Dist", "bar"}, {"Requires-Dist", "baz; extra == 'x'"},
	}
	if diff := cmp.Diff(want, m.Fields); diff != "" {
		t.Errorf("fields (-want +got):\n%s", diff)
	}
	if got := m.Get("requires-dist"); got != "bar" {
		t.Errorf("Get(requires-dist) = %q", got)
	}
}

func TestMetadataErrors(t *testing.T) {
	const ok = "Metadata-Version: 2.1\nName: foo\nVersion: 1.0\n"
	tests := []struct {
		name, in, err string
	}{
		{"not UTF-8", ok + "Summary: \xff\n", "not valid UTF-8"},
		{"NUL", ok + "Summary: \x00\n", "NUL"},
		{"continuation first", " x\n" + ok, "continuation line before any field"},
		{"no colon", ok + "garbage\n", `"garbage" is not a "Name: value" field`},
		{"space in name", "Meta data: 1\n" + ok, "is not a"},
		{"no name", "Metadata-Version: 2.1\nVersion: 1.0\n", "no Name field"},
		{"no version", "Metadata-Version: 2.1\nName: foo\n", "no Version field"},
		{"no metadata version", "Name: foo\nVersion: 1.0\n", "no Metadata-Version"},
		{"two names", ok + "Name: bar\n", "2 Name fields"},
		{"bad name", "Metadata-Version: 2.1\nName: foo bar\nVersion: 1.0\n", "not a valid project name"},
		{"bad version", "Metadata-Version: 2.1\nName: foo\nVersion: latest\n", "not a PEP 440 version"},
		{"bad metadata version", "Metadata-Version: two\nName: foo\nVersion: 1.0\n", "Metadata-Version"},
		{"bad requires-python", ok + "Requires-Python: 3.7\n", "Requires-Python"},
		{"two requires-python", ok + "Requires-Python: >=3.7\nRequires-Python: >=3.8\n", "2 Requires-Python"},
		{"too big", ok + strings.Repeat("x", maxMetadata), "larger than the limit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := ParseMetadata([]byte(tt.in))
			if err == nil {
				_, _, _, err = m.core()
			}
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("error = %v, want one containing %q", err, tt.err)
			}
		})
	}
}

func TestMetadataCore(t *testing.T) {
	m, err := ParseMetadata([]byte("Metadata-Version: 2.1\nName:  Foo.Bar \nVersion: 1.0\nRequires-Python: >=3.7,\n  <4\n"))
	if err != nil {
		t.Fatal(err)
	}
	name, version, rp, err := m.core()
	if err != nil || name != "Foo.Bar" || version != "1.0" || rp != ">=3.7, <4" {
		t.Errorf("core() = %q, %q, %q, %v", name, version, rp, err)
	}
}

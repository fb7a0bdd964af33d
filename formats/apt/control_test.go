package apt

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseControl(t *testing.T) {
	tests := []struct {
		name   string
		in     string
		text   string
		fields []field
	}{
		{
			name: "simple",
			in:   "Package: hello\nVersion: 1.0\nArchitecture: all\n",
			text: "Package: hello\nVersion: 1.0\nArchitecture: all\n",
			fields: []field{
				{"Package", "hello"}, {"Version", "1.0"}, {"Architecture", "all"},
			},
		},
		{
			name: "folded lines, odd spacing, no final newline",
			in:   "Package:hello\nDescription:  short  \n long line\n .\n\tmore\nX-Empty:\nDepends: a,\n b",
			text: "Package:hello\nDescription:  short  \n long line\n .\n\tmore\nX-Empty:\nDepends: a,\n b\n",
			fields: []field{
				{"Package", "hello"},
				{"Description", "short\n long line\n .\n\tmore"},
				{"X-Empty", ""},
				{"Depends", "a,\n b"},
			},
		},
		{
			name:   "leading and trailing blank lines are dropped",
			in:     "\n  \nPackage: a1\n\n\n \t\n",
			text:   "Package: a1\n",
			fields: []field{{"Package", "a1"}},
		},
		{
			name:   "value with a colon",
			in:     "Homepage: https://example.org:8080/x\n",
			text:   "Homepage: https://example.org:8080/x\n",
			fields: []field{{"Homepage", "https://example.org:8080/x"}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := parseControl([]byte(tc.in))
			if err != nil {
				t.Fatalf("parseControl: %v", err)
			}
			if diff := cmp.Diff(tc.text, p.Text); diff != "" {
				t.Errorf("Text (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.fields, p.Fields, cmp.AllowUnexported(field{})); diff != "" {
				t.Errorf("Fields (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseControlErrors(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"empty", "", "empty"},
		{"blank only", "\n \n", "empty"},
		{"comment", "# hi\nPackage: a\n", "comments are not allowed"},
		{"two paragraphs", "Package: a\n\nPackage: b\n", "more than one paragraph"},
		{"whitespace line separates", "Package: a\n \t\nVersion: 1\n", "more than one paragraph"},
		{"continuation first", " x\nPackage: a\n", "continuation line before the first field"},
		{"no colon", "Package a\n", "is not a field"},
		{"bad field name", "-Package: a\n", "invalid field name"},
		{"space in field name", "Pack age: a\n", "invalid field name"},
		{"duplicate field", "Package: a\nVersion: 1\npackage: b\n", "field package repeats line 1"},
		{"carriage return", "Package: a\r\n", "control character"},
		{"nul", "Package: a\x00\n", "control character"},
		{"invalid utf-8", "Package: a\nDescription: \xff\n", "not valid UTF-8"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseControl([]byte(tc.in))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("parseControl(%q) = %v, want an error containing %q", tc.in, err, tc.want)
			}
		})
	}
}

func TestPackageOf(t *testing.T) {
	tests := []struct {
		name, in string
		want     *Package
		err      string
	}{
		{
			name: "minimal",
			in:   "Package: hello\nVersion: 1.0-1\nArchitecture: amd64\n",
			want: &Package{Package: "hello", Version: "1.0-1", Architecture: "amd64", Source: "hello"},
		},
		{
			name: "source with version",
			in:   "Package: libfoo++1\nSource: foo (1:1.0-1)\nVersion: 1:1.0-1+b2\nArchitecture: all\n",
			want: &Package{Package: "libfoo++1", Version: "1:1.0-1+b2", Architecture: "all", Source: "foo"},
		},
		{
			name: "source without version",
			in:   "Package: hello\nSource: hello-src\nVersion: 2.0\nArchitecture: arm64\n",
			want: &Package{Package: "hello", Version: "2.0", Architecture: "arm64", Source: "hello-src"},
		},
		{name: "no package", in: "Version: 1\nArchitecture: all\n", err: "no Package field"},
		{name: "no version", in: "Package: ab\nArchitecture: all\n", err: "no Version field"},
		{name: "no architecture", in: "Package: ab\nVersion: 1\n", err: "no Architecture field"},
		{name: "uppercase name", in: "Package: Hello\nVersion: 1\nArchitecture: all\n", err: "package name \"Hello\" is invalid"},
		{name: "one-letter name", in: "Package: a\nVersion: 1\nArchitecture: all\n", err: "is invalid"},
		{name: "name with slash", in: "Package: a/../b\nVersion: 1\nArchitecture: all\n", err: "is invalid"},
		{name: "folded name", in: "Package: ab\n cd\nVersion: 1\nArchitecture: all\n", err: "is invalid"},
		{name: "bad version", in: "Package: ab\nVersion: v1\nArchitecture: all\n", err: "must start with a digit"},
		{name: "two architectures", in: "Package: ab\nVersion: 1\nArchitecture: amd64 arm64\n", err: "architecture \"amd64 arm64\" is invalid"},
		{name: "bad source", in: "Package: ab\nSource: ../x\nVersion: 1\nArchitecture: all\n", err: "Source \"../x\""},
		{name: "source junk", in: "Package: ab\nSource: x y z\nVersion: 1\nArchitecture: all\n", err: "Source \"x y z\""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := parseControl([]byte(tc.in))
			if err != nil {
				t.Fatal(err)
			}
			got, err := packageOf(p)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("packageOf = %v, want an error containing %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tc.want.Control = tc.in
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("packageOf (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPackageField(t *testing.T) {
	p := &Package{Control: "Package: ab\nDescription: short\n long\n"}
	if got, want := p.Field("description"), "short\n long"; got != want {
		t.Errorf("Field(description) = %q, want %q", got, want)
	}
	if got := p.Field("Depends"); got != "" {
		t.Errorf("Field(Depends) = %q, want empty", got)
	}
}

func FuzzParseControl(f *testing.F) {
	for _, s := range []string{
		"Package: hello\nVersion: 1:2.10-3\nArchitecture: amd64\nDescription: x\n y\n .\n z\n",
		"Package: ab\nSource: cd (1.0)\nVersion: 1.0~rc1+dfsg-1\nArchitecture: all\n\n",
		"\n# c\nPackage: a\r\n",
		"Package: ab\n\nVersion: 1\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := parseControl(data)
		if err != nil {
			return
		}
		// The kept text parses to the same fields.
		again, err := parseControl([]byte(p.Text))
		if err != nil {
			t.Fatalf("reparsing %q: %v", p.Text, err)
		}
		if diff := cmp.Diff(p, again, cmp.AllowUnexported(field{})); diff != "" {
			t.Fatalf("reparse differs (-first +second):\n%s", diff)
		}
		if strings.Contains(p.Text, "\n\n") || !strings.HasSuffix(p.Text, "\n") {
			t.Fatalf("text %q has a blank line or no final newline", p.Text)
		}
		pkg, err := packageOf(p)
		if err != nil {
			return
		}
		if checkVersion(pkg.Version) != nil || !packageName.MatchString(pkg.Source) {
			t.Fatalf("packageOf accepted %+v", pkg)
		}
	})
}

package npm

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestValidName(t *testing.T) {
	tests := []struct {
		name string
		ok   bool
	}{
		{"left-pad", true},
		{"a", true},
		{"lodash.merge", true},
		{"under_score", true},
		{"x-1.io", true},
		{"events", true}, // a core module name: allowed on purpose
		{"@scope/name", true},
		{"@s-1/n.x", true},
		{"@scope/_private", true},
		{"@scope/-dash", true},
		{strings.Repeat("a", 214), true},
		{strings.Repeat("a", 215), false},
		{"", false},
		{".hidden", false},
		{"_under", false},
		{"-dash", false},
		{"Capital", false},
		{"@Scope/name", false},
		{"node_modules", false},
		{"favicon.ico", false},
		{"with space", false},
		{" lead", false},
		{"slash/name", false},
		{"@scope", false},
		{"@/name", false},
		{"@scope/", false},
		{"@scope/.dot", false},
		{"@scope/a/b", false},
		{"tilde~", false},
		{"bang!", false},
		{"paren(", false},
		{"star*", false},
		{"quote'", false},
		{"ünicode", false},
		{"percent%2f", false},
		{"colon:x", false},
		{"..", false},
		{"@../x", true}, // npm accepts it; "@.." is no dot segment
		{"@scope/..", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidName(tt.name)
			if (err == nil) != tt.ok {
				t.Errorf("ValidName(%q) = %v, want ok=%v", tt.name, err, tt.ok)
			}
		})
	}
}

func TestFileNames(t *testing.T) {
	tests := []struct {
		name, version string
		want          []string
	}{
		{"left-pad", "1.3.0", []string{"left-pad-1.3.0.tgz"}},
		{"@scope/name", "1.0.0-rc.1+b.2", []string{"name-1.0.0-rc.1+b.2.tgz", "scope-name-1.0.0-rc.1+b.2.tgz", "name-1.0.0-rc.1.tgz", "scope-name-1.0.0-rc.1.tgz"}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, fileNames(tt.name, tt.version)); diff != "" {
			t.Errorf("fileNames(%q, %q) (-want +got):\n%s", tt.name, tt.version, diff)
		}
		for _, f := range tt.want {
			if err := checkFileName(f, tt.name, tt.version); err != nil {
				t.Errorf("checkFileName(%q): %v", f, err)
			}
		}
	}
	if err := checkFileName("other-1.0.0.tgz", "left-pad", "1.0.0"); err == nil || !strings.Contains(err.Error(), "left-pad-1.0.0.tgz") {
		t.Errorf("checkFileName of a mismatch = %v, want an error naming the expected file", err)
	}
}

package config

import (
	"strings"
	"testing"
	"testing/fstest"
)

func TestSourceURL(t *testing.T) {
	tests := []struct {
		name, line, want, err string
	}{
		{"unset", "", "", ""},
		{"prefix kept", "source_url: https://github.com/org/reg/blob/main/\n", "https://github.com/org/reg/blob/main/", ""},
		{"slash added", "source_url: https://git.example.org/reg/src/main\n", "https://git.example.org/reg/src/main/", ""},
		{"not http", "source_url: ftp://example.org/\n", "", "repos.yaml:2: source_url"},
		{"relative", "source_url: reg/blob/main/\n", "", "repos.yaml:2: source_url"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := "name: test\n" + tc.line + "repositories:\n  - name: pypi\n    format: pypi\n"
			reg, err := Load(fstest.MapFS{"repos.yaml": {Data: []byte(cfg)}})
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want one containing %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if reg.SourceURL != tc.want {
				t.Errorf("SourceURL = %q, want %q", reg.SourceURL, tc.want)
			}
		})
	}
}

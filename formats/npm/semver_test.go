package npm

import (
	"strings"
	"testing"
)

func TestParseSemver(t *testing.T) {
	valid := []string{
		"0.0.0", "1.2.3", "10.20.30", "1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-0.3.7",
		"1.0.0-x.7.z.92", "1.0.0-x-y-z.--", "1.0.0+20130313144700", "1.0.0-beta+exp.sha.5114f85",
		"1.0.0+21AF26D3----117B344092BD", "9007199254740991.0.0", "1.0.0-rc.1+build.123",
	}
	for _, v := range valid {
		if _, err := parseSemver(v); err != nil {
			t.Errorf("parseSemver(%q): %v", v, err)
		}
	}
	invalid := []string{
		"", "1", "1.2", "1.2.3.4", "v1.2.3", "=1.2.3", " 1.2.3", "1.2.3 ", "01.2.3", "1.02.3", "1.2.03",
		"1.2.3-", "1.2.3+", "1.2.3-01", "1.2.3-a..b", "1.2.3+a..b", "1.2.3-a_b", "1.2.3+ä",
		"9007199254740992.0.0", "1.0.0-9007199254740992", "-1.0.0", "1.0.0-" + strings.Repeat("a", 300),
		"1.2.x", "1.2.3 || 2", "^1.2.3",
	}
	for _, v := range invalid {
		if _, err := parseSemver(v); err == nil {
			t.Errorf("parseSemver(%q) = nil error, want one", v)
		}
	}
}

func TestSemverOrder(t *testing.T) {
	// Ascending, from the SemVer 2.0.0 specification and node-semver.
	order := []string{
		"0.0.1", "0.1.0", "1.0.0-0", "1.0.0-1", "1.0.0-2", "1.0.0-10", "1.0.0-alpha", "1.0.0-alpha.1",
		"1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0",
		"1.0.1", "1.1.0", "1.9.0", "1.10.0", "1.11.0", "2.0.0-alpha", "2.0.0", "10.0.0",
	}
	for i := range order {
		for j := range order {
			a, _ := parseSemver(order[i])
			b, _ := parseSemver(order[j])
			got := a.compare(b)
			want := 0
			switch {
			case i < j:
				want = -1
			case i > j:
				want = 1
			}
			if got != want {
				t.Errorf("compare(%s, %s) = %d, want %d", order[i], order[j], got, want)
			}
		}
	}
	a, _ := parseSemver("1.0.0+a")
	b, _ := parseSemver("1.0.0+b")
	if a.compare(b) != 0 {
		t.Errorf("build metadata changed precedence")
	}
}

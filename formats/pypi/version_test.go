package pypi

import (
	"math/rand"
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseVersion(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"1.0", "1.0"},
		{"v1.0", "1.0"},
		{" 1.0 ", "1.0"},
		{"01.002.0003", "1.2.3"},
		{"1!2.0", "1!2.0"},
		{"0!2.0", "2.0"},
		{"1.0a1", "1.0a1"},
		{"1.0-alpha.1", "1.0a1"},
		{"1.0ALPHA", "1.0a0"},
		{"1.0b2", "1.0b2"},
		{"1.0beta2", "1.0b2"},
		{"1.0c1", "1.0rc1"},
		{"1.0pre1", "1.0rc1"},
		{"1.0preview_1", "1.0rc1"},
		{"1.0-1", "1.0.post1"},
		{"1.0post", "1.0.post0"},
		{"1.0.rev3", "1.0.post3"},
		{"1.0r3", "1.0.post3"},
		{"1.0.dev", "1.0.dev0"},
		{"1.0-dev_7", "1.0.dev7"},
		{"1.0rc1.post2.dev3", "1.0rc1.post2.dev3"},
		{"1.0+Local.7", "1.0+local.7"},
		{"1.0+ubuntu-1_007", "1.0+ubuntu.1.7"},
		{"1.2+demo", "1.2+demo"},
		{"123456789012345678901234567890.0", "123456789012345678901234567890.0"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			v, err := ParseVersion(tt.in)
			if err != nil {
				t.Fatalf("ParseVersion(%q): %v", tt.in, err)
			}
			if got := v.String(); got != tt.want {
				t.Errorf("ParseVersion(%q).String() = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseVersionInvalid(t *testing.T) {
	for _, in := range []string{"", "1.0.", ".1", "1..0", "a1", "1.0+", "1.0+local+x", "1.0 beta", "1.0-", "1.0_", "latest", "1.0\n1.1", "1,0", "1.0+ü"} {
		if v, err := ParseVersion(in); err == nil {
			t.Errorf("ParseVersion(%q) = %v, want an error", in, v)
		}
	}
}

// ordered lists versions in PEP 440 order (packaging's test suite order).
var ordered = []string{
	"1.0.dev456", "1.0a1", "1.0a2.dev456", "1.0a12.dev456", "1.0a12",
	"1.0b1.dev456", "1.0b2", "1.0b2.post345.dev456", "1.0b2.post345",
	"1.0rc1.dev456", "1.0rc1", "1.0", "1.0+abc.5", "1.0+abc.7", "1.0+5",
	"1.0.post456.dev34", "1.0.post456", "1.0.15", "1.1.dev1",
	"1.2+123abc", "1.2+123abc456", "1.2+abc", "1.2+abc123", "1.2+abc123def", "1.2+1234.abc", "1.2+123456",
	"2.0", "10.0", "1!0.1",
}

func TestCompareVersions(t *testing.T) {
	parsed := make([]Version, len(ordered))
	for i, s := range ordered {
		v, err := ParseVersion(s)
		if err != nil {
			t.Fatal(err)
		}
		parsed[i] = v
	}
	for i := range parsed {
		for j := range parsed {
			want := cmpInt(i, j)
			if got := parsed[i].Compare(parsed[j]); got != want {
				t.Errorf("Compare(%s, %s) = %d, want %d", ordered[i], ordered[j], got, want)
			}
		}
	}
	shuffled := append([]Version(nil), parsed...)
	rand.New(rand.NewSource(1)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	sort.Slice(shuffled, func(i, j int) bool { return shuffled[i].Compare(shuffled[j]) < 0 })
	var got []string
	for _, v := range shuffled {
		got = append(got, v.String())
	}
	if diff := cmp.Diff(ordered, got); diff != "" {
		t.Errorf("sorted (-want +got):\n%s", diff)
	}
}

func TestCompareEqual(t *testing.T) {
	for _, pair := range [][2]string{{"1.0", "1.0.0"}, {"1.0", "1.0.0.0"}, {"1.0+ABC", "1.0+abc"}, {"1.0-1", "1.0.post1"}, {"0!1", "1"}} {
		a, _ := ParseVersion(pair[0])
		b, _ := ParseVersion(pair[1])
		if a.Compare(b) != 0 {
			t.Errorf("Compare(%s, %s) = %d, want 0", pair[0], pair[1], a.Compare(b))
		}
	}
}

func TestCheckSpecifiers(t *testing.T) {
	for _, ok := range []string{">=3.7", ">=3.7,<4", ">= 3.7, != 3.8.*", "~=3.9", "==3.*", "===foo", ">=3.7,", ">2.7,!=3.0.*,!=3.1.*"} {
		if err := checkSpecifiers(ok); err != nil {
			t.Errorf("checkSpecifiers(%q): %v", ok, err)
		}
	}
	for _, bad := range []string{"3.7", ">=", ">=3.x", "python>=3", "<3;", ">=3.7 <4", "=>3.7"} {
		if err := checkSpecifiers(bad); err == nil {
			t.Errorf("checkSpecifiers(%q) = nil, want an error", bad)
		}
	}
}

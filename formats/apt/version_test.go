package apt

import (
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// versionCases come from dpkg's own tests (scripts/t/Dpkg_Version.t and
// lib/dpkg/t/t-version.c): a, b, and the sign of comparing a with b.
var versionCases = []struct {
	a, b string
	want int
}{
	{"1.0-1", "2.0-2", -1},
	{"2.2~rc-4", "2.2-1", -1},
	{"2.2-1", "2.2~rc-4", 1},
	{"1.0000-1", "1.0-1", 0},
	{"1", "0:1", 0},
	{"0", "0:0-0", 0},
	{"2:2.5", "1:7.5", 1},
	{"1:foo", "foo", 1},
	{"0:foo", "foo", 0},
	{"foo", "foo", 0},
	{"foo-", "foo", 0},
	{"foo-", "foo-0", 0},
	{"foo", "fo", 1},
	{"foo-", "foo+", -1},
	{"foo~1", "foo", -1},
	{"foo~foo+Bar", "foo~foo+bar", -1},
	{"foo~~", "foo~", -1},
	{"1~", "1", -1},
	{"12345+that-really-is-some-ver-0", "12345+that-really-is-some-ver-10", -1},
	{"foo-0", "foo-01", -1},
	{"foo.bar", "foobar", 1},
	{"foo.bar", "foo1bar", 1},
	{"foo.bar", "foo0bar", 1},
	{"1foo-1", "foo-1", -1},
	{"foo2.0", "foo2", 1},
	{"foo2.0.0", "foo2.10.0", -1},
	{"foo2.0", "foo2.0.0", -1},
	{"foo2.0", "foo2.10", -1},
	{"foo2.1", "foo2.10", -1},
	{"1.09", "1.9", 0},
	{"1.0.8+nmu1", "1.0.8", 1},
	{"3.11", "3.10+nmu1", 1},
	{"0.9j-20080306-4", "0.9i-20070324-2", 1},
	{"1.2.0~b7-1", "1.2.0~b6-1", 1},
	{"1.011-1", "1.06-2", 1},
	{"0.0.9+dfsg1-1", "0.0.8+dfsg1-3", 1},
	{"4.6.99+svn6582-1", "4.6.99+svn6496-1", 1},
	{"53", "52", 1},
	{"0.9.9~pre122-1", "0.9.9~pre111-1", 1},
	{"2:2.3.2-2+lenny2", "2:2.3.2-2", 1},
	{"1:3.8.1-1", "3.8.GA-1", 1},
	{"1.0.1+gpl-1", "1.0.1-2", 1},
	{"1a", "1000a", -1},
	// t-version.c
	{"0-00", "00-0", 0},
	{"1:2-3", "1:2-3", 0},
	{"0-0", "1:0-0", -1},
	{"a-0", "b-0", -1},
	{"0-a", "0-b", -1},
	{"1-1", "2-1", -1},
	{"1-1", "1-2", -1},
	// Large epochs compare as numbers.
	{"10:1", "9:2", 1},
	{"007:1", "7:1", 0},
}

func TestCompareVersions(t *testing.T) {
	for _, tc := range versionCases {
		t.Run(tc.a+" vs "+tc.b, func(t *testing.T) {
			if got := CompareVersions(tc.a, tc.b); got != tc.want {
				t.Errorf("CompareVersions(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
			}
			if got := CompareVersions(tc.b, tc.a); got != -tc.want {
				t.Errorf("CompareVersions(%q, %q) = %d, want %d", tc.b, tc.a, got, -tc.want)
			}
		})
	}
}

func TestCheckVersion(t *testing.T) {
	valid := []string{
		"0", "1.0", "1:2.10-3+b1", "2.9~rc1-1", "1.0+dfsg-1~bpo12+1", "0:09azAZ.-+~-0", "0:0-azAZ09.+~",
		"1.2-3-4", "5:1", "1.0-1ubuntu0.22.04.1",
	}
	for _, v := range valid {
		if err := checkVersion(v); err != nil {
			t.Errorf("checkVersion(%q) = %v, want nil", v, err)
		}
	}
	invalid := []string{
		"", "0:", "0:0 0-1", "-1:0-1", "999999999999999999999999:0-1", "a:0-0", "A:0-0", "-0", "0:-0",
		"0:abc3-0", "abc", "0:0-0:0", "1.0-", " 1.0", "1.0 ", "1_0", "1.0-a_b", ":1.0", "1:2:3",
	}
	for _, p := range "!#@$%&/|\\<>()[]{};,_=*^'" {
		invalid = append(invalid, "0:0"+string(p)+"-0", "0:0-0"+string(p))
	}
	for _, v := range invalid {
		if err := checkVersion(v); err == nil {
			t.Errorf("checkVersion(%q) = nil, want an error", v)
		}
	}
}

// TestCompareVersionsDpkg compares random valid versions with
// dpkg --compare-versions.
func TestCompareVersionsDpkg(t *testing.T) {
	if testing.Short() {
		t.Skip("runs dpkg")
	}
	if _, err := exec.LookPath("dpkg"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("dpkg is missing")
		}
		t.Skip("dpkg is missing")
	}
	r := rand.New(rand.NewSource(1))
	part := func(alphabet string) string {
		var b strings.Builder
		for n := r.Intn(4) + 1; n > 0; n-- {
			b.WriteByte(alphabet[r.Intn(len(alphabet))])
		}
		return b.String()
	}
	gen := func() string {
		v := string("0123456789"[r.Intn(10)]) + part("0123456789.~+ab")
		if r.Intn(3) == 0 {
			v += "-" + part("0123456789.~+ab")
		}
		if r.Intn(4) == 0 {
			v = fmt.Sprint(r.Intn(3)) + ":" + v
		}
		return v
	}
	for i := 0; i < 200; i++ {
		a, b := gen(), gen()
		got := CompareVersions(a, b)
		var want int
		for _, op := range []struct {
			op string
			n  int
		}{{"lt", -1}, {"eq", 0}, {"gt", 1}} {
			if exec.Command("dpkg", "--compare-versions", a, op.op, b).Run() == nil {
				want = op.n
			}
		}
		if got != want {
			t.Errorf("CompareVersions(%q, %q) = %d, dpkg says %d", a, b, got, want)
		}
	}
}

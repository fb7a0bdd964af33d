package rpm

import (
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"strings"
	"testing"
)

func TestVercmp(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"1.0", "1.0", 0},
		{"1.0", "2.0", -1},
		{"2.0.1", "2.0", 1},
		{"1.10", "1.9", 1},
		{"1.010", "1.10", 0}, // leading zeros do not count
		{"1.0a", "1.0", 1},
		{"1.0", "1.0a", -1},
		{"1.a", "1.1", -1}, // numbers beat letters
		{"a", "b", -1},
		{"B", "a", -1}, // ASCII order
		{"1.0~rc1", "1.0", -1},
		{"1.0~rc1", "1.0~rc2", -1},
		{"1.0~~", "1.0~", -1},
		{"1.0~rc1", "1.0.1~rc1", -1},
		{"1.0^git1", "1.0", 1},
		{"1.0^git1", "1.0.1", -1},
		{"1.0^git1", "1.0^git2", -1},
		{"1.0^", "1.0", 1},
		{"1.0~rc1^git1", "1.0~rc1", 1},
		{"1.0^git1~pre", "1.0^git1", -1},
		{"1_0", "1.0", 0}, // separators are all alike
		{"1..0", "1.0", 0},
		{"1.0+dfsg", "1.0", 1},
		{"2:1", "1:2", 1}, // not an EVR: ':' is a separator here
		{"", "", 0},
		{"", "0", -1},
		{"1é", "1", 0}, // non-ASCII bytes are separators
		{"99999999999999999999999", "9", 1},
	}
	for _, tt := range tests {
		if got := Vercmp(tt.a, tt.b); got != tt.want {
			t.Errorf("Vercmp(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
		if got := Vercmp(tt.b, tt.a); got != -tt.want {
			t.Errorf("Vercmp(%q, %q) = %d, want %d", tt.b, tt.a, got, -tt.want)
		}
	}
}

func TestCompareEVR(t *testing.T) {
	tests := []struct {
		e1     uint64
		v1, r1 string
		e2     uint64
		v2, r2 string
		want   int
	}{
		{0, "1.0", "1", 0, "1.0", "1", 0},
		{1, "0.1", "1", 0, "9.9", "9", 1},
		{0, "1.0", "2", 0, "1.0", "10", -1},
		{0, "1.0", "1.fc39", 0, "1.0", "1.fc40", -1},
		{2, "1.0~rc1", "1", 2, "1.0", "1", -1},
	}
	for _, tt := range tests {
		if got := CompareEVR(tt.e1, tt.v1, tt.r1, tt.e2, tt.v2, tt.r2); got != tt.want {
			t.Errorf("CompareEVR(%d:%s-%s, %d:%s-%s) = %d, want %d", tt.e1, tt.v1, tt.r1, tt.e2, tt.v2, tt.r2, got, tt.want)
		}
	}
}

// Vercmp agrees with rpm's own rpm.vercmp on random versions made of the
// characters that matter.
func TestVercmpMatchesRPM(t *testing.T) {
	if testing.Short() {
		t.Skip("runs rpm")
	}
	if _, err := exec.LookPath("rpm"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("rpm is required in CI")
		}
		t.Skip("rpm not installed")
	}
	rng := rand.New(rand.NewSource(1))
	// No '-' or ':': rpm.vercmp parses its arguments as [epoch:]version[-release].
	const alphabet = "0012399aAbz.._+~^"
	random := func() string {
		var b strings.Builder
		for n := rng.Intn(8); n >= 0 || b.Len() == 0; n-- {
			b.WriteByte(alphabet[rng.Intn(len(alphabet))])
		}
		return b.String()
	}
	type pair struct{ a, b string }
	var pairs []pair
	for i := 0; i < 3000; i++ {
		a := random()
		b := a
		// Mostly near misses: change, add or drop a character or two.
		for n := rng.Intn(3); n >= 0; n-- {
			i := rng.Intn(len(b) + 1)
			switch rng.Intn(3) {
			case 0:
				b = b[:i] + string(alphabet[rng.Intn(len(alphabet))]) + b[i:]
			case 1:
				if i < len(b) && len(b) > 1 {
					b = b[:i] + b[i+1:]
				}
			default:
				b = random()
			}
		}
		pairs = append(pairs, pair{a, b})
	}
	var lua strings.Builder
	lua.WriteString("%{lua:\n")
	for _, p := range pairs {
		fmt.Fprintf(&lua, "print(\" \" .. rpm.vercmp(%q, %q))\n", p.a, p.b)
	}
	lua.WriteString("}")
	out, err := exec.Command("rpm", "--eval", lua.String()).Output()
	if err != nil {
		t.Fatalf("rpm --eval: %v", err)
	}
	results := strings.Fields(string(out))
	if len(results) != len(pairs) {
		t.Fatalf("rpm printed %d results for %d pairs", len(results), len(pairs))
	}
	for i, p := range pairs {
		want := results[i]
		if got := fmt.Sprint(Vercmp(p.a, p.b)); got != want {
			t.Errorf("Vercmp(%q, %q) = %s, rpm says %s", p.a, p.b, got, want)
		}
	}
}

package site

import (
	"strings"
	"testing"

	"github.com/stockpile/stockpile/dist"
)

// Package names come from artifacts: whatever they are, each page path is a
// valid tree path under the repository's folder, and no two packages share
// one.
func FuzzPackagePaths(f *testing.F) {
	for _, s := range []string{"hello", "libstdc++6", "@scope/name", "..", ".", "a/../b", "@/", "@a//b", "x\x00y", "a+b", "a_b"} {
		f.Add(s, "a_b")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		if a == b {
			return
		}
		repo := &Repository{Name: "r", Packages: []Package{{Name: a}, {Name: b}}}
		paths := packagePaths(repo)
		for _, p := range paths {
			if !dist.ValidPath(p) || !strings.HasPrefix(p, Dir+"/r/p/") || !strings.HasSuffix(p, ".html") {
				t.Fatalf("invalid page path %q for %q, %q", p, a, b)
			}
		}
		if paths[a] == paths[b] {
			t.Fatalf("%q and %q share %s", a, b, paths[a])
		}
	})
}

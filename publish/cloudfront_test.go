package publish

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestInvalidationPaths(t *testing.T) {
	keys := []string{
		"apt/pool/main/a_1.0+b1_all.deb", // immutable: never invalidated
		"apt/dists/stable/InRelease",
		"pypi/simple/my-pkg/index.html",
		"npm/@scope/name/index.json",
		"index.html",
		"tuf/timestamp.json",
		"tuf/3.snapshot.json", // immutable
		"yum/Packages/l/libstdc++-1.rpm",
	}
	want := []string{
		"/",
		"/apt/dists/stable/InRelease",
		"/index.html",
		"/npm/@scope/name",
		"/npm/@scope/name/",
		"/npm/@scope/name/index.json",
		"/pypi/simple/my-pkg",
		"/pypi/simple/my-pkg/",
		"/pypi/simple/my-pkg/index.html",
		"/tuf/timestamp.json",
	}
	if diff := cmp.Diff(want, invalidationPaths(keys)); diff != "" {
		t.Errorf("invalidationPaths (-want +got):\n%s", diff)
	}
	many := make([]string, 1001)
	for i := range many {
		many[i] = "npm/p" + string(rune('a'+i%26)) + "/" + string(rune('a'+i/26)) + "/index.json"
	}
	if got := invalidationPaths(many); !cmp.Equal(got, []string{"/*"}) {
		t.Errorf("invalidationPaths of many keys = %d paths, want /*", len(got))
	}
}

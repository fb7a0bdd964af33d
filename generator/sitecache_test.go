package generator

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The pack keeps what a build used, across opens, and drops the rest.
func TestPageCache(t *testing.T) {
	file := filepath.Join(t.TempDir(), "site", "pages.pack")
	a, b, c := [32]byte{1}, [32]byte{2}, [32]byte{3}
	open := func() *pageCache {
		t.Helper()
		pc, err := openPageCache(file)
		if err != nil {
			t.Fatal(err)
		}
		return pc
	}
	get := func(pc *pageCache, keys ...[32]byte) map[[32]byte]string {
		got := map[[32]byte]string{}
		for _, k := range keys {
			if p, ok := pc.Get(k); ok {
				got[k] = string(p)
			}
		}
		return got
	}

	pc := open()
	pc.Put(a, []byte("page a"))
	pc.Put(b, []byte{}) // an empty page is a page
	if err := pc.save(); err != nil {
		t.Fatal(err)
	}

	pc = open()
	if diff := cmp.Diff(map[[32]byte]string{a: "page a", b: ""}, get(pc, a, b, c)); diff != "" {
		t.Errorf("after reopening (-want +got):\n%s", diff)
	}
	if err := pc.save(); err != nil {
		t.Fatal(err)
	}

	// This build uses a and adds c: b goes.
	pc = open()
	get(pc, a)
	pc.Put(c, []byte("page c"))
	if err := pc.save(); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[[32]byte]string{a: "page a", c: "page c"}, get(open(), a, b, c)); diff != "" {
		t.Errorf("after pruning (-want +got):\n%s", diff)
	}

	// A damaged pack is an empty cache, then rewritten.
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	for _, damaged := range [][]byte{data[:len(data)-1], append(data[:len(data):len(data)], 9), []byte("junk"), {}} {
		if err := os.WriteFile(file, damaged, 0o644); err != nil {
			t.Fatal(err)
		}
		pc = open()
		if got := get(pc, a, b, c); len(got) != 0 {
			t.Errorf("damaged pack of %d bytes gave %d pages", len(damaged), len(got))
		}
		pc.Put(a, []byte("page a"))
		if err := pc.save(); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(map[[32]byte]string{a: "page a"}, get(open(), a, b, c)); diff != "" {
			t.Errorf("rewritten pack (-want +got):\n%s", diff)
		}
	}

	// Another executable's pack is not used.
	pc = open()
	pc.salt[0] ^= 1
	pc.Put(b, []byte("page b"))
	if err := pc.save(); err != nil {
		t.Fatal(err)
	}
	if got := get(open(), a, b, c); len(got) != 0 {
		t.Errorf("pack of another executable gave %d pages", len(got))
	}
}

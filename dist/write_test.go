package dist

import (
	"os"
	"path/filepath"
	"testing"
)

func TestWrite(t *testing.T) {
	src := filepath.Join(t.TempDir(), "a.deb")
	os.WriteFile(src, []byte("artifact"), 0o644)
	out := filepath.Join(t.TempDir(), "public")

	tree := NewTree()
	tree.Add("apt/dists/stable/Release", []byte("one"))
	tree.Add("old/index.html", []byte("gone soon"))
	tree.AddArtifact("apt/pool/a.deb", src, 8, "2bd806c97f0e00af1a1fc3328fa763a9269723c8db8fac4f93af71db186d6e90")
	st, err := Write(out, tree, "")
	if err != nil {
		t.Fatal(err)
	}
	if st != (WriteStats{Written: 3}) {
		t.Errorf("first Write = %+v, want 3 written", st)
	}

	tree = NewTree()
	tree.Add("apt/dists/stable/Release", []byte("two"))
	tree.AddArtifact("apt/pool/a.deb", src, 8, "2bd806c97f0e00af1a1fc3328fa763a9269723c8db8fac4f93af71db186d6e90")
	st, err = Write(out, tree, "")
	if err != nil {
		t.Fatal(err)
	}
	if st != (WriteStats{Written: 1, Unchanged: 1, Removed: 1}) {
		t.Errorf("second Write = %+v, want 1 written, 1 unchanged, 1 removed", st)
	}
	if b, _ := os.ReadFile(filepath.Join(out, "apt/dists/stable/Release")); string(b) != "two" {
		t.Errorf("Release = %q, want two", b)
	}
	if _, err := os.Stat(filepath.Join(out, "old")); !os.IsNotExist(err) {
		t.Errorf("empty folder old/ left behind: %v", err)
	}
	if err := tree.Add("apt/dists/stable/Release", []byte("three")); err == nil {
		t.Error("Add of different bytes at the same path succeeded")
	}
	for _, bad := range []string{"", "/abs", "a/../b", "a//b", "a/"} {
		if err := tree.Add(bad, nil); err == nil {
			t.Errorf("Add(%q) succeeded", bad)
		}
	}
}

func TestWriteWithRecord(t *testing.T) {
	out := filepath.Join(t.TempDir(), "public")
	record := filepath.Join(t.TempDir(), "record")
	build := func(files map[string]string) WriteStats {
		t.Helper()
		tree := NewTree()
		for p, data := range files {
			tree.Add(p, []byte(data))
		}
		st, err := Write(out, tree, record)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	build(map[string]string{"a/one": "1", "b/c/two": "2", "three": "3"})
	// "a/one" is trusted from the record: unchanged, and not read back.
	if st := build(map[string]string{"a/one": "1", "three": "33"}); st != (WriteStats{Written: 1, Unchanged: 1, Removed: 1}) {
		t.Errorf("second Write = %+v, want 1 written, 1 unchanged, 1 removed", st)
	}
	if _, err := os.Stat(filepath.Join(out, "b")); !os.IsNotExist(err) {
		t.Errorf("folder b/ left behind: %v", err)
	}
	// A file whose size no longer matches the record is rewritten.
	os.WriteFile(filepath.Join(out, "a/one"), []byte("changed"), 0o644)
	if st := build(map[string]string{"a/one": "1", "three": "33"}); st.Written != 1 {
		t.Errorf("third Write = %+v, want the damaged file rewritten", st)
	}
	if b, _ := os.ReadFile(filepath.Join(out, "a/one")); string(b) != "1" {
		t.Errorf("a/one = %q, want 1", b)
	}
}

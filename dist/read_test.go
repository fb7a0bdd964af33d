package dist

import (
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// WalkFiles lists files by tree path and leaves out what writers have not
// renamed into place yet.
func TestWalkFiles(t *testing.T) {
	dir := t.TempDir()
	for _, p := range []string{"index.html", "apt/dists/stable/Release", "apt/.tmp-123", ".tmp-dir/partial", "yum/repodata/repomd.xml"} {
		file := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(file, []byte(p), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	os.MkdirAll(filepath.Join(dir, "empty"), 0o755)
	var got []string
	err := WalkFiles(dir, func(p, file string, d fs.DirEntry) error {
		if want := filepath.Join(dir, filepath.FromSlash(p)); file != want {
			t.Errorf("%s: local path %s, want %s", p, file, want)
		}
		got = append(got, p)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(got)
	want := []string{"apt/dists/stable/Release", "index.html", "yum/repodata/repomd.xml"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("WalkFiles (-want +got):\n%s", diff)
	}
}

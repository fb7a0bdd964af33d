package source

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestAddedCommits(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	dir := t.TempDir()
	write := func(name string) {
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, []byte(name), 0o644)
	}
	head := func() string {
		out, err := exec.Command("git", "-C", dir, "rev-parse", "HEAD").Output()
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(string(out))
	}
	gitAt(t, dir, "2024-01-01T00:00:00Z", "init", "-q", "-b", "main")
	write("packages/pypi/a.yaml")
	gitAt(t, dir, "2024-01-01T00:00:00Z", "add", "-A")
	gitAt(t, dir, "2024-01-01T00:00:00Z", "commit", "-q", "-m", "one")
	first := head()
	write("packages/pypi/b.yaml")
	gitAt(t, dir, "2024-02-01T00:00:00Z", "add", "-A")
	gitAt(t, dir, "2024-02-01T00:00:00Z", "commit", "-q", "-m", "two")
	second := head()

	want := map[string]Added{
		"packages/pypi/a.yaml": {Time: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), Commit: first},
		"packages/pypi/b.yaml": {Time: time.Date(2024, 2, 1, 0, 0, 0, 0, time.UTC), Commit: second},
	}
	cache := t.TempDir()
	for _, run := range []string{"walk", "cached"} {
		t.Run(run, func(t *testing.T) {
			got, err := AddedCommits(dir, "", "packages", cache)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

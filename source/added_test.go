package source

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

func gitAt(t *testing.T, dir, when string, args ...string) {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.org", "GIT_COMMITTER_NAME=t",
		"GIT_COMMITTER_EMAIL=t@example.org", "GIT_AUTHOR_DATE="+when, "GIT_COMMITTER_DATE="+when)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, b)
	}
}

func TestAddedTimes(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	top := t.TempDir()
	reg := filepath.Join(top, "registry") // the registry sits in a sub-folder
	write := func(name, data string) {
		p := filepath.Join(reg, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, []byte(data), 0o644)
	}
	gitAt(t, top, "2024-01-01T00:00:00Z", "init", "-q", "-b", "main")
	write("packages/apt/a.yaml", "a")
	write("README", "x")
	gitAt(t, top, "2024-01-01T00:00:00Z", "add", "-A")
	gitAt(t, top, "2024-01-01T00:00:00Z", "commit", "-q", "-m", "one")
	write("packages/apt/b.yaml", "b")
	write("packages/apt/a.yaml", "a changed") // a change is not an addition
	gitAt(t, top, "2024-02-01T00:00:00Z", "add", "-A")
	gitAt(t, top, "2024-02-01T00:00:00Z", "commit", "-q", "-m", "two")

	cache := t.TempDir()
	times, err := AddedTimes(reg, "", "packages", cache)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]time.Time{
		"packages/apt/a.yaml": time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC),
		"packages/apt/b.yaml": time.Date(2024, 2, 1, 0, 0, 0, 0, time.UTC),
	}
	check := func(label string, got map[string]time.Time, want map[string]time.Time) {
		t.Helper()
		if len(got) != len(want) {
			t.Errorf("%s: got %v, want %v", label, got, want)
		}
		for p, w := range want {
			if !got[p].Equal(w) {
				t.Errorf("%s: %s added %v, want %v", label, p, got[p], w)
			}
		}
	}
	check("first walk", times, want)

	// A later commit walks only what the cache does not cover; a removed
	// and re-added file counts from its re-addition.
	os.Remove(filepath.Join(reg, "packages/apt/b.yaml"))
	gitAt(t, top, "2024-03-01T00:00:00Z", "commit", "-q", "-am", "drop b")
	write("packages/apt/b.yaml", "b again")
	write("packages/apt/c.yaml", "c")
	gitAt(t, top, "2024-04-01T00:00:00Z", "add", "-A")
	gitAt(t, top, "2024-04-01T00:00:00Z", "commit", "-q", "-m", "re-add b, add c")
	times, err = AddedTimes(reg, "", "packages", cache)
	if err != nil {
		t.Fatal(err)
	}
	want["packages/apt/b.yaml"] = time.Date(2024, 4, 1, 0, 0, 0, 0, time.UTC)
	want["packages/apt/c.yaml"] = time.Date(2024, 4, 1, 0, 0, 0, 0, time.UTC)
	check("incremental walk", times, want)

	// An older revision, from the cache-less path.
	times, err = AddedTimes(top, "HEAD~2", "registry/packages", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if len(times) != 2 {
		t.Errorf("at HEAD~2: %v", times)
	}

	// Outside Git: nothing is known, and that is not an error.
	if times, err := AddedTimes(t.TempDir(), "", "packages", cache); err != nil || len(times) != 0 {
		t.Errorf("outside Git: %v, %v", times, err)
	}
}

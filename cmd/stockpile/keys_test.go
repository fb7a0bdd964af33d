package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// at returns an environment whose clock (SOURCE_DATE_EPOCH) reads t.
func at(t time.Time) func(string) string {
	return func(k string) string {
		if k == "SOURCE_DATE_EPOCH" {
			return fmt.Sprint(t.Unix())
		}
		return ""
	}
}

// mustRun runs the command with getenv and fails the test unless it exits 0.
func mustRun(t *testing.T, getenv func(string) string, args ...string) string {
	t.Helper()
	code, _, stderr := stockpile(t, getenv, args...)
	if code != 0 {
		t.Fatalf("stockpile %s: exit %d\n%s", strings.Join(args, " "), code, stderr)
	}
	return stderr
}

// setTUFRole sets a TUF role's line of repos.yaml to "role: value".
func setTUFRole(t *testing.T, reg, role, value string) {
	t.Helper()
	p := filepath.Join(reg, "repos.yaml")
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), role+": {keys:") {
			line = "    " + role + ": " + value
		}
		out = append(out, line)
	}
	if err := os.WriteFile(p, []byte(strings.Join(out, "\n")), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestKeysRotateRootCollectsSignatures(t *testing.T) {
	reg := filepath.Join(t.TempDir(), "registry")
	now := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	env := at(now)
	mustRun(t, env, "init", reg)
	// Two root holders, both needed.
	setTUFRole(t, reg, "root", "{keys: [.stockpile/keys/root-a.pem, .stockpile/keys/root-b.pem], threshold: 2}")
	os.Rename(filepath.Join(reg, "tuf"), filepath.Join(reg, "tuf.first"))
	mustRun(t, env, "keys", "create", "--if-missing", "-C", reg)
	if _, err := os.Stat(filepath.Join(reg, "tuf/1.root.json")); err != nil {
		t.Fatal(err)
	}

	// Holder B is away: rotating the timestamp key leaves root 2 short of
	// one signature from the previous root.
	away := filepath.Join(t.TempDir(), "root-b.pem")
	os.Rename(filepath.Join(reg, ".stockpile/keys/root-b.pem"), away)
	stderr := mustRun(t, env, "keys", "rotate", "timestamp", "-C", reg, "--key", ".stockpile/keys/tuf-timestamp-2.pem")
	if !strings.Contains(stderr, "needs 1 more signatures") {
		t.Fatalf("rotate with one of two root keys:\n%s", stderr)
	}
	if _, err := os.Stat(filepath.Join(reg, "tuf/2.root.json")); err == nil {
		t.Fatal("an incomplete root was made current")
	}
	setTUFRole(t, reg, "timestamp", "{keys: [.stockpile/keys/tuf-timestamp-2.pem]}")

	// check reports the staged root without refusing the change.
	git(t, reg, "init", "-q", "-b", "main")
	git(t, reg, "add", "-A")
	git(t, reg, "commit", "-q", "-m", "stage root 2")
	code, _, stderr := stockpile(t, env, "check", "-C", reg, "--base", "HEAD", "--head", "HEAD")
	if code != 0 || !strings.Contains(stderr, "needs 1 more signatures") {
		t.Fatalf("check with a staged root: exit %d\n%s", code, stderr)
	}

	// Holder B signs later, from their own checkout.
	stderr = mustRun(t, env, "keys", "sign-root", "-C", reg, "--key", "file://"+away)
	if !strings.Contains(stderr, "root version 2 is complete") {
		t.Fatalf("sign-root:\n%s", stderr)
	}
	for _, p := range []string{"tuf/2.root.json", "tuf/root.json"} {
		if _, err := os.Stat(filepath.Join(reg, p)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := os.Stat(filepath.Join(reg, "tuf/staged.root.json")); err == nil {
		t.Error("the staged root is still there")
	}

	// The build signs the timestamp with the new key and ships both roots.
	os.Rename(away, filepath.Join(reg, ".stockpile/keys/root-b.pem"))
	out := filepath.Join(t.TempDir(), "public")
	mustRun(t, env, "build", "-C", reg, "-o", out)
	for _, p := range []string{"tuf/1.root.json", "tuf/2.root.json", "tuf/timestamp.json"} {
		if _, err := os.Stat(filepath.Join(out, p)); err != nil {
			t.Fatal(err)
		}
	}
	list := mustStockpile(t, "keys", "list", "-C", reg)
	if !strings.Contains(list, "tuf-timestamp-2.pem") || strings.Contains(list, " NO ") {
		t.Errorf("keys list after rotation:\n%s", list)
	}

	// The old timestamp key is no longer trusted: a build that still
	// names it is refused.
	setTUFRole(t, reg, "timestamp", "{keys: [.stockpile/keys/tuf-timestamp.pem]}")
	code, _, stderr = stockpile(t, at(now.Add(time.Hour)), "build", "-C", reg, "-o", out)
	if code == 0 || !strings.Contains(stderr, "not the keys the timestamp role trusts") {
		t.Fatalf("build with the old timestamp key: exit %d\n%s", code, stderr)
	}
}

func TestRefresh(t *testing.T) {
	reg := exampleRegistry(t)
	// Release files valid for a week.
	p := filepath.Join(reg, "repos.yaml")
	data, _ := os.ReadFile(p)
	os.WriteFile(p, []byte(strings.Replace(string(data), "      architectures: [amd64, arm64]\n", "      architectures: [amd64, arm64]\n      valid_for: 7d\n", 1)), 0o644)
	start := time.Unix(1700000000, 0).UTC()
	out := filepath.Join(t.TempDir(), "public")
	mustRun(t, at(start), "build", "-C", reg, "-o", out)
	release := func() string {
		b, _ := os.ReadFile(filepath.Join(out, "apt/dists/stable/Release"))
		return string(b)
	}
	first := release()

	// Nothing is close to expiry an hour later.
	stderr := mustRun(t, at(start.Add(time.Hour)), "refresh", "-C", reg, "-o", out)
	if !strings.Contains(stderr, "nothing was close to expiry") || !strings.Contains(stderr, "0 apt Release") {
		t.Errorf("refresh after an hour:\n%s", stderr)
	}
	// After 20 hours the one-day timestamp is re-signed; Release still has
	// most of its week.
	stderr = mustRun(t, at(start.Add(20*time.Hour)), "refresh", "-C", reg, "-o", out)
	if !strings.Contains(stderr, "timestamp v2") || strings.Contains(stderr, "snapshot") || release() != first {
		t.Errorf("refresh after 20 hours:\n%s", stderr)
	}
	// After four days: Release renewed (and signed again), snapshot too.
	// Without the snapshot key the refresh is refused, naming it.
	key := filepath.Join(reg, ".stockpile/keys/tuf-snapshot.pem")
	os.Rename(key, key+".away")
	code, _, stderr := stockpile(t, at(start.Add(96*time.Hour)), "refresh", "-C", reg, "-o", out)
	if code == 0 || !strings.Contains(stderr, "signing.tuf.snapshot") {
		t.Fatalf("refresh without the snapshot key: exit %d\n%s", code, stderr)
	}
	os.Rename(key+".away", key)
	stderr = mustRun(t, at(start.Add(96*time.Hour)), "refresh", "-C", reg, "-o", out)
	if !strings.Contains(stderr, "1 apt Release files renewed") || !strings.Contains(stderr, "snapshot v") {
		t.Errorf("refresh after four days:\n%s", stderr)
	}
	if !strings.Contains(release(), "Valid-Until: "+start.Add(96*time.Hour+7*24*time.Hour).Format("Mon, 02 Jan 2006 15:04:05 UTC")) {
		t.Errorf("Release after refresh:\n%s", release())
	}
	inRelease, _ := os.ReadFile(filepath.Join(out, "apt/dists/stable/InRelease"))
	if !strings.Contains(string(inRelease), "Valid-Until: "+start.Add(96*time.Hour+7*24*time.Hour).Format("Mon, 02 Jan 2006 15:04:05 UTC")) {
		t.Errorf("InRelease was not signed again:\n%s", inRelease)
	}
	// A rebuild afterwards continues the versions.
	mustRun(t, at(start.Add(97*time.Hour)), "build", "-C", reg, "-o", out)
}

// A build on a machine without the previous output continues the TUF
// versions from the published tree, so that publishing it is no rollback.
func TestBuildContinuesFromPublishedState(t *testing.T) {
	reg := exampleRegistry(t)
	start := time.Unix(1700000000, 0).UTC()
	store := "file://" + filepath.Join(t.TempDir(), "store")
	first := filepath.Join(t.TempDir(), "first")
	mustRun(t, at(start), "build", "-C", reg, "-o", first)
	mustRun(t, at(start), "publish", first, "--to", store)

	fresh := filepath.Join(t.TempDir(), "fresh")
	code, _, stderr := stockpile(t, at(start.Add(time.Hour)), "build", "-C", reg, "-o", fresh, "--cache-dir", filepath.Join(t.TempDir(), "cache"))
	if code != 0 {
		t.Fatal(stderr)
	}
	if code, _, stderr := stockpile(t, at(start.Add(time.Hour)), "publish", fresh, "--to", store); code == 0 || !strings.Contains(stderr, "tuf/1.snapshot.json: immutable file would change") {
		t.Fatalf("publishing versions that restart at 1 = exit %d, want a refusal:\n%s", code, stderr)
	}

	mustRun(t, at(start.Add(time.Hour)), "build", "-C", reg, "-o", fresh, "--state", store)
	if _, err := os.Stat(filepath.Join(fresh, "tuf/2.snapshot.json")); err != nil {
		t.Fatalf("the build did not continue from the published snapshot: %v", err)
	}
	mustRun(t, at(start.Add(time.Hour)), "publish", fresh, "--to", store)
}

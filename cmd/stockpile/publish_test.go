package main

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/stockpile/stockpile/internal/debgen"
	"github.com/stockpile/stockpile/publish"
	"github.com/stockpile/stockpile/publish/storetest"
)

func decodeReport(t *testing.T, stdout string) *publish.Report {
	t.Helper()
	var r publish.Report
	if err := json.Unmarshal([]byte(stdout), &r); err != nil {
		t.Fatalf("publish --json printed %q: %v", stdout, err)
	}
	return &r
}

// addDeb makes a new package and adds it to the registry.
func addDeb(t *testing.T, reg string) {
	t.Helper()
	deb, err := debgen.Build(debgen.Control{
		Package: "publish-test", Version: "1.0+1-1", Architecture: "all",
		Maintainer: "Test <test@example.org>", Description: "added between two publishes",
	}, map[string][]byte{"usr/share/doc/publish-test/README": []byte("hi\n")})
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "publish-test_1.0+1-1_all.deb")
	os.WriteFile(file, deb, 0o644)
	mustStockpile(t, "add", "-C", reg, file)
}

// changedFiles returns the paths of after whose bytes differ from before's.
func changedFiles(before, after map[string]string) []string {
	var out []string
	for k, v := range after {
		if old, ok := before[k]; !ok || old != v {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// Publishing the example registry uploads every file; after one package is
// added and the registry rebuilt, publishing again uploads exactly the files
// whose bytes changed.
func TestPublishIncremental(t *testing.T) {
	for _, kind := range []string{"file", "s3"} {
		t.Run(kind, func(t *testing.T) {
			reg := exampleRegistry(t)
			out := filepath.Join(t.TempDir(), "public")
			mustStockpile(t, "build", "-C", reg, "-o", out)
			first := treeFiles(t, out)

			var args []string
			var puts func() []*http.Request
			var read func() map[string]string
			switch kind {
			case "file":
				www := filepath.Join(t.TempDir(), "www")
				args = []string{"--to", "file://" + www}
				read = func() map[string]string { return storetest.Files(t, publish.NewLocal(www)) }
			case "s3":
				endpoint, backend, p := storetest.FakeS3(t)
				backend.CreateBucket("registry")
				args = []string{"--to", "s3://registry/prod", "--endpoint", endpoint}
				puts = p
				read = func() map[string]string {
					s, err := publish.Open(context.Background(), "s3://registry/prod", publish.OpenOptions{Endpoint: endpoint})
					if err != nil {
						t.Fatal(err)
					}
					return storetest.Files(t, s)
				}
			}

			r := decodeReport(t, mustStockpile(t, append([]string{"publish", out, "--json"}, args...)...))
			if r.New != len(first) || r.Changed+r.Unchanged+r.Pruned != 0 {
				t.Errorf("first publish: %+v, want %d new files", r, len(first))
			}
			if diff := cmp.Diff(first, read()); diff != "" {
				t.Fatalf("store after the first publish (-want +got):\n%s", diff)
			}

			addDeb(t, reg)
			mustStockpile(t, "build", "-C", reg, "-o", out)
			second := treeFiles(t, out)
			want := changedFiles(first, second)
			if len(want) == 0 || len(want) == len(second) {
				t.Fatalf("the rebuild changed %d of %d files", len(want), len(second))
			}
			var before int
			if puts != nil {
				before = len(puts())
			}
			r = decodeReport(t, mustStockpile(t, append([]string{"publish", out, "--json"}, args...)...))
			got := append(append([]string{}, r.NewKeys...), r.ChangedKeys...)
			sort.Strings(got)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("second publish uploaded (-want +got):\n%s", diff)
			}
			t.Logf("after adding one package: %d of %d files new or changed, %d uploaded", len(want), len(second), r.New+r.Changed)
			if r.Unchanged != len(second)-len(want) {
				t.Errorf("unchanged = %d, want %d", r.Unchanged, len(second)-len(want))
			}
			if puts != nil {
				var uploads int
				for _, p := range puts()[before:] {
					if !strings.Contains(p.URL.Path, "/.stockpile/") {
						uploads++
					}
				}
				if uploads != len(want) {
					t.Errorf("%d registry objects PUT to S3, want %d", uploads, len(want))
				}
			}
			wantStore := map[string]string{}
			for k, v := range first {
				wantStore[k] = v // files that left the tree stay for the grace period
			}
			for k, v := range second {
				wantStore[k] = v
			}
			if diff := cmp.Diff(wantStore, read()); diff != "" {
				t.Errorf("store after the second publish (-want +got):\n%s", diff)
			}
		})
	}
}

// publish.to in repos.yaml names the store; --dry-run writes nothing and
// lists what it would do.
func TestPublishDryRunFromConfig(t *testing.T) {
	reg := exampleRegistry(t)
	www := filepath.Join(t.TempDir(), "www")
	f, _ := os.OpenFile(filepath.Join(reg, "repos.yaml"), os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString("publish:\n  to: file://" + www + "\n  grace_period: 7d\n  max_deletes: 10\n")
	f.Close()
	out := filepath.Join(t.TempDir(), "public")
	mustStockpile(t, "build", "-C", reg, "-o", out)

	code, stdout, stderr := stockpile(t, nil, "publish", "-C", reg, out, "--dry-run", "--json")
	if code != 0 {
		t.Fatalf("publish --dry-run: exit %d\n%s", code, stderr)
	}
	r := decodeReport(t, stdout)
	if !r.DryRun || r.New != len(treeFiles(t, out)) {
		t.Errorf("dry-run report: %+v", r)
	}
	if !strings.Contains(stderr, "dry run, nothing written") || !strings.Contains(stderr, "  new      apt/dists/stable/InRelease") {
		t.Errorf("dry-run summary:\n%s", stderr)
	}
	if _, err := os.Stat(www); !os.IsNotExist(err) {
		t.Errorf("a dry run made the store: %v", err)
	}
	mustStockpile(t, "publish", "-C", reg, out)
	if got := storetest.Files(t, publish.NewLocal(www)); len(got) != len(treeFiles(t, out)) {
		t.Errorf("the store holds %d files, want %d", len(got), len(treeFiles(t, out)))
	}
}

func TestPublishUsage(t *testing.T) {
	out := t.TempDir()
	tests := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"publish", out, "-C", t.TempDir()}, exitUsage, "--to"},
		{[]string{"publish", out, "--to", "ftp://host/x"}, exitUsage, "unknown scheme"},
		{[]string{"publish", out, "--to", t.TempDir(), "--grace-period", "soon"}, exitUsage, "invalid duration"},
		{[]string{"publish", out, "one", "two"}, exitUsage, "too many arguments"},
		{[]string{"publish", filepath.Join(out, "missing"), "--to", t.TempDir()}, exitError, "no built tree"},
	}
	for _, tt := range tests {
		code, _, stderr := stockpile(t, nil, tt.args...)
		if code != tt.code || !strings.Contains(stderr, tt.want) {
			t.Errorf("stockpile %q = exit %d, %q; want exit %d mentioning %q", tt.args, code, stderr, tt.code, tt.want)
		}
	}
}

// A lock a killed publish left stops the next one with exit 1 and a message
// saying how to break it; --break-lock does.
func TestPublishLock(t *testing.T) {
	out := filepath.Join(t.TempDir(), "public")
	os.MkdirAll(filepath.Join(out, "pypi/simple"), 0o755)
	os.WriteFile(filepath.Join(out, "pypi/simple/index.html"), []byte("<html></html>"), 0o644)
	www := t.TempDir()
	os.MkdirAll(filepath.Join(www, ".stockpile"), 0o755)
	os.WriteFile(filepath.Join(www, ".stockpile/lock"), []byte(`{"owner":"ci","host":"runner-7","pid":9,"since":"2026-01-02T03:04:05Z"}`), 0o644)
	code, _, stderr := stockpile(t, nil, "publish", out, "--to", www)
	if code != exitError || !strings.Contains(stderr, "locked by ci on runner-7 (pid 9) since 2026-01-02T03:04:05Z") || !strings.Contains(stderr, "--break-lock") {
		t.Errorf("publish over a lock: exit %d\n%s", code, stderr)
	}
	mustStockpile(t, "publish", out, "--to", www, "--break-lock")
	if _, err := os.Stat(filepath.Join(www, "pypi/simple/index.html")); err != nil {
		t.Error(err)
	}
}

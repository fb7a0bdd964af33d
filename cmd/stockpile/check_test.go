package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
	gogit "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/stockpile/stockpile/internal/debgen"
	"github.com/stockpile/stockpile/internal/npmgen"
)

// checkRegistry is the example registry committed as the base of a change;
// it returns the folder and the base commit's name.
func checkRegistry(t *testing.T, reposYAML func(string) string) string {
	t.Helper()
	requireTool(t, "git")
	reg := exampleRegistry(t)
	os.WriteFile(filepath.Join(reg, ".gitignore"), []byte("/.stockpile/\n"), 0o644)
	if reposYAML != nil {
		data, err := os.ReadFile(filepath.Join(reg, "repos.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(reg, "repos.yaml"), []byte(reposYAML(string(data))), 0o644)
	}
	git(t, reg, "init", "-q", "-b", "main")
	git(t, reg, "add", "-A")
	git(t, reg, "commit", "-q", "-m", "example registry")
	git(t, reg, "tag", "base")
	return reg
}

func writeFile(t *testing.T, p string, data []byte) {
	t.Helper()
	os.MkdirAll(filepath.Dir(p), 0o755)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// npmArtifact writes an npm tarball into a temporary folder and returns its path.
func npmArtifact(t *testing.T, name, version string) string {
	t.Helper()
	p := npmgen.Package{JSON: map[string]any{"name": name, "version": version, "license": "MIT"}}
	data, err := p.Build()
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), p.FileName())
	writeFile(t, file, data)
	return file
}

func commitAll(t *testing.T, reg, msg string) {
	t.Helper()
	git(t, reg, "add", "-A")
	git(t, reg, "commit", "-q", "-m", msg)
}

func TestCheck(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the example registry several times")
	}
	scoped := func(s string) string {
		return strings.Replace(s, "  - name: npm\n    format: npm\n", "  - name: npm\n    format: npm\n    policy:\n      scopes: [stockpile-demo]\n      names: [stockpile-greeting]\n", 1)
	}
	tests := []struct {
		name      string
		reposYAML func(string) string
		change    func(t *testing.T, reg string)
		code      int
		want      []string // in stderr
	}{
		{
			name: "added package passes",
			change: func(t *testing.T, reg string) {
				mustStockpile(t, "add", "-C", reg, npmArtifact(t, "@stockpile-demo/new", "1.0.0"))
			},
			code: exitOK,
			want: []string{"+ npm      @stockpile-demo/new 1.0.0 (stockpile-demo-new-1.0.0.tgz)", "ok: the change may merge"},
		},
		{
			name: "hash mismatch",
			change: func(t *testing.T, reg string) {
				mustStockpile(t, "add", "-C", reg, npmArtifact(t, "@stockpile-demo/new", "1.0.0"))
				m := filepath.Join(reg, "packages/npm/stockpile-demo-new-1.0.0.tgz.yaml")
				data, _ := os.ReadFile(m)
				lines := strings.Split(string(data), "\n")
				lines[1] = "sha256: " + strings.Repeat("0", 64)
				writeFile(t, m, []byte(strings.Join(lines, "\n")))
			},
			code: exitVerifyFail,
			want: []string{"error: packages/npm/stockpile-demo-new-1.0.0.tgz.yaml:2: stockpile-demo-new-1.0.0.tgz: manifest says sha256 0000"},
		},
		{
			name: "name does not match the artifact",
			change: func(t *testing.T, reg string) {
				data, err := debgen.Build(debgen.Control{Package: "goodbye", Version: "2.0-1", Architecture: "all", Maintainer: "T <t@example.org>", Description: "test"}, nil)
				if err != nil {
					t.Fatal(err)
				}
				file := filepath.Join(t.TempDir(), "hello-stockpile_2.0-1_all.deb")
				writeFile(t, file, data)
				mustStockpile(t, "add", "-C", reg, file)
			},
			code: exitVerifyFail,
			want: []string{"error: packages/apt/hello-stockpile_2.0-1_all.deb.yaml:1: file hello-stockpile_2.0-1_all.deb holds goodbye 2.0-1 (all), which is named goodbye_2.0-1_all.deb"},
		},
		{
			name: "replace a published version",
			change: func(t *testing.T, reg string) {
				other, _ := os.ReadFile(filepath.Join(reg, "blobs/apt/stockpile-greeting_1.2+demo-1_all.deb"))
				writeFile(t, filepath.Join(reg, "blobs/apt/hello-stockpile_1.0.0-1_all.deb"), other)
				m := filepath.Join(reg, "packages/apt/hello-stockpile_1.0.0-1_all.deb.yaml")
				writeFile(t, m, []byte("file: hello-stockpile_1.0.0-1_all.deb\nsha256: "+sha256Hex(other)+"\nsize: "+strconv.Itoa(len(other))+"\nsource: blobs/apt/hello-stockpile_1.0.0-1_all.deb\n"))
			},
			code: exitVerifyFail,
			want: []string{"error: packages/apt/hello-stockpile_1.0.0-1_all.deb.yaml:2: replaces published artifact hello-stockpile_1.0.0-1_all.deb"},
		},
		{
			name:      "scope not allowed",
			reposYAML: scoped,
			change: func(t *testing.T, reg string) {
				mustStockpile(t, "add", "-C", reg, npmArtifact(t, "@elsewhere/new", "1.0.0"))
			},
			code: exitVerifyFail,
			want: []string{`error: packages/npm/elsewhere-new-1.0.0.tgz.yaml:1: package name "@elsewhere/new" is not allowed in repository "npm" (allowed: stockpile-greeting, @stockpile-demo/*)`},
		},
		{
			name: "invalid repos.yaml",
			change: func(t *testing.T, reg string) {
				data, _ := os.ReadFile(filepath.Join(reg, "repos.yaml"))
				writeFile(t, filepath.Join(reg, "repos.yaml"), append(data, "  - name: extra\n    format: nuget\n"...))
			},
			code: exitUsage,
			want: []string{`repos.yaml:`, `unknown format "nuget"`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reg := checkRegistry(t, tt.reposYAML)
			tt.change(t, reg)
			commitAll(t, reg, tt.name)
			md := filepath.Join(t.TempDir(), "summary.md")
			code, stdout, stderr := stockpile(t, nil, "check", "-C", reg, "--base", "base", "--json", "--markdown", md)
			if code != tt.code {
				t.Fatalf("check: exit %d, want %d\n%s", code, tt.code, stderr)
			}
			for _, s := range tt.want {
				if !strings.Contains(stderr, s) {
					t.Errorf("stderr lacks %q:\n%s", s, stderr)
				}
			}
			var report struct {
				OK       bool `json:"ok"`
				Findings []struct {
					File string `json:"file"`
					Line int    `json:"line"`
				} `json:"findings"`
			}
			if err := json.Unmarshal([]byte(stdout), &report); err != nil {
				t.Fatalf("--json output: %v\n%s", err, stdout)
			}
			if report.OK != (tt.code == exitOK) {
				t.Errorf("report ok = %v with exit %d", report.OK, code)
			}
			if summary, err := os.ReadFile(md); err != nil || !strings.Contains(string(summary), "stockpile check") {
				t.Errorf("Markdown summary: %v\n%s", err, summary)
			}
		})
	}
}

// In GitHub Actions, findings become annotations and the Markdown summary
// is appended to the step summary.
func TestCheckGitHubActions(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the example registry")
	}
	reg := checkRegistry(t, nil)
	mustStockpile(t, "add", "-C", reg, npmArtifact(t, "@stockpile-demo/new", "1.0.0"))
	m := filepath.Join(reg, "packages/npm/stockpile-demo-new-1.0.0.tgz.yaml")
	data, _ := os.ReadFile(m)
	writeFile(t, m, bytes.Replace(data, []byte("size: "), []byte("size: 1"), 1))
	commitAll(t, reg, "add new")
	git(t, reg, "update-ref", "refs/remotes/origin/main", "base")

	summary := filepath.Join(t.TempDir(), "step-summary.md")
	writeFile(t, summary, []byte("earlier step\n"))
	getenv := func(k string) string {
		return map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_BASE_REF": "main", "GITHUB_STEP_SUMMARY": summary, "SOURCE_DATE_EPOCH": "1700000000"}[k]
	}
	code, stdout, stderr := stockpile(t, getenv, "check", "-C", reg)
	if code != exitVerifyFail {
		t.Fatalf("check: exit %d, want %d\n%s", code, exitVerifyFail, stderr)
	}
	want := "::error file=packages/npm/stockpile-demo-new-1.0.0.tgz.yaml,line=3,title=stockpile check%3A artifact::stockpile-demo-new-1.0.0.tgz: manifest says size 1"
	if !strings.Contains(stdout, want) {
		t.Errorf("stdout lacks the annotation %q:\n%s", want, stdout)
	}
	got, _ := os.ReadFile(summary)
	for _, s := range []string{"earlier step\n## ❌ stockpile check: the change must not merge", "| ❌ | `packages/npm/stockpile-demo-new-1.0.0.tgz.yaml:3` | artifact |", "Base `origin/main"} {
		if !strings.Contains(string(got), s) {
			t.Errorf("step summary lacks %q:\n%s", s, got)
		}
	}
}

func TestCheckCommitSignatures(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the example registry")
	}
	key, err := openpgp.NewEntity("Maintainer", "", "maintainer@example.org", &packet.Config{Algorithm: packet.PubKeyAlgoEdDSA})
	if err != nil {
		t.Fatal(err)
	}
	var pub bytes.Buffer
	w, _ := armor.Encode(&pub, openpgp.PublicKeyType, nil)
	key.Serialize(w)
	w.Close()

	for _, tt := range []struct {
		name string
		sign *openpgp.Entity
		code int
		want string
	}{
		{"unsigned", nil, exitVerifyFail, `error: repos.yaml:`},
		{"signed", key, exitOK, "ok: the change may merge"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			reg := checkRegistry(t, func(s string) string {
				return s + "policy:\n  commit_signers: [keys/maintainers.asc]\n"
			})
			writeFile(t, filepath.Join(reg, "keys/maintainers.asc"), pub.Bytes())
			commitAll(t, reg, "maintainer key")
			git(t, reg, "tag", "-f", "base")

			mustStockpile(t, "add", "-C", reg, npmArtifact(t, "@stockpile-demo/new", "1.0.0"))
			repo, err := gogit.PlainOpen(reg)
			if err != nil {
				t.Fatal(err)
			}
			wt, _ := repo.Worktree()
			if err := wt.AddWithOptions(&gogit.AddOptions{All: true}); err != nil {
				t.Fatal(err)
			}
			who := &object.Signature{Name: "Maintainer", Email: "maintainer@example.org", When: time.Date(2024, 2, 1, 0, 0, 0, 0, time.UTC)}
			if _, err := wt.Commit("add new", &gogit.CommitOptions{Author: who, Committer: who, SignKey: tt.sign}); err != nil {
				t.Fatal(err)
			}
			code, _, stderr := stockpile(t, nil, "check", "-C", reg, "--base", "base")
			if code != tt.code {
				t.Fatalf("check: exit %d, want %d\n%s", code, tt.code, stderr)
			}
			if !strings.Contains(stderr, tt.want) || (tt.sign == nil && !strings.Contains(stderr, `("add new"): not signed`)) {
				t.Errorf("stderr lacks %q:\n%s", tt.want, stderr)
			}
		})
	}
}

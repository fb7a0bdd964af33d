package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// stockpile runs the command in-process and returns its exit code, stdout
// and stderr.
func stockpile(t *testing.T, getenv func(string) string, args ...string) (int, string, string) {
	t.Helper()
	if getenv == nil {
		getenv = func(k string) string {
			if k == "SOURCE_DATE_EPOCH" {
				return "1700000000"
			}
			return ""
		}
	}
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), args, &env{stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr, getenv: getenv})
	return code, stdout.String(), stderr.String()
}

// mustStockpile runs the command and fails the test unless it exits 0.
func mustStockpile(t *testing.T, args ...string) string {
	t.Helper()
	code, stdout, stderr := stockpile(t, nil, args...)
	if code != 0 {
		t.Fatalf("stockpile %s: exit %d\n%s", strings.Join(args, " "), code, stderr)
	}
	return stdout
}

// requireTool returns the path of an external program. Outside CI a missing
// program skips the test; in CI it fails it, so that a broken machine set-up
// cannot pass unnoticed.
func requireTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err == nil {
		return p
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is required in CI but not installed: %v", name, err)
	}
	t.Skipf("%s not installed", name)
	return ""
}

func TestUsageAndExitCodes(t *testing.T) {
	tests := []struct {
		args []string
		code int
	}{
		{nil, exitUsage},
		{[]string{"help"}, exitOK},
		{[]string{"frobnicate"}, exitUsage},
		{[]string{"build", "--no-such-flag"}, exitUsage},
		{[]string{"build", "-C", t.TempDir()}, exitUsage}, // no repos.yaml
		{[]string{"add", "-C", t.TempDir()}, exitUsage},   // no file named
	}
	for _, tt := range tests {
		code, _, stderr := stockpile(t, nil, tt.args...)
		if code != tt.code {
			t.Errorf("stockpile %q = exit %d, want %d\n%s", tt.args, code, tt.code, stderr)
		}
	}
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
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
	code := run(context.Background(), args, &env{stdout: &stdout, stderr: &stderr, getenv: getenv})
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

// startNginx runs nginx with config (what goes inside http {}) until the test
// ends, and waits until it listens on addr.
func startNginx(t *testing.T, nginx, addr, config string) {
	t.Helper()
	prefix := t.TempDir()
	conf := fmt.Sprintf(`daemon off;
master_process off;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log;
events {}
http {
    access_log %[1]s/access.log;
    client_body_temp_path %[1]s/body;
    proxy_temp_path %[1]s/proxy;
    fastcgi_temp_path %[1]s/fastcgi;
    uwsgi_temp_path %[1]s/uwsgi;
    scgi_temp_path %[1]s/scgi;
%[2]s
}
`, prefix, config)
	os.WriteFile(filepath.Join(prefix, "nginx.conf"), []byte(conf), 0o644)
	cmd := exec.Command(nginx, "-p", prefix, "-c", filepath.Join(prefix, "nginx.conf"), "-e", filepath.Join(prefix, "error.log"))
	var stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(prefix, "error.log"))
			t.Fatalf("nginx did not start: %s\n%s", stderr.String(), log)
		}
	}
}

// nginxServer is a server block listening on addr.
func nginxServer(addr, body string) string {
	return "    server {\n        listen " + addr + ";\n" + body + "\n    }"
}

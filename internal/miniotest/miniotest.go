// Package miniotest runs a real MinIO server for tests: the S3 that publish
// and the CDN rules are checked against.
//
// The binary is looked up as $MINIO_BIN, then `minio` on PATH, then
// .ci/tools/bin/minio of the module (where .ci/run builds it). Outside CI a
// missing binary skips the test; with CI=true it fails it.
package miniotest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Region is the region the server and its clients use.
const Region = "us-east-1"

// Server is a running MinIO with one bucket anyone may read objects from.
type Server struct {
	Endpoint  string // http://127.0.0.1:PORT, path-style
	Bucket    string // created at start, anonymous s3:GetObject on Bucket/*
	AccessKey string // root credentials, random per server
	SecretKey string
	Client    *s3.Client // signed with the root credentials
}

// Binary returns the path of the minio binary, or skips (fails under
// CI=true) the test when there is none.
func Binary(t testing.TB) string {
	t.Helper()
	p, err := find()
	if err == nil {
		return p
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("minio is required in CI: %v (.ci/run builds it into .ci/tools/bin)", err)
	}
	t.Skipf("minio not installed: %v", err)
	return ""
}

func find() (string, error) {
	if p := os.Getenv("MINIO_BIN"); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("MINIO_BIN: %w", err)
		}
		return p, nil
	}
	if p, err := exec.LookPath("minio"); err == nil {
		return p, nil
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for ; ; dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			p := filepath.Join(dir, ".ci", "tools", "bin", "minio")
			if _, err := os.Stat(p); err != nil {
				return "", fmt.Errorf("not on PATH, MINIO_BIN unset, and %w", err)
			}
			return p, nil
		}
		if dir == filepath.Dir(dir) {
			return "", errors.New("not on PATH, MINIO_BIN unset, and no go.mod above the working directory")
		}
	}
}

// Start runs MinIO on a free loopback port with a fresh data folder and
// random root credentials, creates a readable bucket, and stops the server
// when the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	bin := Binary(t)
	dir := t.TempDir()
	s := &Server{Bucket: "stockpile-" + randomHex(4), AccessKey: "test" + randomHex(8), SecretKey: randomHex(20)}
	var out lockedBuffer
	var p *proc
	// Another process may take the port between probing and binding it:
	// try a few.
	for attempt := 0; ; attempt++ {
		addr, console := freeAddr(t), freeAddr(t)
		s.Endpoint = "http://" + addr
		out.Reset()
		cmd := exec.Command(bin, "server", filepath.Join(dir, "data"), "--address", addr, "--console-address", console,
			"--certs-dir", filepath.Join(dir, "certs"), "--quiet")
		cmd.Env = append(os.Environ(), "MINIO_ROOT_USER="+s.AccessKey, "MINIO_ROOT_PASSWORD="+s.SecretKey,
			"MINIO_BROWSER=off", "MINIO_UPDATE=off", "MINIO_REGION="+Region, "HOME="+dir)
		cmd.Stdout, cmd.Stderr = &out, &out
		var err error
		if p, err = startProc(cmd); err != nil {
			t.Fatalf("start minio: %v", err)
		}
		err = p.waitReady(s.Endpoint, 60*time.Second)
		if err == nil {
			break
		}
		p.stop()
		if attempt == 2 {
			t.Fatalf("minio: %v\n%s", err, out.String())
		}
	}
	t.Cleanup(func() {
		p.stop()
		if t.Failed() {
			t.Logf("minio output:\n%s", out.String())
		}
	})
	s.Client = s3.New(s3.Options{
		BaseEndpoint:               aws.String(s.Endpoint),
		Region:                     Region,
		Credentials:                credentials.NewStaticCredentialsProvider(s.AccessKey, s.SecretKey, ""),
		UsePathStyle:               true,
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
	})
	if err := s.CreateBucket(context.Background(), s.Bucket, true); err != nil {
		t.Fatal(err)
	}
	return s
}

// CreateBucket makes another bucket; public ones let anyone read objects
// (s3:GetObject only: no listing, as behind a CDN).
func (s *Server) CreateBucket(ctx context.Context, name string, public bool) error {
	if _, err := s.Client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		return fmt.Errorf("create bucket %s: %w", name, err)
	}
	if !public {
		return nil
	}
	policy := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["*"]},"Action":["s3:GetObject"],"Resource":["arn:aws:s3:::%s/*"]}]}`, name)
	if _, err := s.Client.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String(name), Policy: aws.String(policy)}); err != nil {
		return fmt.Errorf("bucket policy of %s: %w", name, err)
	}
	return nil
}

// Env is the environment a child process (or the AWS SDK's default
// configuration) needs to reach the server with the root credentials.
func (s *Server) Env() []string {
	return []string{"AWS_ACCESS_KEY_ID=" + s.AccessKey, "AWS_SECRET_ACCESS_KEY=" + s.SecretKey, "AWS_REGION=" + Region,
		"AWS_REQUEST_CHECKSUM_CALCULATION=when_required", "AWS_RESPONSE_CHECKSUM_VALIDATION=when_required"}
}

// Getenv looks up key in Env, then in the process environment.
func (s *Server) Getenv(key string) string {
	for _, kv := range s.Env() {
		if k, v, _ := strings.Cut(kv, "="); k == key {
			return v
		}
	}
	return os.Getenv(key)
}

// URL is the anonymous URL of a key in the server's bucket.
func (s *Server) URL(key string) string {
	return s.Endpoint + "/" + s.Bucket + "/" + key
}

// proc is a started server process.
type proc struct {
	cmd  *exec.Cmd
	done chan struct{} // closed when the process has exited
	err  error
}

func startProc(cmd *exec.Cmd) (*proc, error) {
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &proc{cmd: cmd, done: make(chan struct{})}
	go func() { p.err = cmd.Wait(); close(p.done) }()
	return p, nil
}

func (p *proc) waitReady(endpoint string, timeout time.Duration) error {
	client := &http.Client{Timeout: 2 * time.Second}
	deadline := time.After(timeout)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-p.done:
			return fmt.Errorf("exited before it was ready: %v", p.err)
		case <-deadline:
			return fmt.Errorf("not ready after %v", timeout)
		case <-tick.C:
			resp, err := client.Get(endpoint + "/minio/health/ready")
			if err != nil {
				continue
			}
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
	}
}

// stop asks the server to shut down, and kills it if it takes too long.
func (p *proc) stop() {
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		p.cmd.Process.Kill()
		<-p.done
	}
}

func freeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// lockedBuffer collects the server's output while the test reads it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func (b *lockedBuffer) Reset() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf.Reset()
}

// Package storetest is the test suite every publish.Store passes: run it
// against a new implementation, or against a real service (MinIO, S3) to
// check that it behaves as the publish protocol assumes.
package storetest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/stockpile/stockpile/publish"
)

// Run runs the suite; newStore returns an empty store for each subtest.
func Run(t *testing.T, newStore func(t *testing.T) publish.Store) {
	tests := []struct {
		name string
		test func(t *testing.T, s publish.Store)
	}{
		{"RoundTrip", testRoundTrip},
		{"Overwrite", testOverwrite},
		{"PrefixListing", testPrefixListing},
		{"NotFound", testNotFound},
		{"Delete", testDelete},
		{"AwkwardKeys", testAwkwardKeys},
		{"MetadataSHA256", testMetadataSHA256},
		{"IfNoneMatch", testIfNoneMatch},
		{"Empty", testEmpty},
		{"Large", testLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.test(t, newStore(t)) })
	}
}

func sum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// Put stores data under key with the options publish would use.
func put(t *testing.T, s publish.Store, key string, data []byte) {
	t.Helper()
	opts := publish.PutOptions{ContentType: "application/octet-stream", CacheControl: "public, max-age=60", SHA256: sum(data)}
	if err := s.Put(context.Background(), key, bytes.NewReader(data), int64(len(data)), opts); err != nil {
		t.Fatalf("Put(%q): %v", key, err)
	}
}

func get(t *testing.T, s publish.Store, key string) []byte {
	t.Helper()
	rc, err := s.Get(context.Background(), key)
	if err != nil {
		t.Fatalf("Get(%q): %v", key, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("Get(%q): read: %v", key, err)
	}
	return b
}

func list(t *testing.T, s publish.Store, prefix string) map[string]int64 {
	t.Helper()
	objs, err := s.List(context.Background(), prefix)
	if err != nil {
		t.Fatalf("List(%q): %v", prefix, err)
	}
	got := map[string]int64{}
	for i, o := range objs {
		if i > 0 && objs[i-1].Key >= o.Key {
			t.Errorf("List(%q) not sorted: %q before %q", prefix, objs[i-1].Key, o.Key)
		}
		got[o.Key] = o.Size
	}
	return got
}

func testRoundTrip(t *testing.T, s publish.Store) {
	data := []byte("Package: hello\nVersion: 1.0\n")
	put(t, s, "apt/dists/stable/main/binary-amd64/Packages", data)
	if got := get(t, s, "apt/dists/stable/main/binary-amd64/Packages"); !bytes.Equal(got, data) {
		t.Errorf("Get = %q, want %q", got, data)
	}
	want := map[string]int64{"apt/dists/stable/main/binary-amd64/Packages": int64(len(data))}
	if diff := cmp.Diff(want, list(t, s, "")); diff != "" {
		t.Errorf("List (-want +got):\n%s", diff)
	}
}

func testOverwrite(t *testing.T, s publish.Store) {
	put(t, s, "a/Release", []byte("old bytes, longer"))
	put(t, s, "a/Release", []byte("new"))
	if got := get(t, s, "a/Release"); string(got) != "new" {
		t.Errorf("Get after overwrite = %q, want %q", got, "new")
	}
	if diff := cmp.Diff(map[string]int64{"a/Release": 3}, list(t, s, "")); diff != "" {
		t.Errorf("List after overwrite (-want +got):\n%s", diff)
	}
	obj, err := s.Stat(context.Background(), "a/Release")
	if err != nil || obj.Size != 3 || (obj.SHA256 != "" && obj.SHA256 != sum([]byte("new"))) {
		t.Errorf("Stat after overwrite = %+v, %v; want size 3 and the new sha256", obj, err)
	}
}

func testPrefixListing(t *testing.T, s publish.Store) {
	for _, k := range []string{"p/a", "p/b/c", "pa", "q/x", "p/b/d/e"} {
		put(t, s, k, []byte(k))
	}
	tests := []struct {
		prefix string
		want   []string
	}{
		{"", []string{"p/a", "p/b/c", "p/b/d/e", "pa", "q/x"}},
		{"p/", []string{"p/a", "p/b/c", "p/b/d/e"}},
		{"p", []string{"p/a", "p/b/c", "p/b/d/e", "pa"}},
		{"p/b/", []string{"p/b/c", "p/b/d/e"}},
		{"p/b/c", []string{"p/b/c"}},
		{"q/", []string{"q/x"}},
		{"nothing/", nil},
	}
	for _, tt := range tests {
		var got []string
		for k := range list(t, s, tt.prefix) {
			got = append(got, k)
		}
		if diff := cmp.Diff(tt.want, sorted(got)); diff != "" {
			t.Errorf("List(%q) (-want +got):\n%s", tt.prefix, diff)
		}
	}
}

func sorted(s []string) []string {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
	return s
}

func testNotFound(t *testing.T, s publish.Store) {
	ctx := context.Background()
	put(t, s, "present", []byte("x"))
	if _, err := s.Get(ctx, "missing/file.json"); !errors.Is(err, publish.ErrNotExist) {
		t.Errorf("Get(missing) error = %v, want ErrNotExist", err)
	}
	if _, err := s.Stat(ctx, "missing/file.json"); !errors.Is(err, publish.ErrNotExist) {
		t.Errorf("Stat(missing) error = %v, want ErrNotExist", err)
	}
	if err := s.Delete(ctx, "missing/file.json"); err != nil {
		t.Errorf("Delete(missing) = %v, want nil", err)
	}
}

func testDelete(t *testing.T, s publish.Store) {
	put(t, s, "d/one", []byte("1"))
	put(t, s, "d/two", []byte("2"))
	if err := s.Delete(context.Background(), "d/one"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if _, err := s.Get(context.Background(), "d/one"); !errors.Is(err, publish.ErrNotExist) {
		t.Errorf("Get after Delete error = %v, want ErrNotExist", err)
	}
	if diff := cmp.Diff(map[string]int64{"d/two": 1}, list(t, s, "")); diff != "" {
		t.Errorf("List after Delete (-want +got):\n%s", diff)
	}
}

// Keys with '+' (S3 decodes a literal '+' in a path as a space), spaces and
// other characters registries use must round-trip unchanged.
func testAwkwardKeys(t *testing.T, s publish.Store) {
	keys := []string{
		"apt/pool/main/f/foo_1.0+dfsg-1_amd64.deb",
		"yum/Packages/l/libstdc++-13.2.1-1.x86_64.rpm",
		"pypi/files/x/x-1.0+local-py3-none-any.whl",
		"dir with space/a b.txt",
		"plus+and space/a+b c",
		"npm/@scope/name/-/name-1.0.0.tgz",
		"tilde/2.0~beta1-1_arm64.deb",
		"percent/a%2Bb",
		"unicode/naïve-1.0.tar.gz",
		".stockpile/lock",
	}
	for _, k := range keys {
		put(t, s, k, []byte("bytes of "+k))
	}
	got := list(t, s, "")
	for _, k := range keys {
		if _, ok := got[k]; !ok {
			t.Errorf("List misses %q (got %v)", k, got)
		}
		if b := get(t, s, k); string(b) != "bytes of "+k {
			t.Errorf("Get(%q) = %q", k, b)
		}
	}
	if len(got) != len(keys) {
		t.Errorf("List returned %d keys, want %d: %v", len(got), len(keys), got)
	}
	if got := list(t, s, "plus+and space/"); len(got) != 1 {
		t.Errorf("List(%q) = %v, want one key", "plus+and space/", got)
	}
}

func testMetadataSHA256(t *testing.T, s publish.Store) {
	data := []byte("an artifact")
	put(t, s, "pool/a.deb", data)
	obj, err := s.Stat(context.Background(), "pool/a.deb")
	if err != nil {
		t.Fatalf("Stat: %v", err)
	}
	want := publish.Object{Key: "pool/a.deb", Size: int64(len(data)), SHA256: sum(data)}
	if diff := cmp.Diff(want, obj); diff != "" {
		t.Errorf("Stat (-want +got):\n%s", diff)
	}
}

func testIfNoneMatch(t *testing.T, s publish.Store) {
	ctx := context.Background()
	first := []byte("owner one")
	opts := publish.PutOptions{ContentType: "application/json", IfNoneMatch: true}
	if err := s.Put(ctx, ".stockpile/lock", bytes.NewReader(first), int64(len(first)), opts); err != nil {
		t.Fatalf("conditional Put of a new key: %v", err)
	}
	second := []byte("owner two")
	err := s.Put(ctx, ".stockpile/lock", bytes.NewReader(second), int64(len(second)), opts)
	if !errors.Is(err, publish.ErrPrecondition) {
		t.Errorf("conditional Put of an existing key = %v, want ErrPrecondition", err)
	}
	if got := get(t, s, ".stockpile/lock"); !bytes.Equal(got, first) {
		t.Errorf("after a lost conditional Put, Get = %q, want %q", got, first)
	}
}

func testEmpty(t *testing.T, s publish.Store) {
	put(t, s, "empty", nil)
	if got := get(t, s, "empty"); len(got) != 0 {
		t.Errorf("Get(empty) = %q", got)
	}
	if diff := cmp.Diff(map[string]int64{"empty": 0}, list(t, s, "")); diff != "" {
		t.Errorf("List (-want +got):\n%s", diff)
	}
}

// A file bigger than S3's smallest part, so that a store configured with a
// small part size uploads it in several parts.
func testLarge(t *testing.T, s publish.Store) {
	data := bytes.Repeat([]byte(strings.Repeat("0123456789abcdef", 64)), 12<<10+7) // 12 MiB + 7 KiB
	put(t, s, "big/blob.deb", data)
	if got := get(t, s, "big/blob.deb"); !bytes.Equal(got, data) {
		t.Errorf("Get(big) returned %d bytes, sha256 %s; want %d, %s", len(got), sum(got), len(data), sum(data))
	}
	obj, err := s.Stat(context.Background(), "big/blob.deb")
	if err != nil || obj.Size != int64(len(data)) || obj.SHA256 != sum(data) {
		t.Errorf("Stat(big) = %+v, %v; want size %d, sha256 %s", obj, err, len(data), sum(data))
	}
}

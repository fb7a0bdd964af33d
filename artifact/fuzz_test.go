package artifact

import (
	"bytes"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzRedact feeds manifest sources (written by whoever opens a pull
// request) to redact: it must not panic nor let a password through.
func FuzzRedact(f *testing.F) {
	for _, s := range []string{
		"blobs/apt/x.deb",
		"https://example.com/pool/x.deb",
		"https://user:secret@example.com/x.deb?token=abc#frag",
		"s3://bucket/key+with+plus",
		"file:///abs/path",
		"http://[::1]:80/x",
		"https://u:p@bad host/%zz",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		out := redact(src)
		if !strings.Contains(src, "://") {
			return // a path in the repository, not a URL
		}
		u, err := url.Parse(out)
		if err != nil || u.User == nil {
			return
		}
		if p, ok := u.User.Password(); ok && p != "xxxxx" {
			t.Errorf("redact(%q) = %q keeps password %q", src, out, p)
		}
	})
}

// FuzzStatCache loads arbitrary stat cache files: a damaged cache is
// dropped, never a crash.
func FuzzStatCache(f *testing.F) {
	dir := f.TempDir()
	c := loadStatCache(dir)
	c.entries["/some/file"] = statEntry{Key: statKey{Size: 10, MTime: 1, Ino: 2}}
	c.dirty = true
	if err := c.save(); err != nil {
		f.Fatal(err)
	}
	valid, err := os.ReadFile(filepath.Join(dir, statFile))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(valid)
	f.Add(valid[:len(valid)/2])
	f.Add(bytes.Repeat([]byte{0xff}, 64))
	f.Add([]byte(statMagic + "\x01\x05/file"))
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, statFile), data, 0o644); err != nil {
			t.Fatal(err)
		}
		c := loadStatCache(dir)
		if c.entries == nil {
			t.Fatal("loadStatCache returned no map")
		}
		// What loads writes back the same.
		if entries, ok := decodeStats(encodeStats(c.entries)); !ok || len(entries) != len(c.entries) {
			t.Errorf("round trip of %d entries: %d, %v", len(c.entries), len(entries), ok)
		}
	})
}

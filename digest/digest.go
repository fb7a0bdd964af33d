// Package digest computes the hashes every format needs from an artifact in a
// single pass over its bytes.
package digest

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"hash"
	"io"
	"os"
)

// Set holds an artifact's size and hashes, hex-encoded.
type Set struct {
	Size   int64  `json:"size"`
	MD5    string `json:"md5"`
	SHA1   string `json:"sha1"`
	SHA256 string `json:"sha256"`
	SHA512 string `json:"sha512"`
}

// Writer hashes everything written to it with every algorithm at once.
type Writer struct {
	n                         int64
	md5, sha1, sha256, sha512 hash.Hash
}

// NewWriter returns a Writer with empty hashes.
func NewWriter() *Writer {
	return &Writer{md5: md5.New(), sha1: sha1.New(), sha256: sha256.New(), sha512: sha512.New()}
}

func (w *Writer) Write(p []byte) (int, error) {
	w.md5.Write(p)
	w.sha1.Write(p)
	w.sha256.Write(p)
	w.sha512.Write(p)
	w.n += int64(len(p))
	return len(p), nil
}

// Set returns the digests of what has been written so far.
func (w *Writer) Set() Set {
	return Set{
		Size:   w.n,
		MD5:    hex.EncodeToString(w.md5.Sum(nil)),
		SHA1:   hex.EncodeToString(w.sha1.Sum(nil)),
		SHA256: hex.EncodeToString(w.sha256.Sum(nil)),
		SHA512: hex.EncodeToString(w.sha512.Sum(nil)),
	}
}

// Of reads r to the end and returns its digests.
func Of(r io.Reader) (Set, error) {
	w := NewWriter()
	_, err := io.Copy(w, r)
	return w.Set(), err
}

// SHA256 reads r to the end and returns its sha256, hex-encoded: for bytes
// that need no other hash.
func SHA256(r io.Reader) (string, error) {
	h := sha256.New()
	if _, err := io.Copy(h, r); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// FileSHA256 returns the sha256 of the file at p, hex-encoded.
func FileSHA256(p string) (string, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", err
	}
	defer f.Close()
	return SHA256(f)
}

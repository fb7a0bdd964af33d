package publish_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
)

func bytesReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

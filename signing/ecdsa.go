package signing

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"

	"github.com/stockpile/stockpile/formats"
)

// ECDSA is an npm registry key: an ECDSA P-256 private key whose signatures
// npm verifies against the registry's -/npm/v1/keys.
type ECDSA struct {
	priv  *ecdsa.PrivateKey
	spki  []byte // DER SubjectPublicKeyInfo
	keyID string
}

var _ formats.RegistryKey = (*ECDSA)(nil)

// GenerateECDSA makes a new P-256 registry key.
func GenerateECDSA() (*ECDSA, error) {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate ecdsa key: %w", err)
	}
	return newECDSA(priv)
}

// ParseECDSA reads a PEM private key: PKCS#8 ("PRIVATE KEY", as openssl
// genpkey writes it) or SEC 1 ("EC PRIVATE KEY"), on the P-256 curve.
// Errors never quote the input.
func ParseECDSA(data []byte) (*ECDSA, error) {
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 {
		return nil, errors.New("empty key")
	}
	block, rest := pem.Decode(trimmed)
	if block == nil {
		return nil, errors.New(`not a PEM key: want a "PRIVATE KEY" block (openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256)`)
	}
	if len(bytes.TrimSpace(rest)) > 0 {
		return nil, errors.New("holds more than one PEM block; want exactly one private key")
	}
	var key any
	var err error
	switch block.Type {
	case "PRIVATE KEY":
		key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	case "EC PRIVATE KEY":
		key, err = x509.ParseECPrivateKey(block.Bytes)
	case "PUBLIC KEY":
		return nil, errors.New("this is a public key; signing needs the private key")
	case "ENCRYPTED PRIVATE KEY":
		return nil, errors.New("the private key is encrypted; store it unencrypted where only the build can read it (a file outside Git, or an environment variable)")
	default:
		return nil, errors.New(`a PEM block of another kind; want "PRIVATE KEY" (PKCS#8) or "EC PRIVATE KEY"`)
	}
	if err != nil {
		// The parser's text may describe the key's bytes: say only what failed.
		return nil, fmt.Errorf("not a readable %s block", block.Type)
	}
	priv, ok := key.(*ecdsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("a %T key; npm registry signatures need ECDSA P-256", key)
	}
	if priv.Curve != elliptic.P256() {
		return nil, fmt.Errorf("an ECDSA key on %s; npm registry signatures need P-256", priv.Curve.Params().Name)
	}
	return newECDSA(priv)
}

// LoadECDSA reads the registry key that ref names: a path relative to root
// (the registry repository), "file:///abs/path", or "env:NAME" for a key
// held in an environment variable (read with getenv). Errors name the ref
// and never quote the key.
func LoadECDSA(ref, root string, getenv func(string) string) (*ECDSA, error) {
	data, err := ReadKeyRef(ref, root, getenv)
	if err != nil {
		return nil, fmt.Errorf("npm registry key %q: %w", ref, err)
	}
	k, err := ParseECDSA(data)
	if err != nil {
		return nil, fmt.Errorf("npm registry key %q: %w", ref, err)
	}
	return k, nil
}

func newECDSA(priv *ecdsa.PrivateKey) (*ECDSA, error) {
	spki, err := x509.MarshalPKIXPublicKey(&priv.PublicKey)
	if err != nil {
		return nil, fmt.Errorf("encode ecdsa public key: %w", err)
	}
	sum := sha256.Sum256(spki)
	// npm compares key ids as opaque strings between the keys document and
	// each signature; this is the form npm's own ids take (SSH-style
	// "SHA256:" and unpadded base64).
	return &ECDSA{priv: priv, spki: spki, keyID: "SHA256:" + base64.RawStdEncoding.EncodeToString(sum[:])}, nil
}

// KeyID returns "SHA256:" and the unpadded base64 of the sha256 of the DER
// SubjectPublicKeyInfo.
func (k *ECDSA) KeyID() string { return k.keyID }

// PublicKey returns the DER SubjectPublicKeyInfo, the bytes that npm's
// -/npm/v1/keys lists in base64.
func (k *ECDSA) PublicKey() []byte { return bytes.Clone(k.spki) }

// Sign returns an ASN.1 DER ECDSA signature over SHA-256(msg). Signatures
// are deterministic (RFC 6979), so that a rebuild of the same registry
// writes the same bytes.
func (k *ECDSA) Sign(msg []byte) ([]byte, error) {
	sum := sha256.Sum256(msg)
	// A nil random source selects RFC 6979 deterministic nonces.
	sig, err := k.priv.Sign(nil, sum[:], crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("ecdsa sign: %w", err)
	}
	return sig, nil
}

// PrivatePEM returns the private key as a PKCS#8 "PRIVATE KEY" PEM block,
// for writing to a development key file.
func (k *ECDSA) PrivatePEM() ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(k.priv)
	if err != nil {
		return nil, fmt.Errorf("encode ecdsa private key %s: %w", k.keyID, err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// PublicPEM returns the public key as a "PUBLIC KEY" PEM block.
func (k *ECDSA) PublicPEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: k.spki})
}

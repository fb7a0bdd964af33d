// Package tuf signs TUF metadata over every file of a built tree: the trusted
// root kept in Git, one delegated targets role per repository (split into
// hashed bins when large), snapshot and timestamp, with consistent snapshots.
package tuf

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"

	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/theupdateframework/go-tuf/v2/metadata"

	"github.com/stockpile/stockpile/signing"
)

// KMSPrefix starts a reference to an AWS KMS key: awskms:///alias/NAME or
// awskms:///arn:aws:kms:....
const KMSPrefix = "awskms:///"

// LoadSigner returns a signer for the private key at ref: a key file or
// environment variable holding a PEM private key (Ed25519 or ECDSA P-256,
// PKCS#8), or an AWS KMS key. Errors never quote key material.
func LoadSigner(ctx context.Context, ref, root string, getenv func(string) string) (signature.Signer, error) {
	if strings.HasPrefix(ref, KMSPrefix) {
		return newKMSSigner(ctx, strings.TrimPrefix(ref, KMSPrefix), getenv)
	}
	data, err := signing.ReadKeyRef(ref, root, getenv)
	if err != nil {
		return nil, fmt.Errorf("tuf key %q: %w", ref, err)
	}
	s, err := ParsePrivateKey(data)
	if err != nil {
		return nil, fmt.Errorf("tuf key %q: %w", ref, err)
	}
	return s, nil
}

// ParsePrivateKey reads a PEM PKCS#8 private key, Ed25519 or ECDSA P-256.
func ParsePrivateKey(data []byte) (signature.Signer, error) {
	block, rest := pem.Decode(bytes.TrimSpace(data))
	if block == nil || block.Type != "PRIVATE KEY" || len(bytes.TrimSpace(rest)) > 0 {
		return nil, errors.New(`want exactly one PEM "PRIVATE KEY" block (PKCS#8, Ed25519 or ECDSA P-256)`)
	}
	key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, errors.New("not a valid PKCS#8 private key")
	}
	switch k := key.(type) {
	case ed25519.PrivateKey:
		return signature.LoadED25519Signer(k)
	case *ecdsa.PrivateKey:
		if k.Curve != elliptic.P256() {
			return nil, errors.New("ECDSA keys must use the P-256 curve")
		}
		return signature.LoadECDSASigner(k, crypto.SHA256)
	}
	return nil, fmt.Errorf("unsupported key type %T; use Ed25519 or ECDSA P-256", key)
}

// GenerateKey makes a new Ed25519 key and returns it as PEM PKCS#8.
func GenerateKey() ([]byte, error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// PublicKey returns the TUF key of a signer and its key ID.
func PublicKey(s signature.Signer) (*metadata.Key, string, error) {
	pub, err := s.PublicKey()
	if err != nil {
		return nil, "", err
	}
	k, err := metadata.KeyFromPublicKey(pub)
	if err != nil {
		return nil, "", err
	}
	id, err := k.ID()
	return k, id, err
}

package signing

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestECDSARoundTrip(t *testing.T) {
	k, err := GenerateECDSA()
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^SHA256:[A-Za-z0-9+/]{43}$`).MatchString(k.KeyID()) {
		t.Errorf("KeyID() = %q, want SHA256: and 43 unpadded base64 characters", k.KeyID())
	}
	sum := sha256.Sum256(k.PublicKey())
	if want := "SHA256:" + base64.RawStdEncoding.EncodeToString(sum[:]); k.KeyID() != want {
		t.Errorf("KeyID() = %q, want %q", k.KeyID(), want)
	}
	priv, err := k.PrivatePEM()
	if err != nil {
		t.Fatal(err)
	}
	again, err := ParseECDSA(priv)
	if err != nil {
		t.Fatalf("ParseECDSA(PrivatePEM()): %v", err)
	}
	if again.KeyID() != k.KeyID() || !bytes.Equal(again.PublicKey(), k.PublicKey()) {
		t.Errorf("parsed key differs from the generated one")
	}
	block, _ := pem.Decode(k.PublicPEM())
	if block == nil || block.Type != "PUBLIC KEY" || !bytes.Equal(block.Bytes, k.PublicKey()) {
		t.Errorf("PublicPEM() does not hold the SPKI")
	}

	msg := []byte("@scope/name@1.0.0:sha512-AAAA")
	sig, err := k.Sign(msg)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := x509.ParsePKIXPublicKey(k.PublicKey())
	if err != nil {
		t.Fatal(err)
	}
	digest := sha256.Sum256(msg)
	if !ecdsa.VerifyASN1(pub.(*ecdsa.PublicKey), digest[:], sig) {
		t.Errorf("signature does not verify")
	}
	sig2, err := again.Sign(msg)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(sig, sig2) {
		t.Errorf("signatures of the same message differ: want deterministic (RFC 6979)")
	}
	other, _ := k.Sign([]byte("other"))
	if bytes.Equal(sig, other) {
		t.Errorf("signatures of different messages are equal")
	}
}

func TestParseECDSASEC1(t *testing.T) {
	priv, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der, err := x509.MarshalECPrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	k, err := ParseECDSA(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}))
	if err != nil {
		t.Fatalf("ParseECDSA(SEC 1): %v", err)
	}
	spki, _ := x509.MarshalPKIXPublicKey(&priv.PublicKey)
	if !bytes.Equal(k.PublicKey(), spki) {
		t.Errorf("SEC 1 key parsed to another public key")
	}
}

func pkcs8(t *testing.T, key any) []byte {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
}

func TestParseECDSAErrors(t *testing.T) {
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	_, edKey, _ := ed25519.GenerateKey(rand.Reader)
	good, _ := GenerateECDSA()
	goodPEM, _ := good.PrivatePEM()
	secret := []byte("-----BEGIN PRIVATE KEY-----\nU0VDUkVUU0VDUkVUU0VDUkVU\n-----END PRIVATE KEY-----\n")
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "empty key"},
		{"not PEM", []byte("hello"), "not a PEM key"},
		{"public key", good.PublicPEM(), "public key"},
		{"P-384", pkcs8(t, p384), "P-384"},
		{"RSA", pkcs8(t, rsaKey), "need ECDSA P-256"},
		{"Ed25519", pkcs8(t, edKey), "need ECDSA P-256"},
		{"two blocks", append(append([]byte{}, goodPEM...), goodPEM...), "more than one PEM block"},
		{"encrypted", pem.EncodeToMemory(&pem.Block{Type: "ENCRYPTED PRIVATE KEY", Bytes: []byte{1}}), "encrypted"},
		{"other block", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte{1}}), "another kind"},
		{"garbage DER", secret, "not a readable PRIVATE KEY block"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseECDSA(tt.data)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("ParseECDSA() error = %v, want it to mention %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "U0VDUkVU") {
				t.Errorf("error quotes the key: %v", err)
			}
		})
	}
}

func TestLoadECDSA(t *testing.T) {
	k, _ := GenerateECDSA()
	data, _ := k.PrivatePEM()
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, ".stockpile/keys"), 0o700)
	os.WriteFile(filepath.Join(root, ".stockpile/keys/npm.pem"), data, 0o600)
	env := map[string]string{"NPM_KEY": string(data)}
	getenv := func(n string) string { return env[n] }
	for _, ref := range []string{
		".stockpile/keys/npm.pem",
		"env:NPM_KEY",
		"file://" + filepath.ToSlash(filepath.Join(root, ".stockpile/keys/npm.pem")),
	} {
		t.Run(ref, func(t *testing.T) {
			got, err := LoadECDSA(ref, root, getenv)
			if err != nil {
				t.Fatalf("LoadECDSA(%q): %v", ref, err)
			}
			if got.KeyID() != k.KeyID() {
				t.Errorf("LoadECDSA(%q) key id = %s, want %s", ref, got.KeyID(), k.KeyID())
			}
		})
	}
	for _, ref := range []string{"", "missing.pem", "env:UNSET", "../outside.pem", "/abs/key.pem", "s3://bucket/key"} {
		t.Run("bad "+ref, func(t *testing.T) {
			_, err := LoadECDSA(ref, root, getenv)
			if err == nil || !strings.Contains(err.Error(), "npm registry key") {
				t.Fatalf("LoadECDSA(%q) error = %v, want a located error", ref, err)
			}
		})
	}
}

// OpenSSL, as an independent implementation, verifies the signatures and
// reads the key files.
func TestECDSAOpenSSL(t *testing.T) {
	openssl, err := exec.LookPath("openssl")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("openssl is required in CI: %v", err)
		}
		t.Skip("openssl not installed")
	}
	dir := t.TempDir()
	k, _ := GenerateECDSA()
	priv, _ := k.PrivatePEM()
	msg := []byte("left-pad@1.3.0:sha512-abc==")
	sig, _ := k.Sign(msg)
	for name, data := range map[string][]byte{"key.pem": priv, "pub.pem": k.PublicPEM(), "msg": msg, "sig": sig} {
		os.WriteFile(filepath.Join(dir, name), data, 0o600)
	}
	cmd := exec.Command(openssl, "dgst", "-sha256", "-verify", "pub.pem", "-signature", "sig", "msg")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("openssl dgst -verify: %v\n%s", err, out)
	}
	// A key made by openssl loads.
	cmd = exec.Command(openssl, "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "gen.pem")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("openssl genpkey: %v\n%s", err, out)
	}
	if _, err := LoadECDSA("gen.pem", dir, os.Getenv); err != nil {
		t.Errorf("LoadECDSA(openssl genpkey output): %v", err)
	}
}

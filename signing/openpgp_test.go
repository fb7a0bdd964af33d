package signing

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

var testNow = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustParse(t testing.TB, name string) *OpenPGP {
	t.Helper()
	k, err := ParseOpenPGP(readTestdata(t, name))
	if err != nil {
		t.Fatalf("ParseOpenPGP(%s): %v", name, err)
	}
	return k
}

func mustGenerate(t testing.TB) *OpenPGP {
	t.Helper()
	k, err := GenerateOpenPGP("Stockpile Test", "test@example.org", testNow)
	if err != nil {
		t.Fatalf("GenerateOpenPGP: %v", err)
	}
	return k
}

// assertNoKeyMaterial fails if msg quotes any line of the armored key, or
// any 16-character piece of its base64 body.
func assertNoKeyMaterial(t *testing.T, msg string, key []byte) {
	t.Helper()
	for _, line := range strings.Split(string(key), "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		if strings.Contains(msg, line) {
			t.Errorf("error %q quotes the key line %q", msg, line)
			continue
		}
		if isBase64Line(line) {
			for i := 0; i+16 <= len(line); i++ {
				if strings.Contains(msg, line[i:i+16]) {
					t.Errorf("error %q quotes part of the key line %q", msg, line)
					break
				}
			}
		}
	}
}

func isBase64Line(s string) bool {
	for _, r := range s {
		if !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '+' || r == '/' || r == '=') {
			return false
		}
	}
	return len(s) >= 16
}

func TestGenerateOpenPGP(t *testing.T) {
	k := mustGenerate(t)
	e := k.entity
	pk := e.PrimaryKey
	if pk.Version != 4 {
		t.Errorf("key version = %d, want 4", pk.Version)
	}
	if pk.PubKeyAlgo != packet.PubKeyAlgoEdDSA {
		t.Errorf("algorithm = %d, want EdDSA (%d)", pk.PubKeyAlgo, packet.PubKeyAlgoEdDSA)
	}
	if c, err := pk.Curve(); err != nil || c != packet.Curve25519 {
		t.Errorf("curve = %q, %v; want Ed25519", c, err)
	}
	if !pk.CreationTime.Equal(testNow) {
		t.Errorf("creation time = %v, want %v", pk.CreationTime, testNow)
	}
	if len(e.Subkeys) != 0 {
		t.Errorf("%d subkeys, want none", len(e.Subkeys))
	}
	if k.signer != e.PrivateKey {
		t.Error("the primary key does not sign")
	}
	sig, id := e.PrimarySelfSignature()
	if sig == nil || !sig.FlagsValid || !sig.FlagSign || !sig.FlagCertify {
		t.Errorf("self-signature %+v does not allow signing and certifying", sig)
	}
	if id == nil || id.Name != "Stockpile Test <test@example.org>" {
		t.Errorf("user ID = %+v", id)
	}
	if len(sig.Notations) != 0 {
		t.Errorf("self-signature has notations %v; they make output random", sig.Notations)
	}
	if got, want := len(k.Fingerprint()), 40; got != want || strings.ToUpper(k.Fingerprint()) != k.Fingerprint() {
		t.Errorf("Fingerprint() = %q, want 40 uppercase hex digits", k.Fingerprint())
	}

	if _, err := GenerateOpenPGP("Bad <name>", "", testNow); err == nil {
		t.Error("GenerateOpenPGP accepted a name with angle brackets")
	}
	if _, err := GenerateOpenPGP("x", "", time.Time{}); err == nil {
		t.Error("GenerateOpenPGP accepted the zero time")
	}
}

func TestRoundTrip(t *testing.T) {
	k := mustGenerate(t)
	priv, err := k.ArmoredPrivate()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(priv, []byte("-----BEGIN PGP PRIVATE KEY BLOCK-----\n")) ||
		!bytes.HasSuffix(priv, []byte("\n-----END PGP PRIVATE KEY BLOCK-----\n")) {
		t.Errorf("ArmoredPrivate() is not a private key block:\n%s", priv)
	}
	again, err := k.ArmoredPrivate()
	if err != nil || !bytes.Equal(priv, again) {
		t.Errorf("ArmoredPrivate() differs between calls (err %v)", err)
	}
	back, err := ParseOpenPGP(priv)
	if err != nil {
		t.Fatalf("ParseOpenPGP(ArmoredPrivate()): %v", err)
	}
	if back.Fingerprint() != k.Fingerprint() {
		t.Errorf("fingerprint after round trip = %s, want %s", back.Fingerprint(), k.Fingerprint())
	}
	priv2, err := back.ArmoredPrivate()
	if err != nil || !bytes.Equal(priv, priv2) {
		t.Errorf("ArmoredPrivate() after a round trip differs (err %v)", err)
	}

	// Signatures by the parsed key verify against the original public key.
	pubArmored, err := k.ArmoredPublic()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(pubArmored, []byte("-----BEGIN PGP PUBLIC KEY BLOCK-----\n")) ||
		!bytes.HasSuffix(pubArmored, []byte("\n-----END PGP PUBLIC KEY BLOCK-----\n")) {
		t.Errorf("ArmoredPublic() is not a public key block:\n%s", pubArmored)
	}
	ring, err := openpgp.ReadArmoredKeyRing(bytes.NewReader(pubArmored))
	if err != nil || len(ring) != 1 {
		t.Fatalf("ReadArmoredKeyRing(ArmoredPublic()) = %d keys, %v", len(ring), err)
	}
	if ring[0].PrivateKey != nil {
		t.Error("ArmoredPublic() holds a private key")
	}
	if bytes.Contains(pubArmored, priv[40:80]) {
		t.Error("ArmoredPublic() contains private key bytes")
	}
	sig, err := back.DetachSign([]byte("hello\n"), testNow)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := openpgp.CheckArmoredDetachedSignature(ring, strings.NewReader("hello\n"), bytes.NewReader(sig), nil); err != nil {
		t.Errorf("signature by the parsed key does not verify with the public key: %v", err)
	}

	bin, err := k.BinaryPublic()
	if err != nil {
		t.Fatal(err)
	}
	// apt (and apt-key) accept a .gpg keyring only if it starts with a
	// public key packet tag in one of these forms.
	if len(bin) == 0 || (bin[0] != 0x98 && bin[0] != 0x99 && bin[0] != 0xc6) {
		t.Errorf("BinaryPublic() starts with %#x; apt wants 0x98, 0x99 or 0xc6", bin[:1])
	}
	binRing, err := openpgp.ReadKeyRing(bytes.NewReader(bin))
	if err != nil || len(binRing) != 1 || binRing[0].PrivateKey != nil {
		t.Fatalf("ReadKeyRing(BinaryPublic()) = %v, %v", binRing, err)
	}
	if got := fingerprintOf(binRing[0]); got != k.Fingerprint() {
		t.Errorf("BinaryPublic() fingerprint %s, want %s", got, k.Fingerprint())
	}
}

func fingerprintOf(e *openpgp.Entity) string {
	return fmt.Sprintf("%X", e.PrimaryKey.Fingerprint)
}

func TestParseOpenPGP(t *testing.T) {
	tests := []struct {
		file    string
		wantErr string // substring; "" means success
		signer  string // "primary" or "subkey"
	}{
		{file: "ed25519.asc", signer: "primary"},
		{file: "rsa3072.asc", signer: "primary"},
		{file: "ed25519-signing-subkey.asc", signer: "subkey"},
		{file: "ed25519-offline-primary.asc", signer: "subkey"},
		{file: "ed25519-expires-2025.asc", signer: "primary"},
		{file: "ed25519-encrypted.asc", wantErr: "encrypted"},
		{file: "ed25519-public.asc", wantErr: "public key"},
		{file: "rsa2048.asc", wantErr: "RSA with 2048 bits"},
		{file: "nistp256.asc", wantErr: "ECDSA"},
		{file: "encrypt-only.asc", wantErr: "cannot sign"},
		{file: "ed25519-sha1-selfsig.asc", wantErr: "self-signature uses SHA-1"},
		{file: "rsa2048-primary-ed25519-subkey.asc", wantErr: "the primary key is RSA with 2048 bits"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			data := readTestdata(t, tt.file)
			k, err := ParseOpenPGP(data)
			if tt.wantErr != "" {
				if err == nil {
					t.Fatalf("ParseOpenPGP(%s) succeeded, want an error with %q", tt.file, tt.wantErr)
				}
				if !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("ParseOpenPGP(%s) = %q, want it to mention %q", tt.file, err, tt.wantErr)
				}
				assertNoKeyMaterial(t, err.Error(), data)
				return
			}
			if err != nil {
				t.Fatalf("ParseOpenPGP(%s): %v", tt.file, err)
			}
			isPrimary := k.signer == k.entity.PrivateKey
			if isPrimary != (tt.signer == "primary") {
				t.Errorf("signing key is primary = %v, want %s", isPrimary, tt.signer)
			}
			if k.signer.Dummy() || k.signer.Encrypted {
				t.Error("signing key has no usable private part")
			}
		})
	}
}

func TestParseOpenPGPGarbage(t *testing.T) {
	key := readTestdata(t, "ed25519.asc")
	lines := strings.Split(string(key), "\n")
	// Corrupt one character in the middle of the body.
	body := []byte(strings.Join(lines, "\n"))
	mid := bytes.Index(body, []byte("\n\n")) + 30
	corrupt := append([]byte(nil), body...)
	corrupt[mid] ^= 0x01

	tests := []struct {
		name string
		data []byte
	}{
		{"empty", nil},
		{"blank", []byte(" \n\t\n")},
		{"text", []byte("this is not a key\n")},
		{"binary garbage", []byte{0x99, 0x01, 0x02, 0xff, 0x00, 0x13, 0x37}},
		{"truncated", key[:len(key)/2]},
		{"corrupted", corrupt},
		{"cut inside the body", []byte(strings.Join(lines[:len(lines)-5], "\n"))},
		{"pem", []byte("-----BEGIN RSA PRIVATE KEY-----\nMIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf9Cnzj4p4WGeKLs1Pt8Qu\n-----END RSA PRIVATE KEY-----\n")},
		{"signature", []byte("-----BEGIN PGP SIGNATURE-----\n\nwnUEARYKACcFAmVT\n-----END PGP SIGNATURE-----\n")},
		{"two keys", append(append([]byte(nil), key...), readTestdata(t, "rsa3072.asc")...)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseOpenPGP(tt.data)
			if err == nil {
				t.Fatal("ParseOpenPGP succeeded on bad input")
			}
			assertNoKeyMaterial(t, err.Error(), tt.data)
		})
	}
}

func TestParseOpenPGPRefusesNewFormats(t *testing.T) {
	// gpgv 2.2 cannot verify v6 keys nor the RFC 9580 Ed25519 algorithm.
	v6, err := openpgp.NewEntity("v6", "", "v6@example.org", &packet.Config{V6Keys: true, Algorithm: packet.PubKeyAlgoEd25519, Time: func() time.Time { return testNow }})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := newOpenPGP(v6); err == nil || !strings.Contains(err.Error(), "v6") {
		t.Errorf("newOpenPGP(v6 key) = %v, want an error naming v6", err)
	}
	ed, err := openpgp.NewEntity("ed", "", "ed@example.org", &packet.Config{Algorithm: packet.PubKeyAlgoEd25519, Time: func() time.Time { return testNow }})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := newOpenPGP(ed); err == nil || !strings.Contains(err.Error(), "RFC 9580") {
		t.Errorf("newOpenPGP(v4 RFC 9580 Ed25519 key) = %v, want an error naming the algorithm", err)
	}
}

func TestLoadOpenPGP(t *testing.T) {
	root := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	ed := readTestdata(t, "ed25519.asc")
	enc := readTestdata(t, "ed25519-encrypted.asc")
	pub := readTestdata(t, "ed25519-public.asc")
	small := readTestdata(t, "rsa2048.asc")
	write(".stockpile/openpgp.asc", ed)
	abs := write("elsewhere/key.asc", ed)
	write("enc.asc", enc)
	write("pub.asc", pub)
	write("small.asc", small)
	write("garbage.asc", []byte("-----BEGIN PGP PRIVATE KEY BLOCK-----\n\nnot base64 at all!\n-----END PGP PRIVATE KEY BLOCK-----\n"))
	if err := os.Mkdir(filepath.Join(root, "dir"), 0o755); err != nil {
		t.Fatal(err)
	}
	edFpr := mustParse(t, "ed25519.asc").Fingerprint()

	env := map[string]string{
		"KEY":         string(ed),
		"KEY_IN_TEXT": "my release key:\r\n" + strings.ReplaceAll(string(ed), "\n", "\r\n") + "\r\n",
		"ENC_KEY":     string(enc),
		"PUB_KEY":     string(pub),
		"BLANK":       "  \n",
		"GARBAGE":     "hunter2-not-a-key",
		PassphraseEnv: "",
	}
	getenv := func(extra map[string]string) func(string) string {
		return func(k string) string {
			if v, ok := extra[k]; ok {
				return v
			}
			return env[k]
		}
	}
	pass := map[string]string{PassphraseEnv: "correct horse"}
	wrongPass := map[string]string{PassphraseEnv: "wrong horse"}

	tests := []struct {
		name    string
		ref     string
		env     map[string]string
		key     []byte // what the error must not quote
		wantErr []string
		wantFpr string
	}{
		{name: "relative path", ref: ".stockpile/openpgp.asc", wantFpr: edFpr},
		{name: "file URL", ref: "file://" + filepath.ToSlash(abs), wantFpr: edFpr},
		{name: "file URL localhost", ref: "file://localhost" + filepath.ToSlash(abs), wantFpr: edFpr},
		{name: "env", ref: "env:KEY", wantFpr: edFpr},
		{name: "env with text around", ref: "env:KEY_IN_TEXT", wantFpr: edFpr},
		{name: "encrypted with passphrase", ref: "enc.asc", env: pass},
		{name: "encrypted env with passphrase", ref: "env:ENC_KEY", env: pass},
		{name: "encrypted without passphrase", ref: "enc.asc", key: enc, wantErr: []string{`"enc.asc"`, "encrypted", PassphraseEnv}},
		{name: "wrong passphrase", ref: "env:ENC_KEY", env: wrongPass, key: enc, wantErr: []string{`"env:ENC_KEY"`, "wrong passphrase"}},
		{name: "missing file", ref: "nope.asc", wantErr: []string{`"nope.asc"`, "no such file"}},
		{name: "missing file URL", ref: "file:///nonexistent/key.asc", wantErr: []string{"no such file"}},
		{name: "directory", ref: "dir", wantErr: []string{"not a regular file"}},
		{name: "garbage file", ref: "garbage.asc", wantErr: []string{`"garbage.asc"`, "not"}},
		{name: "garbage env", ref: "env:GARBAGE", key: []byte("hunter2-not-a-key"), wantErr: []string{`"env:GARBAGE"`, "not an OpenPGP key"}},
		{name: "public key file", ref: "pub.asc", key: pub, wantErr: []string{`"pub.asc"`, "public key", "private key"}},
		{name: "public key env", ref: "env:PUB_KEY", key: pub, wantErr: []string{"public key"}},
		{name: "small RSA", ref: "small.asc", key: small, wantErr: []string{"2048 bits", "3072"}},
		{name: "unset env", ref: "env:UNSET", wantErr: []string{"UNSET", "not set"}},
		{name: "blank env", ref: "env:BLANK", wantErr: []string{"BLANK", "not set or empty"}},
		{name: "env without name", ref: "env:", wantErr: []string{"variable name"}},
		{name: "absolute path", ref: abs, wantErr: []string{"file://"}},
		{name: "leaves repository", ref: "../key.asc", wantErr: []string{"leaves the repository"}},
		{name: "remote URL", ref: "https://example.org/key.asc", wantErr: []string{"scheme"}},
		{name: "file URL with host", ref: "file://host/key.asc", wantErr: []string{"file:///absolute/path"}},
		{name: "relative file URL", ref: "file:key.asc", wantErr: []string{"file:///absolute/path"}},
		{name: "empty", ref: "", wantErr: []string{"empty"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, err := LoadOpenPGP(tt.ref, root, getenv(tt.env))
			if len(tt.wantErr) > 0 {
				if err == nil {
					t.Fatalf("LoadOpenPGP(%q) succeeded, want an error", tt.ref)
				}
				for _, w := range tt.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("LoadOpenPGP(%q) = %q, want it to mention %q", tt.ref, err, w)
					}
				}
				for _, secret := range [][]byte{tt.key, ed, enc, []byte("correct horse"), []byte("wrong horse")} {
					assertNoKeyMaterial(t, err.Error(), secret)
				}
				return
			}
			if err != nil {
				t.Fatalf("LoadOpenPGP(%q): %v", tt.ref, err)
			}
			if tt.wantFpr != "" && k.Fingerprint() != tt.wantFpr {
				t.Errorf("LoadOpenPGP(%q) fingerprint = %s, want %s", tt.ref, k.Fingerprint(), tt.wantFpr)
			}
			if _, err := k.ClearSign([]byte("x\n"), testNow); err != nil {
				t.Errorf("loaded key cannot sign: %v", err)
			}
		})
	}
}

func TestLoadOpenPGPError(t *testing.T) {
	// Load errors wrap the file system's, so callers can tell a missing file.
	_, err := LoadOpenPGP("missing.asc", t.TempDir(), func(string) string { return "" })
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("LoadOpenPGP(missing) = %v, want os.ErrNotExist", err)
	}
}

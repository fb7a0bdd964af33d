package signing

import (
	"bytes"
	"crypto"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/clearsign"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// release is shaped like an apt Release file.
const release = `Origin: Stockpile
Label: Stockpile
Suite: stable
Date: Sun, 01 Jun 2025 12:00:00 UTC
Architectures: amd64 arm64
Components: main
Acquire-By-Hash: yes
SHA256:
 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 0 main/binary-amd64/Packages
`

// tricky holds every line form the cleartext framework treats specially.
const tricky = "-----BEGIN PGP SIGNATURE-----\n" +
	"- already escaped\n" +
	"-\n" +
	"From the start\n" +
	"From\n" +
	">From quoted\n" +
	"trailing spaces   \n" +
	"trailing tab\t\n" +
	"   \n" +
	"\n" +
	" leading space\n" +
	"\t-tab then dash\n" +
	"ünïcödé\n" +
	"-----END PGP SIGNATURE-----\n"

// signedText is what a verifier reads from a cleartext signature of data:
// the same lines without trailing spaces and tabs (RFC 4880 §7.1).
func signedText(data string) string {
	lines := strings.Split(data, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " \t")
	}
	return strings.Join(lines, "\n")
}

// aptSplit reads a clearsigned file the way apt 2.6 does before it hands the
// parts to gpgv (SplitClearSignedFile in apt-pkg/contrib/gpgv.cc): it returns
// the message apt parses, and fails where apt refuses the file.
func aptSplit(in []byte) (string, error) {
	lines := strings.Split(string(in), "\n")
	if strings.HasSuffix(string(in), "\n") {
		lines = lines[:len(lines)-1]
	}
	i := 0
	next := func() (string, bool) {
		if i >= len(lines) {
			return "", false
		}
		l := strings.TrimRight(lines[i], "\n\r")
		l = strings.TrimRight(l, " \t")
		i++
		return l, true
	}
	l, ok := next()
	if !ok || l != beginSigned {
		return "", errors.New("does not start with a signed message block")
	}
	for {
		l, ok := next()
		if !ok {
			return "", errors.New("ends in the armor headers")
		}
		if l == "" {
			break
		}
		if strings.HasPrefix(l, "-") {
			return "", errors.New("armor header starting with a dash")
		}
	}
	var msg strings.Builder
	first := true
	for {
		l, ok := next()
		if !ok {
			return "", errors.New("no signature")
		}
		if strings.HasPrefix(l, "-") {
			if l == "-----BEGIN PGP SIGNATURE-----" {
				break
			}
			if !strings.HasPrefix(l, "- ") {
				return "", errors.New("unescaped line starting with a dash")
			}
			l = l[2:]
		}
		if !first {
			msg.WriteByte('\n')
		}
		msg.WriteString(l)
		first = false
	}
	open := true
	for {
		l, ok := next()
		if !ok {
			break
		}
		switch {
		case open && l == "-----END PGP SIGNATURE-----":
			open = false
		case open && strings.HasPrefix(l, "-"):
			return "", errors.New("dash line inside the signature")
		case !open && l == "-----BEGIN PGP SIGNATURE-----":
			open = true
		case !open:
			return "", errors.New("unsigned lines after the signature")
		}
	}
	if open {
		return "", errors.New("signature not closed")
	}
	return msg.String(), nil
}

// keyring returns the public half of k as go-crypto reads it.
func keyring(t testing.TB, k *OpenPGP) openpgp.EntityList {
	t.Helper()
	pub, err := k.BinaryPublic()
	if err != nil {
		t.Fatal(err)
	}
	ring, err := openpgp.ReadKeyRing(bytes.NewReader(pub))
	if err != nil {
		t.Fatal(err)
	}
	return ring
}

// parseSignature reads the one signature packet of an armored block.
func parseSignature(t *testing.T, armored []byte) *packet.Signature {
	t.Helper()
	block, err := armor.Decode(bytes.NewReader(armored))
	if err != nil {
		t.Fatalf("armor.Decode: %v", err)
	}
	p, err := packet.Read(block.Body)
	if err != nil {
		t.Fatalf("packet.Read: %v", err)
	}
	sig, ok := p.(*packet.Signature)
	if !ok {
		t.Fatalf("packet is %T, want a signature", p)
	}
	if _, err := packet.Read(block.Body); err == nil {
		t.Error("more than one packet in the signature block")
	}
	return sig
}

func checkSignature(t *testing.T, sig *packet.Signature, k *OpenPGP, kind packet.SignatureType, when time.Time) {
	t.Helper()
	if sig.Version != 4 {
		t.Errorf("signature version = %d, want 4", sig.Version)
	}
	if sig.SigType != kind {
		t.Errorf("signature type = %#x, want %#x", sig.SigType, kind)
	}
	if sig.Hash != crypto.SHA512 {
		t.Errorf("signature hash = %v, want SHA-512", sig.Hash)
	}
	if !sig.CreationTime.Equal(when) {
		t.Errorf("signature time = %v, want %v", sig.CreationTime, when)
	}
	if sig.IssuerKeyId == nil || *sig.IssuerKeyId != k.signer.KeyId {
		t.Errorf("issuer = %v, want %X", sig.IssuerKeyId, k.signer.KeyId)
	}
	if len(sig.Notations) != 0 {
		t.Errorf("signature has %d notations, want none", len(sig.Notations))
	}
}

// header is how every clearsigned output starts.
const header = beginSigned + "\nHash: SHA512\n\n"

// splitClearSigned returns the cleartext of a clearsigned file, with
// dash-escapes undone and nothing else changed, and its signature block.
func splitClearSigned(t *testing.T, out []byte) (text string, sig []byte) {
	t.Helper()
	end := bytes.Index(out, []byte("\n-----BEGIN PGP SIGNATURE-----\n"))
	if !bytes.HasPrefix(out, []byte(header)) || end < len(header)-1 {
		t.Fatalf("not a clearsigned file:\n%s", out)
	}
	body := ""
	if end >= len(header) {
		body = string(out[len(header):end])
	}
	lines := strings.Split(body, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimPrefix(l, "- ")
	}
	return strings.Join(lines, "\n"), out[end+1:]
}

var clearSignInputs = map[string]string{
	"release":            release,
	"tricky":             tricky,
	"empty":              "",
	"newline":            "\n",
	"no final newline":   "Origin: x\nLabel: y",
	"blank lines at end": "a\n\n\n",
}

func testKeys(t *testing.T) map[string]*OpenPGP {
	return map[string]*OpenPGP{
		"generated":       mustGenerate(t),
		"gpg ed25519":     mustParse(t, "ed25519.asc"),
		"gpg rsa3072":     mustParse(t, "rsa3072.asc"),
		"signing subkey":  mustParse(t, "ed25519-signing-subkey.asc"),
		"offline primary": mustParse(t, "ed25519-offline-primary.asc"),
	}
}

func TestClearSign(t *testing.T) {
	for kname, k := range testKeys(t) {
		ring := keyring(t, k)
		for iname, data := range clearSignInputs {
			t.Run(kname+"/"+iname, func(t *testing.T) {
				out, err := k.ClearSign([]byte(data), testNow)
				if err != nil {
					t.Fatalf("ClearSign: %v", err)
				}
				if !bytes.HasPrefix(out, []byte(header)) {
					t.Errorf("output does not start with the signed message header:\n%s", out)
				}
				if !bytes.HasSuffix(out, []byte("\n-----END PGP SIGNATURE-----\n")) {
					t.Errorf("output does not end with the END line and one newline:\n%q", out[max(0, len(out)-60):])
				}

				// go-crypto verifies it and reads the signed text.
				b, rest := clearsign.Decode(out)
				if b == nil {
					t.Fatalf("clearsign.Decode found no signed message in:\n%s", out)
				}
				if len(rest) != 0 {
					t.Errorf("%d bytes after the signature", len(rest))
				}
				if _, err := b.VerifySignature(ring, nil); err != nil {
					t.Errorf("VerifySignature: %v", err)
				}
				if diff := cmp.Diff(signedText(data), string(b.Plaintext)); diff != "" {
					t.Errorf("signed text (-want +got):\n%s", diff)
				}

				// apt accepts the layout and reads the same text.
				got, err := aptSplit(out)
				if err != nil {
					t.Fatalf("apt would refuse the file: %v\n%s", err, out)
				}
				if diff := cmp.Diff(signedText(data), got); diff != "" {
					t.Errorf("text apt reads (-want +got):\n%s", diff)
				}

				// The file holds the data itself, trailing blanks included.
				text, sig := splitClearSigned(t, out)
				if diff := cmp.Diff(data, text); diff != "" {
					t.Errorf("cleartext in the file (-want +got):\n%s", diff)
				}
				checkSignature(t, parseSignature(t, sig), k, packet.SigTypeText, testNow)

				// One more letter breaks the signature.
				bad := append([]byte(header+"X"), out[len(header):]...)
				if b, _ := clearsign.Decode(bad); b == nil {
					t.Error("tampered file does not decode")
				} else if _, err := b.VerifySignature(ring, nil); err == nil {
					t.Error("a tampered message verifies")
				}
			})
		}
	}
}

func TestClearSignRefusesCarriageReturn(t *testing.T) {
	k := mustParse(t, "ed25519.asc")
	for _, data := range []string{"a\r\nb\r\n", "a\rb\n", "\r"} {
		if _, err := k.ClearSign([]byte(data), testNow); err == nil || !strings.Contains(err.Error(), "carriage return") {
			t.Errorf("ClearSign(%q) = %v, want a carriage return error", data, err)
		}
	}
}

func TestDetachSign(t *testing.T) {
	inputs := map[string][]byte{
		"release": []byte(release),
		"tricky":  []byte(tricky),
		"empty":   nil,
		"binary":  {0, 1, 2, '\r', '\n', 0xff},
		"crlf":    []byte("a\r\nb \r\n"),
	}
	for kname, k := range testKeys(t) {
		ring := keyring(t, k)
		for iname, data := range inputs {
			t.Run(kname+"/"+iname, func(t *testing.T) {
				out, err := k.DetachSign(data, testNow)
				if err != nil {
					t.Fatalf("DetachSign: %v", err)
				}
				if !bytes.HasPrefix(out, []byte("-----BEGIN PGP SIGNATURE-----\n")) ||
					!bytes.HasSuffix(out, []byte("\n-----END PGP SIGNATURE-----\n")) {
					t.Errorf("not an armored signature ending with one newline:\n%s", out)
				}
				if _, err := openpgp.CheckArmoredDetachedSignature(ring, bytes.NewReader(data), bytes.NewReader(out), nil); err != nil {
					t.Errorf("CheckArmoredDetachedSignature: %v", err)
				}
				checkSignature(t, parseSignature(t, out), k, packet.SigTypeBinary, testNow)

				// Binary mode signs the exact bytes: a changed line end fails.
				bad := append(append([]byte(nil), data...), '\n')
				if _, err := openpgp.CheckArmoredDetachedSignature(ring, bytes.NewReader(bad), bytes.NewReader(out), nil); err == nil {
					t.Error("the signature verifies over changed data")
				}
			})
		}
	}
}

func TestSignDeterministic(t *testing.T) {
	for kname, k := range testKeys(t) {
		t.Run(kname, func(t *testing.T) {
			for _, f := range []func([]byte, time.Time) ([]byte, error){k.ClearSign, k.DetachSign} {
				a, err := f([]byte(release), testNow)
				if err != nil {
					t.Fatal(err)
				}
				b, err := f([]byte(release), testNow)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(a, b) {
					t.Errorf("two signatures of the same data at the same time differ:\n%s\n%s", a, b)
				}
				c, err := f([]byte(release), testNow.Add(time.Second))
				if err != nil {
					t.Fatal(err)
				}
				if bytes.Equal(a, c) {
					t.Error("signatures made at different times are equal")
				}
			}
		})
	}
}

// TestGolden pins the exact bytes made from a fixed key, data and time.
func TestGolden(t *testing.T) {
	k := mustParse(t, "ed25519.asc")
	tests := []struct {
		golden string
		sign   func([]byte, time.Time) ([]byte, error)
	}{
		{"InRelease.golden", k.ClearSign},
		{"Release.gpg.golden", k.DetachSign},
	}
	for _, tt := range tests {
		t.Run(tt.golden, func(t *testing.T) {
			got, err := tt.sign([]byte(release), testNow)
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", tt.golden)
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if diff := cmp.Diff(string(want), string(got)); diff != "" {
				t.Errorf("%s (-want +got):\n%s", tt.golden, diff)
			}
		})
	}
}

func TestSignValidity(t *testing.T) {
	k := mustParse(t, "ed25519-expires-2025.asc") // created 2024-01-01, expires 2025-01-01
	tests := []struct {
		name    string
		at      time.Time
		wantErr string
	}{
		{"while valid", time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC), ""},
		{"after expiry", time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC), "expired"},
		{"before creation (signed at the key's creation)", time.Date(2023, 6, 1, 0, 0, 0, 0, time.UTC), ""},
		{"zero time", time.Time{}, "timestamp"},
		{"after 2106", time.Date(2107, 1, 1, 0, 0, 0, 0, time.UTC), "timestamp"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, f := range []func([]byte, time.Time) ([]byte, error){k.ClearSign, k.DetachSign} {
				_, err := f([]byte("x\n"), tt.at)
				if tt.wantErr == "" {
					if err != nil {
						t.Errorf("signing at %v: %v", tt.at, err)
					}
					continue
				}
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("signing at %v = %v, want an error with %q", tt.at, err, tt.wantErr)
				}
			}
		})
	}
}

package signing

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ProtonMail/go-crypto/openpgp/clearsign"
)

// FuzzParseOpenPGP feeds mutated keys to the key parser: it must not panic,
// and its errors must never quote the input.
func FuzzParseOpenPGP(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.asc"))
	if err != nil {
		f.Fatal(err)
	}
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("-----BEGIN PGP PRIVATE KEY BLOCK-----\n\n-----END PGP PRIVATE KEY BLOCK-----\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		k, err := ParseOpenPGP(data)
		if err != nil {
			msg := err.Error()
			for _, line := range strings.Split(string(data), "\n") {
				line = strings.TrimSpace(line)
				if isBase64Line(line) && strings.Contains(msg, line) {
					t.Fatalf("error %q quotes the input line %q", msg, line)
				}
			}
			return
		}
		// Whatever parses must sign and serialize.
		if _, err := k.DetachSign([]byte("x"), testNow); err != nil && !strings.Contains(err.Error(), "cannot sign at") {
			t.Fatalf("DetachSign with a parsed key: %v", err)
		}
		if _, err := k.ArmoredPublic(); err != nil {
			t.Fatalf("ArmoredPublic: %v", err)
		}
	})
}

// FuzzClearSign checks, for any text, that the cleartext signature verifies,
// reads back as the text, and has the layout apt accepts.
func FuzzClearSign(f *testing.F) {
	for _, s := range clearSignInputs {
		f.Add(s)
	}
	f.Add("- \n--\nFrom \n \t \n")
	k := mustParse(f, "ed25519.asc")
	ring := keyring(f, k)
	f.Fuzz(func(t *testing.T, data string) {
		out, err := k.ClearSign([]byte(data), testNow)
		if strings.Contains(data, "\r") {
			if err == nil {
				t.Fatal("ClearSign accepted a carriage return")
			}
			return
		}
		if err != nil {
			t.Fatalf("ClearSign: %v", err)
		}
		b, rest := clearsign.Decode(out)
		if b == nil || len(rest) != 0 {
			t.Fatalf("clearsign.Decode(%q) = %v, rest %q", out, b, rest)
		}
		if _, err := b.VerifySignature(ring, nil); err != nil {
			t.Fatalf("VerifySignature: %v\n%s", err, out)
		}
		if got, want := string(b.Plaintext), signedText(data); got != want {
			t.Fatalf("signed text = %q, want %q", got, want)
		}
		got, err := aptSplit(out)
		if err != nil {
			t.Fatalf("apt would refuse: %v\n%s", err, out)
		}
		if want := signedText(data); got != want {
			t.Fatalf("apt reads %q, want %q", got, want)
		}
		if !bytes.HasSuffix(out, []byte("\n-----END PGP SIGNATURE-----\n")) {
			t.Fatalf("output does not end with the END line:\n%s", out)
		}
	})
}

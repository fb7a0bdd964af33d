package signing

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// verifier returns the path of a verifier apt runs (gpgv up to apt 2.8,
// sqv from apt 3.0). It skips under -short, and fails rather than skips in
// CI, where a missing verifier must not pass unnoticed.
func verifier(t *testing.T, name string) string {
	t.Helper()
	if testing.Short() {
		t.Skipf("runs %s; skipped with -short", name)
	}
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not installed (Debian package %s): %v", name, name, err)
		}
		t.Skipf("%s is not installed: %v", name, err)
	}
	return p
}

type gpgvResult struct {
	status string // --status-fd output
	stderr string
	out    []byte // --output
	err    error
}

// runGPGV runs gpgv the way apt's verification does: a binary keyring, the
// status lines on a file descriptor, and a private home directory.
func runGPGV(t *testing.T, gpgv, keyring string, args ...string) gpgvResult {
	t.Helper()
	dir := t.TempDir()
	outFile := filepath.Join(dir, "out")
	full := append([]string{"--homedir", dir, "--keyring", keyring, "--ignore-time-conflict", "--status-fd", "1", "--output", outFile}, args...)
	cmd := exec.Command(gpgv, full...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.Env = append(os.Environ(), "LANG=C", "LC_ALL=C")
	err := cmd.Run()
	out, _ := os.ReadFile(outFile)
	return gpgvResult{status: stdout.String(), stderr: stderr.String(), out: out, err: err}
}

// validSig returns the fields of the VALIDSIG status line: fingerprint,
// date, timestamp, expire, version, reserved, pubkey algo, hash algo, class,
// primary fingerprint.
func validSig(status string) []string {
	for _, line := range strings.Split(status, "\n") {
		if f := strings.Fields(line); len(f) >= 12 && f[0] == "[GNUPG:]" && f[1] == "VALIDSIG" {
			return f[2:]
		}
	}
	return nil
}

func TestGPGV(t *testing.T) {
	gpgv := verifier(t, "gpgv")
	for kname, k := range testKeys(t) {
		t.Run(kname, func(t *testing.T) {
			dir := t.TempDir()
			pub, err := k.BinaryPublic()
			if err != nil {
				t.Fatal(err)
			}
			keyring := filepath.Join(dir, "key.gpg")
			write(t, keyring, pub)

			other := mustGenerate(t)
			otherPub, err := other.BinaryPublic()
			if err != nil {
				t.Fatal(err)
			}
			otherRing := filepath.Join(dir, "other.gpg")
			write(t, otherRing, otherPub)

			wantSig := func(t *testing.T, r gpgvResult, class string) {
				t.Helper()
				if r.err != nil {
					t.Fatalf("gpgv: %v\n%s%s", r.err, r.stderr, r.status)
				}
				f := validSig(r.status)
				if f == nil {
					t.Fatalf("no VALIDSIG in gpgv status:\n%s", r.status)
				}
				if got, want := f[0], fmt.Sprintf("%X", k.signer.Fingerprint); got != want {
					t.Errorf("signed by %s, want %s", got, want)
				}
				if got := f[len(f)-1]; got != k.Fingerprint() {
					t.Errorf("primary key %s, want %s", got, k.Fingerprint())
				}
				if got := f[2]; got != fmt.Sprint(testNow.Unix()) {
					t.Errorf("signature timestamp %s, want %d", got, testNow.Unix())
				}
				if got := f[7]; got != "10" { // SHA-512
					t.Errorf("hash algorithm %s, want 10 (SHA-512)", got)
				}
				if got := f[8]; got != class {
					t.Errorf("signature class %s, want %s", got, class)
				}
				if strings.Contains(r.status, "WEAK") || strings.Contains(r.status, "KEYEXPIRED") {
					t.Errorf("gpgv warns:\n%s", r.status)
				}
			}
			wantBad := func(t *testing.T, r gpgvResult, what string) {
				t.Helper()
				if r.err == nil || strings.Contains(r.status, "GOODSIG") {
					t.Errorf("gpgv accepted %s:\n%s", what, r.status)
				}
			}

			for iname, data := range clearSignInputs {
				t.Run("clearsign/"+iname, func(t *testing.T) {
					out, err := k.ClearSign([]byte(data), testNow)
					if err != nil {
						t.Fatal(err)
					}
					inRelease := filepath.Join(t.TempDir(), "InRelease")
					write(t, inRelease, out)
					r := runGPGV(t, gpgv, keyring, inRelease)
					wantSig(t, r, "01")
					// gpgv writes out the signed text, each line ending in a
					// newline: the data, less the trailing blanks that are
					// not signed.
					if got, want := string(r.out), signedText(data)+"\n"; got != want {
						t.Errorf("gpgv --output = %q, want %q", got, want)
					}

					// apt splits the file and verifies the parts detached.
					text, err := aptSplit(out)
					if err != nil {
						t.Fatalf("apt would refuse the file: %v", err)
					}
					_, sig := splitClearSigned(t, out)
					dir := t.TempDir()
					write(t, filepath.Join(dir, "sig"), sig)
					write(t, filepath.Join(dir, "msg"), []byte(text))
					wantSig(t, runGPGV(t, gpgv, keyring, filepath.Join(dir, "sig"), filepath.Join(dir, "msg")), "01")

					tampered := append([]byte(header+"X"), out[len(header):]...)
					write(t, inRelease, tampered)
					wantBad(t, runGPGV(t, gpgv, keyring, inRelease), "a tampered InRelease")

					write(t, inRelease, out)
					wantBad(t, runGPGV(t, gpgv, otherRing, inRelease), "a signature by a key not in the keyring")
				})
			}

			t.Run("detached", func(t *testing.T) {
				dir := t.TempDir()
				rel, sig := filepath.Join(dir, "Release"), filepath.Join(dir, "Release.gpg")
				out, err := k.DetachSign([]byte(release), testNow)
				if err != nil {
					t.Fatal(err)
				}
				write(t, rel, []byte(release))
				write(t, sig, out)
				wantSig(t, runGPGV(t, gpgv, keyring, sig, rel), "00")

				write(t, rel, []byte(strings.Replace(release, "stable", "stab1e", 1)))
				wantBad(t, runGPGV(t, gpgv, keyring, sig, rel), "a tampered Release")
			})
		})
	}
}

func write(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestSQV checks the signatures with sqv, which apt 3.0 (Debian trixie) runs
// instead of gpgv, on the parts apt splits an InRelease file into.
func TestSQV(t *testing.T) {
	sqv := verifier(t, "sqv")
	run := func(keyring, sig, data string) (string, error) {
		cmd := exec.Command(sqv, "--keyring", keyring, sig, data)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		if err != nil {
			err = fmt.Errorf("%w: %s", err, stderr.String())
		}
		return strings.TrimSpace(stdout.String()), err
	}
	for kname, k := range testKeys(t) {
		t.Run(kname, func(t *testing.T) {
			dir := t.TempDir()
			keyring := filepath.Join(dir, "key.gpg")
			pub, err := k.BinaryPublic()
			if err != nil {
				t.Fatal(err)
			}
			write(t, keyring, pub)
			// sqv prints the primary key's fingerprint, even when a subkey
			// signed.
			want := k.Fingerprint()

			in, err := k.ClearSign([]byte(release), testNow)
			if err != nil {
				t.Fatal(err)
			}
			text, err := aptSplit(in)
			if err != nil {
				t.Fatal(err)
			}
			_, sig := splitClearSigned(t, in)
			sigFile, msgFile := filepath.Join(dir, "sig"), filepath.Join(dir, "msg")
			write(t, sigFile, sig)
			write(t, msgFile, []byte(text))
			if got, err := run(keyring, sigFile, msgFile); err != nil || got != want {
				t.Errorf("sqv on InRelease parts = %q, %v; want %s", got, err, want)
			}
			write(t, msgFile, []byte(strings.Replace(text, "stable", "stab1e", 1)))
			if _, err := run(keyring, sigFile, msgFile); err == nil {
				t.Error("sqv accepted a tampered InRelease")
			}

			det, err := k.DetachSign([]byte(release), testNow)
			if err != nil {
				t.Fatal(err)
			}
			write(t, sigFile, det)
			write(t, msgFile, []byte(release))
			if got, err := run(keyring, sigFile, msgFile); err != nil || got != want {
				t.Errorf("sqv on Release.gpg = %q, %v; want %s", got, err, want)
			}
		})
	}
}

package rpmgen

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
	"github.com/google/go-cmp/cmp"

	"github.com/stockpile/stockpile/formats/yum/rpm"
)

func testPackage() Package {
	return Package{
		Name: "hello", Version: "1.0~rc1", Release: "1", Epoch: 2, Arch: "x86_64",
		Summary: "says hello", Description: "A test package.",
		Requires: []Dep{{"bash", rpm.SenseGreater | rpm.SenseEqual, "4.0"}},
		Files: []File{
			{Path: "/usr/bin/hello", Data: []byte("#!/bin/sh\necho hello\n"), Mode: 0o755},
			{Path: "/usr/share/hello", Dir: true},
			{Path: "/usr/share/hello/greeting", Data: []byte("hello\n")},
			{Path: "/usr/bin/hi", Link: "hello"},
			{Path: "/var/log/hello.log", Ghost: true},
			{Path: "/etc/hello.conf", Data: []byte("loud=1\n"), Config: true},
		},
		Changelog: []Change{{1700000000, "Jane <jane@example.org> - 2:1.0~rc1-1", "- first"}},
	}
}

// testKey returns a new Ed25519 signing key made at a fixed time.
func testKey(t *testing.T) *openpgp.Entity {
	t.Helper()
	e, err := openpgp.NewEntity("Packager", "", "packager@example.org", &packet.Config{
		Algorithm: packet.PubKeyAlgoEdDSA, Curve: packet.Curve25519,
		Time: func() time.Time { return time.Unix(1600000000, 0) },
	})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestBuildReadsBack(t *testing.T) {
	p := testPackage()
	b, err := Build(p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	again, _ := Build(p, Options{})
	if !bytes.Equal(b, again) {
		t.Error("Build is not deterministic")
	}
	f, err := rpm.Read(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatalf("rpm.Read: %v", err)
	}
	name, _ := f.Header.String(rpm.TagName)
	epoch, _, _ := f.Header.Uint(rpm.TagEpoch)
	bases, _ := f.Header.Strings(rpm.TagBaseNames)
	if name != "hello" || epoch != 2 {
		t.Errorf("name %q epoch %d", name, epoch)
	}
	want := []string{"hello.conf", "hello", "hi", "hello", "greeting", "hello.log"}
	if diff := cmp.Diff(want, bases); diff != "" {
		t.Errorf("base names (-want +got):\n%s", diff)
	}
	if !bytes.Equal(b[f.HeaderStart:f.HeaderEnd], f.Header.Blob) || f.HeaderStart%8 != 0 {
		t.Errorf("header range %d-%d does not hold the main header", f.HeaderStart, f.HeaderEnd)
	}
}

func TestSignedKeyID(t *testing.T) {
	key := testKey(t)
	b, err := Build(testPackage(), Options{Signer: key})
	if err != nil {
		t.Fatal(err)
	}
	f, err := rpm.Read(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	sigs, err := f.Signatures()
	if err != nil {
		t.Fatal(err)
	}
	if len(sigs) != 1 || sigs[0].Tag != rpm.SigDSA || sigs[0].Algorithm != "EdDSA" || !strings.EqualFold(sigs[0].KeyID, key.PrimaryKey.KeyIdString()) {
		t.Errorf("Signatures() = %+v, want one EdDSA header signature by %s", sigs, key.PrimaryKey.KeyIdString())
	}
}

// rpm itself checks the digests and signature, lists the files and
// installs the package into an empty root.
func TestRPMAccepts(t *testing.T) {
	if testing.Short() {
		t.Skip("runs rpm")
	}
	requireTool(t, "rpm")
	requireTool(t, "rpmkeys")
	dir := t.TempDir()
	key := testKey(t)
	var pub bytes.Buffer
	w, _ := armor.Encode(&pub, openpgp.PublicKeyType, nil)
	key.Serialize(w)
	w.Close()
	os.WriteFile(filepath.Join(dir, "key.asc"), pub.Bytes(), 0o644)
	b, err := Build(testPackage(), Options{Signer: key})
	if err != nil {
		t.Fatal(err)
	}
	pkg := filepath.Join(dir, "hello.rpm")
	os.WriteFile(pkg, b, 0o644)
	root := filepath.Join(dir, "root")
	run := func(name string, args ...string) string {
		t.Helper()
		out, err := exec.Command(name, args...).CombinedOutput()
		if err != nil {
			t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	run("rpmkeys", "--root", root, "--import", filepath.Join(dir, "key.asc"))
	out := run("rpmkeys", "--root", root, "--checksig", "-v", pkg)
	for _, want := range []string{"EdDSA/SHA256 Signature, key ID " + key.PrimaryKey.KeyIdShortString()[:8], "Payload SHA256 digest: OK", "MD5 digest: OK"} {
		if !strings.Contains(strings.ToLower(out), strings.ToLower(want)) {
			t.Errorf("rpmkeys --checksig output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "NOT OK") || strings.Contains(out, "BAD") {
		t.Errorf("rpmkeys --checksig:\n%s", out)
	}
	run("rpm", "--root", root, "-i", "--nodeps", pkg)
	got, err := os.ReadFile(filepath.Join(root, "usr/share/hello/greeting"))
	if err != nil || string(got) != "hello\n" {
		t.Errorf("installed greeting = %q, %v", got, err)
	}
	if link, err := os.Readlink(filepath.Join(root, "usr/bin/hi")); err != nil || link != "hello" {
		t.Errorf("installed link = %q, %v", link, err)
	}
	if out, err := exec.Command("rpm", "--root", root, "-V", "--nodeps", "hello").CombinedOutput(); err != nil {
		t.Errorf("rpm -V: %v\n%s", err, out)
	}
}

func requireTool(t *testing.T, name string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is required in CI: %v", name, err)
		}
		t.Skipf("%s not installed", name)
	}
}

// Command examples writes the example rpms of the demo registry in this
// repository, signed by a demo packager key, and that key's public half.
// Given the same private key its output is byte-identical; the private key
// is kept outside Git (by default under .stockpile/) and made on first use.
//
//	go run ./internal/rpmgen/examples -o /tmp/rpms
//	go run ./cmd/stockpile add /tmp/rpms/*.rpm
package main

import (
	"bytes"
	"errors"
	"flag"
	"io/fs"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/packet"

	"github.com/stockpile/stockpile/formats/yum/rpm"
	"github.com/stockpile/stockpile/internal/rpmgen"
)

// created is the demo key's creation time; signatures are made at the
// packages' build time, after it.
var created = time.Unix(1699990000, 0)

func examples() []rpmgen.Package {
	base := func(name, version, release, arch string) rpmgen.Package {
		return rpmgen.Package{
			Name: name, Version: version, Release: release, Arch: arch,
			License: "MIT", Group: "Applications/System", URL: "https://github.com/stockpile/stockpile",
			Vendor: "Stockpile demo", Packager: "Stockpile demo <demo@example.org>", BuildHost: "stockpile.example.org",
			BuildTime: 1700000000,
		}
	}
	hello := base("hello-stockpile", "1.0.0", "1", "noarch")
	hello.Summary = "says hello from a Stockpile registry"
	hello.Description = "A tiny script installed from a registry that is only static files."
	hello.Requires = []rpmgen.Dep{{Name: "stockpile-greeting", Flags: rpm.SenseGreater | rpm.SenseEqual, Version: "1:1.2"}}
	hello.Files = []rpmgen.File{{Path: "/usr/bin/hello-stockpile", Data: []byte("#!/bin/sh\ncat /usr/share/stockpile-greeting/greeting\n"), Mode: 0o755}}
	hello.Changelog = []rpmgen.Change{{Time: 1700000000, Author: "Stockpile demo <demo@example.org> - 1.0.0-1", Text: "- First release."}}

	greeting := base("stockpile-greeting", "1.2+demo", "1", "noarch")
	greeting.Epoch = 1
	greeting.Summary = "the greeting hello-stockpile prints"
	greeting.Description = "An epoch and a '+' in the version, on purpose."
	greeting.Files = []rpmgen.File{
		{Path: "/usr/share/stockpile-greeting", Dir: true},
		{Path: "/usr/share/stockpile-greeting/greeting", Data: []byte("Hello from Stockpile!\n")},
	}

	var out = []rpmgen.Package{hello, greeting}
	for _, arch := range []string{"x86_64", "aarch64"} {
		tools := base("stockpile-tools", "2.0~beta1", "1", arch)
		tools.Summary = "example tools built for " + arch
		tools.Description = "A pre-release version ('~') for one architecture."
		tools.Files = []rpmgen.File{{Path: "/usr/share/doc/stockpile-tools/README", Data: []byte(arch + " build\n")}}
		out = append(out, tools)
	}
	return out
}

func main() {
	outDir := flag.String("o", "examples-out", "output folder for the .rpm files")
	keyFile := flag.String("key", ".stockpile/keys/rpm-demo-packager.asc", "the demo packager's private key; made if missing")
	pubFile := flag.String("pub", "keys/demo-packager.asc", "where to write the public key")
	flag.Parse()
	key, err := loadOrCreate(*keyFile)
	if err != nil {
		log.Fatal(err)
	}
	var pub bytes.Buffer
	w, err := armor.Encode(&pub, openpgp.PublicKeyType, nil)
	if err != nil {
		log.Fatal(err)
	}
	if err := key.Serialize(w); err != nil {
		log.Fatal(err)
	}
	w.Close()
	if err := os.WriteFile(*pubFile, pub.Bytes(), 0o644); err != nil {
		log.Fatal(err)
	}
	if err := os.MkdirAll(*outDir, 0o755); err != nil {
		log.Fatal(err)
	}
	for _, p := range examples() {
		data, err := rpmgen.Build(p, rpmgen.Options{Signer: key})
		if err != nil {
			log.Fatalf("%s: %v", p.FileName(), err)
		}
		if err := os.WriteFile(filepath.Join(*outDir, p.FileName()), data, 0o644); err != nil {
			log.Fatal(err)
		}
	}
}

func loadOrCreate(path string) (*openpgp.Entity, error) {
	data, err := os.ReadFile(path)
	if err == nil {
		list, err := openpgp.ReadArmoredKeyRing(bytes.NewReader(data))
		if err != nil {
			return nil, err
		}
		return list[0], nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	key, err := openpgp.NewEntity("Stockpile demo packager", "", "demo@example.org", &packet.Config{
		Algorithm: packet.PubKeyAlgoEdDSA, Curve: packet.Curve25519,
		Time: func() time.Time { return created },
	})
	if err != nil {
		return nil, err
	}
	var priv bytes.Buffer
	w, err := armor.Encode(&priv, openpgp.PrivateKeyType, nil)
	if err != nil {
		return nil, err
	}
	if err := key.SerializePrivate(w, nil); err != nil {
		return nil, err
	}
	w.Close()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, err
	}
	return key, os.WriteFile(path, priv.Bytes(), 0o600)
}

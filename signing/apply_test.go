package signing

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/clearsign"
	"github.com/google/go-cmp/cmp"

	"github.com/stockpile/stockpile/dist"
)

func TestApply(t *testing.T) {
	k := mustParse(t, "ed25519.asc")
	ring := keyring(t, k)
	tree := dist.NewTree()
	repomd := []byte("<?xml version=\"1.0\"?>\n<repomd/>\n")
	for p, data := range map[string][]byte{
		"apt/dists/stable/Release":    []byte(release),
		"yum/repodata/repomd.xml":     repomd,
		"apt/pool/main/x/x_1_all.deb": []byte("!<arch>\n"),
	} {
		if err := tree.Add(p, data); err != nil {
			t.Fatal(err)
		}
	}
	reqs := []dist.SignRequest{
		{Kind: dist.ClearSign, Of: "apt/dists/stable/Release", Path: "apt/dists/stable/InRelease"},
		{Kind: dist.DetachSign, Of: "apt/dists/stable/Release", Path: "apt/dists/stable/Release.gpg"},
		{Kind: dist.PublicKeyArmor, Path: "apt/key.asc"},
		{Kind: dist.PublicKeyBinary, Path: "apt/key.gpg"},
		{Kind: dist.DetachSign, Of: "yum/repodata/repomd.xml", Path: "yum/repodata/repomd.xml.asc"},
		{Kind: dist.PublicKeyArmor, Path: "yum/key.asc"},
	}
	for _, r := range reqs {
		tree.Sign(r)
	}
	if err := Apply(tree, k, testNow); err != nil {
		t.Fatalf("Apply: %v", err)
	}

	get := func(p string) []byte {
		t.Helper()
		f := tree.Get(p)
		if f == nil {
			t.Fatalf("Apply did not add %s", p)
		}
		return f.Data
	}
	b, _ := clearsign.Decode(get("apt/dists/stable/InRelease"))
	if b == nil {
		t.Fatal("InRelease is not clearsigned")
	}
	if _, err := b.VerifySignature(ring, nil); err != nil {
		t.Errorf("InRelease: %v", err)
	}
	if diff := cmp.Diff(release, string(b.Plaintext)); diff != "" {
		t.Errorf("InRelease text (-want +got):\n%s", diff)
	}
	for sig, of := range map[string][]byte{
		"apt/dists/stable/Release.gpg": []byte(release),
		"yum/repodata/repomd.xml.asc":  repomd,
	} {
		if _, err := openpgp.CheckArmoredDetachedSignature(ring, bytes.NewReader(of), bytes.NewReader(get(sig)), nil); err != nil {
			t.Errorf("%s: %v", sig, err)
		}
	}
	wantArmor, _ := k.ArmoredPublic()
	wantBinary, _ := k.BinaryPublic()
	if !bytes.Equal(get("apt/key.asc"), wantArmor) || !bytes.Equal(get("yum/key.asc"), wantArmor) {
		t.Error("key.asc is not the armored public key")
	}
	if !bytes.Equal(get("apt/key.gpg"), wantBinary) {
		t.Error("key.gpg is not the binary public key")
	}
}

func TestApplyErrors(t *testing.T) {
	k := mustParse(t, "ed25519.asc")
	tests := []struct {
		name    string
		key     *OpenPGP
		req     dist.SignRequest
		wantErr []string
	}{
		{
			name:    "missing file",
			key:     k,
			req:     dist.SignRequest{Kind: dist.ClearSign, Of: "dists/stable/Release", Path: "dists/stable/InRelease"},
			wantErr: []string{"dists/stable/InRelease", "dists/stable/Release is not in the tree"},
		},
		{
			name:    "artifact",
			key:     k,
			req:     dist.SignRequest{Kind: dist.DetachSign, Of: "pool/x.deb", Path: "pool/x.deb.asc"},
			wantErr: []string{"pool/x.deb is an artifact"},
		},
		{
			name:    "unknown kind",
			key:     k,
			req:     dist.SignRequest{Kind: dist.SignKind(99), Path: "x"},
			wantErr: []string{"unknown sign request kind 99"},
		},
		{
			name:    "invalid path",
			key:     k,
			req:     dist.SignRequest{Kind: dist.PublicKeyArmor, Path: "../key.asc"},
			wantErr: []string{"invalid tree path"},
		},
		{
			name:    "no key",
			key:     nil,
			req:     dist.SignRequest{Kind: dist.ClearSign, Of: "dists/stable/Release", Path: "dists/stable/InRelease"},
			wantErr: []string{"no OpenPGP key configured", "dists/stable/InRelease", "signing.openpgp", "repos.yaml"},
		},
		{
			name:    "cannot sign",
			key:     mustParse(t, "ed25519-expires-2025.asc"),
			req:     dist.SignRequest{Kind: dist.DetachSign, Of: "file", Path: "file.asc"},
			wantErr: []string{"file.asc", "expired"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tree := dist.NewTree()
			if err := tree.AddArtifact("pool/x.deb", "/nonexistent/x.deb", 3, strings.Repeat("0", 64)); err != nil {
				t.Fatal(err)
			}
			if err := tree.Add("file", []byte("data\n")); err != nil {
				t.Fatal(err)
			}
			tree.Sign(tt.req)
			err := Apply(tree, tt.key, testNow)
			if err == nil {
				t.Fatal("Apply succeeded, want an error")
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Apply = %q, want it to mention %q", err, w)
				}
			}
			if tt.key == nil && !errors.Is(err, ErrNoKey) {
				t.Errorf("Apply = %v, want ErrNoKey", err)
			}
		})
	}
}

func TestApplyNothingToSign(t *testing.T) {
	tree := dist.NewTree()
	if err := tree.Add("index.html", []byte("<html>")); err != nil {
		t.Fatal(err)
	}
	if err := Apply(tree, nil, testNow); err != nil {
		t.Errorf("Apply(no requests, no key) = %v, want nil", err)
	}
	if n := len(tree.Files()); n != 1 {
		t.Errorf("tree has %d files, want 1", n)
	}
}

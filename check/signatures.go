package check

import (
	"bytes"
	"fmt"
	"io/fs"
	"strings"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/stockpile/stockpile/config"
)

// Commit is one commit of the change and what its signature says.
type Commit struct {
	Hash    string `json:"hash"`
	Subject string `json:"subject"`
	Signed  bool   `json:"signed"`
	// Signer is the fingerprint of the key that verified the signature.
	Signer string `json:"signer,omitempty"`
	// Problem says why the commit does not pass, when it does not.
	Problem string `json:"problem,omitempty"`
}

// keyRing reads the public keys of the commit signers (armored or binary
// OpenPGP key files) and returns them as one armored key ring.
func keyRing(fsys fs.FS, files []string) (string, error) {
	var all openpgp.EntityList
	for _, f := range files {
		data, err := fs.ReadFile(fsys, f)
		if err != nil {
			return "", fmt.Errorf("commit signer key %s: %w", f, err)
		}
		list, err := openpgp.ReadArmoredKeyRing(bytes.NewReader(data))
		if err != nil {
			list, err = openpgp.ReadKeyRing(bytes.NewReader(data))
		}
		if err != nil {
			return "", fmt.Errorf("commit signer key %s: not an OpenPGP public key: %w", f, err)
		}
		all = append(all, list...)
	}
	var buf bytes.Buffer
	w, err := armor.Encode(&buf, openpgp.PublicKeyType, nil)
	if err != nil {
		return "", err
	}
	for _, e := range all {
		if err := e.Serialize(w); err != nil {
			return "", err
		}
	}
	if err := w.Close(); err != nil {
		return "", err
	}
	return buf.String(), nil
}

// verifyCommits checks that every commit carries an OpenPGP signature made
// by one of the keys of ring.
func verifyCommits(commits []*object.Commit, ring string) []Commit {
	out := make([]Commit, 0, len(commits))
	for _, c := range commits {
		r := Commit{Hash: c.Hash.String(), Subject: subject(c), Signed: c.PGPSignature != ""}
		switch {
		case c.PGPSignature == "":
			r.Problem = "not signed"
		case !strings.Contains(c.PGPSignature, "BEGIN PGP SIGNATURE"):
			r.Problem = "signed, but not with OpenPGP (an SSH or X.509 signature?)"
		default:
			e, err := c.Verify(ring)
			if err != nil {
				r.Problem = fmt.Sprintf("signature does not verify against the commit signer keys: %v", err)
				break
			}
			r.Signer = fmt.Sprintf("%X", e.PrimaryKey.Fingerprint)
		}
		out = append(out, r)
	}
	return out
}

// signatureFindings turns failing commits into findings located at the
// rule in repos.yaml.
func signatureFindings(commits []Commit, pol *config.RegistryPolicy) []Finding {
	var out []Finding
	for _, c := range commits {
		if c.Problem == "" {
			continue
		}
		out = append(out, Finding{
			Severity: SeverityError, Check: "signature",
			File: config.ConfigFile, Line: pol.Line("commit_signers"),
			Message: fmt.Sprintf("commit %s (%q): %s; the base revision's repos.yaml requires every commit to be signed by one of %s",
				short(c.Hash), c.Subject, c.Problem, strings.Join(pol.CommitSigners, ", ")),
		})
	}
	return out
}

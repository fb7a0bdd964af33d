// Package signing holds the registry's private keys and makes every signature
// the built tree needs: OpenPGP cleartext and detached signatures for apt and
// yum, and the public keys clients pin. Formats only ask for signatures (see
// dist.SignRequest); this package is the one place that touches keys.
package signing

import (
	"bytes"
	"crypto"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	pgperrors "github.com/ProtonMail/go-crypto/openpgp/errors"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// PassphraseEnv names the environment variable holding the passphrase of an
// encrypted OpenPGP private key.
const PassphraseEnv = "STOCKPILE_OPENPGP_PASSPHRASE"

// minRSABits is the smallest RSA key accepted. Newer apt refuses RSA below
// 2048 bits; 3072 keeps a margin.
const minRSABits = 3072

// signHash is the digest of every signature made here. apt treats SHA-1 and
// MD5 signatures as weak; SHA-512 is accepted by gpgv, sqv and rpm alike.
const signHash = crypto.SHA512

// OpenPGP is an OpenPGP private key that can sign: a v4 key whose signing
// (sub)key is Ed25519 or RSA of at least 3072 bits, its private part
// decrypted in memory.
type OpenPGP struct {
	entity *openpgp.Entity
	// signer is the key that makes signatures: the newest signing subkey
	// holding its private part, else the primary key.
	signer *packet.PrivateKey
}

// config is the go-crypto configuration for everything made here. It pins
// what apt's gpgv (GnuPG 2.2 in Debian bookworm) and rpm accept: v4 keys,
// legacy EdDSA, no AEAD, and signatures that are deterministic for a given
// time so that builds are reproducible.
func config(t time.Time) *packet.Config {
	deterministic := false
	return &packet.Config{
		DefaultHash: signHash,
		Time:        func() time.Time { return t },
		// v6 keys and the RFC 9580 Ed25519 algorithm are unknown to gpgv 2.2.
		V6Keys:    false,
		Algorithm: packet.PubKeyAlgoEdDSA,
		Curve:     packet.Curve25519,
		// The default random salt notation makes every signature differ.
		NonDeterministicSignaturesViaNotation: &deterministic,
		// GnuPG marks these subpackets non-critical too; older rpm and yum
		// reject signatures with critical subpackets they do not know.
		InsecureGenerateNonCriticalKeyFlags:              true,
		InsecureGenerateNonCriticalSignatureCreationTime: true,
	}
}

// GenerateOpenPGP makes a new Ed25519 OpenPGP v4 key whose primary key signs
// and certifies, created at now. The key has no encryption subkey: a
// registry key only signs.
func GenerateOpenPGP(name, email string, now time.Time) (*OpenPGP, error) {
	now = now.Truncate(time.Second)
	if err := checkTime(now); err != nil {
		return nil, fmt.Errorf("generate openpgp key: %w", err)
	}
	e, err := openpgp.NewEntity(name, "", email, config(now))
	if err != nil {
		return nil, fmt.Errorf("generate openpgp key for %q <%s>: %w", name, email, err)
	}
	e.Subkeys = nil
	return newOpenPGP(e)
}

// ParseOpenPGP reads an armored (or binary) OpenPGP private key holding
// exactly one key. An encrypted key must be loaded with LoadOpenPGP, which
// knows the passphrase.
func ParseOpenPGP(armored []byte) (*OpenPGP, error) {
	e, err := readEntity(armored)
	if err != nil {
		return nil, err
	}
	if encrypted(e) {
		return nil, fmt.Errorf("the private key is encrypted; it needs its passphrase in %s", PassphraseEnv)
	}
	return newOpenPGP(e)
}

// LoadOpenPGP reads the private key that ref names: a path relative to root
// (the registry repository), "file:///abs/path", or "env:NAME" for a key held
// in an environment variable. An encrypted key is decrypted with the
// passphrase in STOCKPILE_OPENPGP_PASSPHRASE. Both variables are read with
// getenv. Errors name the ref and never quote the key.
func LoadOpenPGP(ref, root string, getenv func(string) string) (*OpenPGP, error) {
	data, err := ReadKeyRef(ref, root, getenv)
	if err != nil {
		return nil, fmt.Errorf("openpgp key %q: %w", ref, err)
	}
	e, err := readEntity(data)
	if err != nil {
		return nil, fmt.Errorf("openpgp key %q: %w", ref, err)
	}
	if encrypted(e) {
		pass := getenv(PassphraseEnv)
		if pass == "" {
			return nil, fmt.Errorf("openpgp key %q: the private key is encrypted and %s is not set", ref, PassphraseEnv)
		}
		// The cause is not wrapped: all it can say is that the passphrase
		// is wrong, and some messages of the decryption code quote data.
		if err := e.DecryptPrivateKeys([]byte(pass)); err != nil {
			return nil, fmt.Errorf("openpgp key %q: cannot decrypt the private key with the passphrase in %s (wrong passphrase?)", ref, PassphraseEnv)
		}
	}
	k, err := newOpenPGP(e)
	if err != nil {
		return nil, fmt.Errorf("openpgp key %q: %w", ref, err)
	}
	return k, nil
}

// ReadKeyRef returns the bytes a key reference points to: a path inside the
// repository root, "file:///abs/path", or "env:NAME".
func ReadKeyRef(ref, root string, getenv func(string) string) ([]byte, error) {
	switch {
	case ref == "":
		return nil, errors.New("empty key reference")
	case strings.HasPrefix(ref, "env:"):
		name := strings.TrimPrefix(ref, "env:")
		if name == "" {
			return nil, errors.New(`"env:" needs a variable name, as in env:STOCKPILE_OPENPGP_KEY`)
		}
		v := getenv(name)
		if strings.TrimSpace(v) == "" {
			return nil, fmt.Errorf("environment variable %s is not set or empty", name)
		}
		return []byte(v), nil
	case strings.HasPrefix(ref, "file:"):
		u, err := url.Parse(ref)
		if err != nil || (u.Host != "" && u.Host != "localhost") || !strings.HasPrefix(u.Path, "/") || u.RawQuery != "" || u.Fragment != "" {
			return nil, errors.New("a file URL must be file:///absolute/path")
		}
		return readKeyFile(filepath.FromSlash(u.Path))
	case strings.Contains(ref, "://"):
		return nil, errors.New(`unknown key reference scheme; use a path inside the repository, "file:///abs/path" or "env:NAME"`)
	case filepath.IsAbs(ref) || strings.HasPrefix(ref, "/"):
		return nil, errors.New(`absolute path; write it as "file://` + filepath.ToSlash(ref) + `" or give a path relative to the repository`)
	default:
		local := filepath.FromSlash(ref)
		if !filepath.IsLocal(local) {
			return nil, errors.New(`path leaves the repository; use "file:///abs/path" for a key outside it`)
		}
		return readKeyFile(filepath.Join(root, local))
	}
}

// maxKeyFile bounds what is read as a key: real keys are a few kilobytes.
const maxKeyFile = 1 << 20

func readKeyFile(path string) ([]byte, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", path)
	}
	if st.Size() > maxKeyFile {
		return nil, fmt.Errorf("%s is %d bytes, too large for an OpenPGP key", path, st.Size())
	}
	return os.ReadFile(path)
}

// readEntity parses one OpenPGP key, armored or binary. Parser errors are
// described in words and never wrapped: their text may quote input bytes,
// and the input is a private key.
func readEntity(data []byte) (*openpgp.Entity, error) {
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 {
		return nil, errors.New("empty key")
	}
	var (
		list openpgp.EntityList
		err  error
	)
	if n := bytes.Count(trimmed, []byte("-----BEGIN ")); n > 0 {
		// The armor reader skips text before the first block and stops
		// after it; a second block would be ignored silently.
		if n > 1 {
			return nil, fmt.Errorf("holds %d armored blocks; want exactly one private key", n)
		}
		block, aerr := armor.Decode(bytes.NewReader(trimmed))
		if aerr != nil {
			return nil, errors.New("not a valid armored OpenPGP block")
		}
		switch block.Type {
		case openpgp.PrivateKeyType:
		case openpgp.PublicKeyType:
			return nil, errors.New("this is a public key; signing needs the private key (gpg --armor --export-secret-keys)")
		default:
			return nil, fmt.Errorf("%s, not an OpenPGP private key", describeBlock(block.Type))
		}
		list, err = openpgp.ReadKeyRing(block.Body)
	} else {
		if trimmed[0]&0x80 == 0 { // every binary OpenPGP packet starts with this bit set
			return nil, errors.New("not an OpenPGP key: want an armored \"PGP PRIVATE KEY BLOCK\" (gpg --armor --export-secret-keys)")
		}
		list, err = openpgp.ReadKeyRing(bytes.NewReader(trimmed))
	}
	if err != nil {
		return nil, fmt.Errorf("not a readable OpenPGP private key (%s)", describeParseError(err))
	}
	switch len(list) {
	case 0:
		return nil, errors.New("no OpenPGP key found")
	case 1:
		return list[0], nil
	default:
		return nil, fmt.Errorf("holds %d OpenPGP keys; want exactly one", len(list))
	}
}

// describeParseError names the kind of a go-crypto parse error without its
// text.
func describeParseError(err error) string {
	var (
		structural  pgperrors.StructuralError
		unsupported pgperrors.UnsupportedError
	)
	switch {
	case errors.As(err, &structural):
		return "malformed packet data"
	case errors.As(err, &unsupported):
		return "uses an unsupported OpenPGP feature"
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return "truncated"
	default:
		return "unrecognised data"
	}
}

// describeBlock names an armor block type for an error without quoting it:
// the label comes from input that may be something else's secret.
func describeBlock(label string) string {
	switch {
	case label == openpgp.SignatureType:
		return "an OpenPGP signature"
	case label == "PGP MESSAGE" || label == "PGP SIGNED MESSAGE":
		return "an OpenPGP message"
	case strings.HasSuffix(label, "PRIVATE KEY"):
		return "a PEM private key (OpenSSL or SSH format)"
	default:
		return "an armored block of another kind"
	}
}

func encrypted(e *openpgp.Entity) bool {
	if e.PrivateKey != nil && !e.PrivateKey.Dummy() && e.PrivateKey.Encrypted {
		return true
	}
	for _, s := range e.Subkeys {
		if s.PrivateKey != nil && !s.PrivateKey.Dummy() && s.PrivateKey.Encrypted {
			return true
		}
	}
	return false
}

// newOpenPGP picks the key that signs and checks that apt and rpm accept it.
func newOpenPGP(e *openpgp.Entity) (*OpenPGP, error) {
	if e.PrivateKey == nil {
		return nil, errors.New("this is a public key; signing needs the private key (gpg --armor --export-secret-keys)")
	}
	if v := e.PrimaryKey.Version; v != 4 {
		return nil, fmt.Errorf("an OpenPGP v%d key; apt's gpgv verifies v4 keys only, make an Ed25519 or RSA v4 key", v)
	}
	signer, binding, err := pickSigner(e)
	if err != nil {
		return nil, err
	}
	if err := checkAlgorithm("signing key", &signer.PublicKey); err != nil {
		return nil, err
	}
	if signer.PublicKey.KeyId != e.PrimaryKey.KeyId {
		// The primary key vouches for the signing subkey.
		if err := checkAlgorithm("primary key", e.PrimaryKey); err != nil {
			return nil, err
		}
	}
	sigs := []*packet.Signature{binding}
	if binding.EmbeddedSignature != nil {
		sigs = append(sigs, binding.EmbeddedSignature)
	}
	for _, sig := range sigs {
		if weakHash(sig.Hash) {
			return nil, fmt.Errorf("the key's self-signature uses %v, which newer apt (sqv) and rpm reject; make a new key or re-sign it with a SHA-256 digest", sig.Hash)
		}
	}
	return &OpenPGP{entity: e, signer: signer}, nil
}

func weakHash(h crypto.Hash) bool {
	return h == crypto.MD5 || h == crypto.SHA1 || h == crypto.RIPEMD160
}

// pickSigner chooses, without a clock, the key that signs: the newest
// signing-capable subkey holding its private part, else the primary key if
// it may sign. It also returns the self-signature that grants signing.
// Validity at signing time is checked when signing.
func pickSigner(e *openpgp.Entity) (*packet.PrivateKey, *packet.Signature, error) {
	var (
		best        *openpgp.Subkey
		havePrivate = usablePrivate(e.PrivateKey)
		canSign     = false
	)
	for i := range e.Subkeys {
		s := &e.Subkeys[i]
		if s.Sig == nil || !s.Sig.FlagsValid || !s.Sig.FlagSign || !s.PublicKey.PubKeyAlgo.CanSign() {
			continue
		}
		canSign = true
		if !usablePrivate(s.PrivateKey) {
			continue
		}
		havePrivate = true
		if best == nil || s.Sig.CreationTime.After(best.Sig.CreationTime) {
			best = s
		}
	}
	if best != nil {
		return best.PrivateKey, best.Sig, nil
	}
	if sig, _ := e.PrimarySelfSignature(); sig != nil && sig.FlagsValid && sig.FlagSign && e.PrimaryKey.PubKeyAlgo.CanSign() {
		canSign = true
		if usablePrivate(e.PrivateKey) {
			return e.PrivateKey, sig, nil
		}
	}
	for _, s := range e.Subkeys {
		havePrivate = havePrivate || usablePrivate(s.PrivateKey)
	}
	switch {
	case !canSign:
		return nil, nil, errors.New("the key cannot sign: neither the primary key nor a subkey has the signing capability")
	case !havePrivate:
		return nil, nil, errors.New("the key holds no usable private key (only public parts or offline stubs)")
	default:
		return nil, nil, errors.New("the private part of the signing key is missing (exported with --export-secret-subkeys without a signing subkey?)")
	}
}

func usablePrivate(k *packet.PrivateKey) bool { return k != nil && !k.Dummy() }

// checkAlgorithm accepts what Debian's and Fedora's verifiers take: Ed25519
// in its v4 (legacy EdDSA) form, and RSA of at least 3072 bits. role names
// the key in errors.
func checkAlgorithm(role string, pk *packet.PublicKey) error {
	if pk.Version != 4 {
		return fmt.Errorf("the %s is an OpenPGP v%d key; apt's gpgv verifies v4 keys only", role, pk.Version)
	}
	switch pk.PubKeyAlgo {
	case packet.PubKeyAlgoRSA, packet.PubKeyAlgoRSASignOnly:
		bits, err := pk.BitLength()
		if err != nil {
			return fmt.Errorf("the RSA %s has an unreadable modulus", role)
		}
		if bits < minRSABits {
			return fmt.Errorf("the %s is RSA with %d bits; use RSA of at least %d bits or Ed25519", role, bits, minRSABits)
		}
		return nil
	case packet.PubKeyAlgoEdDSA:
		if c, err := pk.Curve(); err == nil && c == packet.Curve25519 {
			return nil
		}
		return fmt.Errorf("the %s is EdDSA on a curve other than Ed25519; use Ed25519 or RSA of at least %d bits", role, minRSABits)
	default:
		return fmt.Errorf("the %s uses %s; use Ed25519 or RSA of at least %d bits", role, algorithmName(pk.PubKeyAlgo), minRSABits)
	}
}

func algorithmName(a packet.PublicKeyAlgorithm) string {
	switch a {
	case packet.PubKeyAlgoDSA:
		return "DSA"
	case packet.PubKeyAlgoECDSA:
		return "ECDSA"
	case packet.PubKeyAlgoEd25519:
		return "the RFC 9580 Ed25519 algorithm, unknown to gpgv 2.2 (make a legacy EdDSA v4 key)"
	case packet.PubKeyAlgoEd448:
		return "Ed448"
	case packet.PubKeyAlgoElGamal, packet.PubKeyAlgoECDH, packet.PubKeyAlgoX25519, packet.PubKeyAlgoX448, packet.PubKeyAlgoRSAEncryptOnly:
		return "an encryption-only algorithm"
	default:
		return fmt.Sprintf("public key algorithm %d", a)
	}
}

// checkTime refuses times an OpenPGP v4 timestamp (seconds, uint32) cannot
// hold.
func checkTime(t time.Time) error {
	if s := t.Unix(); s <= 0 || s > 1<<32-1 {
		return fmt.Errorf("time %s cannot be an OpenPGP timestamp", t.UTC().Format(time.RFC3339))
	}
	return nil
}

// Fingerprint returns the primary key's fingerprint in uppercase hex, as
// users pin it.
func (k *OpenPGP) Fingerprint() string {
	return fmt.Sprintf("%X", k.entity.PrimaryKey.Fingerprint)
}

// ArmoredPrivate returns the private key, armored and unencrypted, for
// writing to a development key file.
func (k *OpenPGP) ArmoredPrivate() ([]byte, error) {
	// WithoutSigning keeps the existing self-signatures: re-signing would
	// stamp them with the current time.
	b, err := armored(openpgp.PrivateKeyType, func(w io.Writer) error {
		return k.entity.SerializePrivateWithoutSigning(w, nil)
	})
	if err != nil {
		return nil, fmt.Errorf("serialize openpgp private key %s: %w", k.Fingerprint(), err)
	}
	return b, nil
}

// ArmoredPublic returns the public key, armored (key.asc).
func (k *OpenPGP) ArmoredPublic() ([]byte, error) {
	b, err := armored(openpgp.PublicKeyType, k.entity.Serialize)
	if err != nil {
		return nil, fmt.Errorf("serialize openpgp public key %s: %w", k.Fingerprint(), err)
	}
	return b, nil
}

// BinaryPublic returns the public key as binary packets (key.gpg), the form
// apt's Signed-By reads from a .gpg file.
func (k *OpenPGP) BinaryPublic() ([]byte, error) {
	var buf bytes.Buffer
	if err := k.entity.Serialize(&buf); err != nil {
		return nil, fmt.Errorf("serialize openpgp public key %s: %w", k.Fingerprint(), err)
	}
	return buf.Bytes(), nil
}

// armored returns what write writes, as an armor block of the given type
// that ends with its END line and a newline (go-crypto stops before the
// newline).
func armored(blockType string, write func(io.Writer) error) ([]byte, error) {
	var buf bytes.Buffer
	w, err := armor.Encode(&buf, blockType, nil)
	if err != nil {
		return nil, err
	}
	if err := write(w); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	buf.WriteByte('\n')
	return buf.Bytes(), nil
}

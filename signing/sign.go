package signing

import (
	"bytes"
	"fmt"
	"hash"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

const (
	beginSigned = "-----BEGIN PGP SIGNED MESSAGE-----"
	hashHeader  = "Hash: SHA512"
)

// ClearSign returns data as an OpenPGP cleartext signed message, the form of
// apt's InRelease, signed at time t.
//
// The output starts with "-----BEGIN PGP SIGNED MESSAGE-----" and ends with
// the signature's END line and a newline. Every line of data is kept as is,
// trailing blanks included; lines starting with "-" or "From " are
// dash-escaped. The final newline of data is signed text too, so apt reads
// back exactly data (an InRelease holds the Release bytes), except that
// trailing spaces and tabs of each line are not signed (RFC 4880 §7.1) and
// apt drops them. Data with a carriage return is refused, as its lines would
// read differently to apt and to gpgv.
func (k *OpenPGP) ClearSign(data []byte, t time.Time) ([]byte, error) {
	if i := bytes.IndexByte(data, '\r'); i >= 0 {
		return nil, fmt.Errorf("clearsign: data has a carriage return at byte %d; cleartext signatures need LF line endings", i)
	}
	lines := bytes.Split(data, []byte("\n"))

	h := signHash.New()
	for i, line := range lines {
		if i > 0 {
			h.Write([]byte("\r\n"))
		}
		h.Write(bytes.TrimRight(line, " \t"))
	}
	sig, err := k.sign(h, packet.SigTypeText, t)
	if err != nil {
		return nil, fmt.Errorf("clearsign: %w", err)
	}

	var out bytes.Buffer
	out.Grow(len(data) + 512)
	out.WriteString(beginSigned + "\n" + hashHeader + "\n\n")
	for _, line := range lines {
		// "From " is escaped as GnuPG does, so mail software cannot mangle it.
		if bytes.HasPrefix(line, []byte("-")) || bytes.HasPrefix(line, []byte("From ")) {
			out.WriteString("- ")
		}
		out.Write(line)
		out.WriteByte('\n')
	}
	block, err := armorSignature(sig)
	if err != nil {
		return nil, fmt.Errorf("clearsign: %w", err)
	}
	out.Write(block)
	return out.Bytes(), nil
}

// DetachSign returns an armored detached signature over the exact bytes of
// data (binary mode), as Release.gpg and repomd.xml.asc, signed at time t.
func (k *OpenPGP) DetachSign(data []byte, t time.Time) ([]byte, error) {
	h := signHash.New()
	h.Write(data)
	sig, err := k.sign(h, packet.SigTypeBinary, t)
	if err != nil {
		return nil, fmt.Errorf("detach sign: %w", err)
	}
	block, err := armorSignature(sig)
	if err != nil {
		return nil, fmt.Errorf("detach sign: %w", err)
	}
	return block, nil
}

// sign finishes h (which holds the signed data) into a v4 signature made at
// t by the signing key, after checking the key is valid at t.
func (k *OpenPGP) sign(h hash.Hash, kind packet.SignatureType, t time.Time) (*packet.Signature, error) {
	if err := checkTime(t); err != nil {
		return nil, err
	}
	t = t.Truncate(time.Second)
	// A signature cannot predate its key, and a build of a commit older than
	// the key (SOURCE_DATE_EPOCH, --ref) must still be signed: such builds
	// are signed at the key's creation, which keeps the output deterministic.
	if born := k.signer.CreationTime; t.Before(born) {
		t = born
	}
	key, ok := k.entity.SigningKeyById(t, k.signer.KeyId)
	if !ok || key.PrivateKey != k.signer {
		return nil, fmt.Errorf("openpgp key %s cannot sign at %s: it is expired, revoked or not yet valid then", k.Fingerprint(), t.UTC().Format(time.RFC3339))
	}
	pub := &k.signer.PublicKey
	sig := &packet.Signature{
		Version:           pub.Version,
		SigType:           kind,
		PubKeyAlgo:        pub.PubKeyAlgo,
		Hash:              signHash,
		CreationTime:      t,
		IssuerKeyId:       &pub.KeyId,
		IssuerFingerprint: pub.Fingerprint,
	}
	if err := sig.Sign(h, k.signer, config(t)); err != nil {
		return nil, fmt.Errorf("openpgp key %s: %w", k.Fingerprint(), err)
	}
	return sig, nil
}

// armorSignature returns sig as a "PGP SIGNATURE" armor block. The CRC line
// is kept: GnuPG 2.2 writes it, and older readers expect it.
func armorSignature(sig *packet.Signature) ([]byte, error) {
	return armored(openpgp.SignatureType, sig.Serialize)
}

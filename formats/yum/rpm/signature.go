package rpm

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
)

// Signature is one OpenPGP signature a package carries in its signature
// header. Only the packet's metadata is read; checking it is the client's
// job (dnf's gpgcheck).
type Signature struct {
	// Tag is where it is: SigRSA, SigDSA or SigOpenPGP sign the main header,
	// SigPGP and SigGPG the header and payload.
	Tag Tag
	// Algorithm is the public-key algorithm: RSA, DSA, ECDSA, EdDSA,
	// Ed25519, Ed448, or "algorithm N".
	Algorithm string
	// KeyID is the issuer's 64-bit key id as 16 lowercase hex digits.
	KeyID string
	// Fingerprint is the issuer's fingerprint in lowercase hex, when the
	// signature names it.
	Fingerprint string
}

// Signatures returns the OpenPGP signatures of the package, header-only
// ones first. A signature that is present but cannot be parsed is an error.
func (f *File) Signatures() ([]Signature, error) {
	var out []Signature
	for _, tag := range []Tag{SigRSA, SigDSA, SigPGP, SigGPG} {
		if !f.Signature.Has(tag) {
			continue
		}
		b, err := f.Signature.Bytes(tag)
		if err != nil {
			return nil, err
		}
		s, err := parseSignaturePacket(b)
		if err != nil {
			return nil, fmt.Errorf("signature tag %d: %w", tag, err)
		}
		s.Tag = tag
		out = append(out, s)
	}
	if f.Signature.Has(SigOpenPGP) {
		list, err := f.Signature.Strings(SigOpenPGP)
		if err != nil {
			return nil, err
		}
		for i, enc := range list {
			b, err := base64.StdEncoding.DecodeString(enc)
			if err != nil {
				return nil, fmt.Errorf("signature tag %d, value %d: %w", SigOpenPGP, i+1, err)
			}
			s, err := parseSignaturePacket(b)
			if err != nil {
				return nil, fmt.Errorf("signature tag %d, value %d: %w", SigOpenPGP, i+1, err)
			}
			s.Tag = SigOpenPGP
			out = append(out, s)
		}
	}
	return out, nil
}

var errShort = errors.New("truncated OpenPGP packet")

// parseSignaturePacket reads the issuer and algorithm of one binary OpenPGP
// signature packet (RFC 4880 v3/v4, RFC 9580 v6).
func parseSignaturePacket(p []byte) (Signature, error) {
	body, err := packetBody(p)
	if err != nil {
		return Signature{}, err
	}
	if len(body) < 1 {
		return Signature{}, errShort
	}
	var s Signature
	switch v := body[0]; v {
	case 3:
		// version, hashed length (5), type, time, key id, algorithms
		if len(body) < 19 || body[1] != 5 {
			return Signature{}, errors.New("malformed v3 signature")
		}
		s.KeyID = hex.EncodeToString(body[7:15])
		s.Algorithm = algorithmName(body[15])
		return s, nil
	case 4, 6:
		if len(body) < 4 {
			return Signature{}, errShort
		}
		s.Algorithm = algorithmName(body[2])
		rest := body[4:]
		lenSize := 2
		if v == 6 {
			lenSize = 4
		}
		for area := 0; area < 2; area++ { // hashed, then unhashed subpackets
			if len(rest) < lenSize {
				return Signature{}, errShort
			}
			var n uint64
			if lenSize == 2 {
				n = uint64(binary.BigEndian.Uint16(rest))
			} else {
				n = uint64(binary.BigEndian.Uint32(rest))
			}
			rest = rest[lenSize:]
			if n > uint64(len(rest)) {
				return Signature{}, errShort
			}
			if err := readIssuer(rest[:n], &s); err != nil {
				return Signature{}, err
			}
			rest = rest[n:]
		}
		if s.KeyID == "" {
			return Signature{}, errors.New("signature names no issuer")
		}
		return s, nil
	default:
		return Signature{}, fmt.Errorf("unsupported signature packet version %d", v)
	}
}

// readIssuer reads the issuer key id (subpacket 16) and issuer fingerprint
// (subpacket 33) from a subpacket area into s, the fingerprint winning.
func readIssuer(area []byte, s *Signature) error {
	for len(area) > 0 {
		var n uint64
		switch o := area[0]; {
		case o < 192:
			n, area = uint64(o), area[1:]
		case o < 255:
			if len(area) < 2 {
				return errShort
			}
			n, area = (uint64(o)-192)<<8+uint64(area[1])+192, area[2:]
		default:
			if len(area) < 5 {
				return errShort
			}
			n, area = uint64(binary.BigEndian.Uint32(area[1:])), area[5:]
		}
		if n == 0 || n > uint64(len(area)) {
			return errors.New("malformed signature subpacket")
		}
		sub := area[:n]
		area = area[n:]
		switch typ, data := sub[0]&0x7f, sub[1:]; typ {
		case 16:
			if len(data) != 8 {
				return errors.New("malformed issuer subpacket")
			}
			if s.Fingerprint == "" {
				s.KeyID = hex.EncodeToString(data)
			}
		case 33:
			if len(data) < 1 {
				return errors.New("malformed issuer fingerprint subpacket")
			}
			fp := data[1:]
			switch {
			case data[0] == 4 && len(fp) == 20:
				s.KeyID = hex.EncodeToString(fp[12:])
			case (data[0] == 5 || data[0] == 6) && len(fp) == 32:
				s.KeyID = hex.EncodeToString(fp[:8])
			default:
				return errors.New("malformed issuer fingerprint subpacket")
			}
			s.Fingerprint = hex.EncodeToString(fp)
		}
	}
	return nil
}

// packetBody returns the body of the single signature packet in p.
func packetBody(p []byte) ([]byte, error) {
	if len(p) < 2 || p[0]&0x80 == 0 {
		return nil, errors.New("not an OpenPGP packet")
	}
	var tag byte
	var n uint64
	rest := p[1:]
	if p[0]&0x40 != 0 { // new format
		tag = p[0] & 0x3f
		switch o := rest[0]; {
		case o < 192:
			n, rest = uint64(o), rest[1:]
		case o < 224:
			if len(rest) < 2 {
				return nil, errShort
			}
			n, rest = (uint64(o)-192)<<8+uint64(rest[1])+192, rest[2:]
		case o == 255:
			if len(rest) < 5 {
				return nil, errShort
			}
			n, rest = uint64(binary.BigEndian.Uint32(rest[1:])), rest[5:]
		default:
			return nil, errors.New("partial-length OpenPGP packet")
		}
	} else {
		tag = (p[0] >> 2) & 0x0f
		switch p[0] & 3 {
		case 0:
			n, rest = uint64(rest[0]), rest[1:]
		case 1:
			if len(rest) < 2 {
				return nil, errShort
			}
			n, rest = uint64(binary.BigEndian.Uint16(rest)), rest[2:]
		case 2:
			if len(rest) < 4 {
				return nil, errShort
			}
			n, rest = uint64(binary.BigEndian.Uint32(rest)), rest[4:]
		default:
			n = uint64(len(rest))
		}
	}
	if tag != 2 {
		return nil, fmt.Errorf("OpenPGP packet of type %d, not a signature", tag)
	}
	if n > uint64(len(rest)) {
		return nil, errShort
	}
	return rest[:n], nil
}

func algorithmName(a byte) string {
	switch a {
	case 1, 2, 3:
		return "RSA"
	case 17:
		return "DSA"
	case 19:
		return "ECDSA"
	case 22:
		return "EdDSA"
	case 27:
		return "Ed25519"
	case 28:
		return "Ed448"
	}
	return fmt.Sprintf("algorithm %d", a)
}

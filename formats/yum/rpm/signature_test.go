package rpm

import (
	"encoding/binary"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// packet wraps body as a signature packet in the old or new format.
func packet(body []byte, old bool) []byte {
	if old {
		b := []byte{0x89, 0, 0} // old format, tag 2, two-byte length
		binary.BigEndian.PutUint16(b[1:], uint16(len(body)))
		return append(b, body...)
	}
	b := []byte{0xc2, 0xff, 0, 0, 0, 0} // new format, tag 2, four-byte length
	binary.BigEndian.PutUint32(b[2:], uint32(len(body)))
	return append(b, body...)
}

func subpacket(typ byte, data []byte) []byte {
	return append([]byte{byte(len(data) + 1), typ}, data...)
}

// v4 returns a v4 signature body with the given subpacket areas.
func v4(alg byte, hashed, unhashed []byte) []byte {
	b := []byte{4, 0x00, alg, 8}
	b = binary.BigEndian.AppendUint16(b, uint16(len(hashed)))
	b = append(b, hashed...)
	b = binary.BigEndian.AppendUint16(b, uint16(len(unhashed)))
	b = append(b, unhashed...)
	return append(b, 0xab, 0xcd, 0, 1, 1) // hash prefix, an MPI
}

func TestParseSignaturePacket(t *testing.T) {
	keyID := []byte{1, 2, 3, 4, 5, 6, 7, 8}
	fp := append([]byte{4}, []byte("0123456789abcdefghij")...)
	v3 := append([]byte{3, 5, 0, 0, 0, 0, 0}, keyID...)
	v3 = append(v3, 17, 8, 0xab, 0xcd, 0, 1, 1)
	v6 := []byte{6, 0, 27, 10}
	fp6 := append([]byte{6}, []byte("0123456789abcdefghijklmnopqrstuv")...)
	v6 = binary.BigEndian.AppendUint32(v6, uint32(len(subpacket(33, fp6))))
	v6 = append(v6, subpacket(33, fp6)...)
	v6 = binary.BigEndian.AppendUint32(v6, 0)
	tests := []struct {
		name string
		data []byte
		want Signature
		err  string
	}{
		{"v3 DSA, old format", packet(v3, true), Signature{Algorithm: "DSA", KeyID: "0102030405060708"}, ""},
		{"v4 RSA issuer in unhashed area", packet(v4(1, subpacket(2, []byte{0, 0, 0, 1}), subpacket(16, keyID)), false),
			Signature{Algorithm: "RSA", KeyID: "0102030405060708"}, ""},
		{"v4 EdDSA issuer fingerprint wins", packet(v4(22, subpacket(33, fp), subpacket(16, []byte("ignored!"))), true),
			Signature{Algorithm: "EdDSA", KeyID: hexOf("cdefghij"), Fingerprint: hexOf("0123456789abcdefghij")}, ""},
		{"v6 Ed25519", packet(v6, false), Signature{Algorithm: "Ed25519", KeyID: hexOf("01234567"), Fingerprint: hexOf("0123456789abcdefghijklmnopqrstuv")}, ""},
		{"no issuer", packet(v4(1, nil, nil), false), Signature{}, "no issuer"},
		{"not a packet", []byte("-----BEGIN PGP SIGNATURE-----"), Signature{}, "not an OpenPGP packet"},
		{"a public key packet", append([]byte{0xc6, 1}, 4), Signature{}, "type 6"},
		{"partial length", []byte{0xc2, 0xe0, 4}, Signature{}, "partial-length"},
		{"body too short", []byte{0xc2, 50, 4, 0}, Signature{}, "truncated"},
		{"subpacket area too long", packet([]byte{4, 0, 1, 8, 0xff, 0xff}, false), Signature{}, "truncated"},
		{"bad subpacket length", packet(v4(1, []byte{9, 16, 1}, nil), false), Signature{}, "malformed signature subpacket"},
		{"bad issuer", packet(v4(1, subpacket(16, []byte{1, 2}), nil), false), Signature{}, "malformed issuer"},
		{"version 5", packet([]byte{5, 0, 1, 8}, false), Signature{}, "version 5"},
		{"empty v3", packet([]byte{3, 5}, false), Signature{}, "malformed v3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseSignaturePacket(tt.data)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("parseSignaturePacket = %+v, %v; want error containing %q", got, err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func hexOf(s string) string {
	const digits = "0123456789abcdef"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		b.WriteByte(digits[s[i]>>4])
		b.WriteByte(digits[s[i]&15])
	}
	return b.String()
}

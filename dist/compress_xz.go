package dist

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"hash/crc64"

	"github.com/ulikunitz/xz/lzma"
)

// The .xz container (https://tukaani.org/xz/xz-file-format.txt): a stream
// header, one block per chunk (block header, LZMA2 data, padding, CRC64 of
// the chunk), the index of block sizes and a stream footer.
var (
	xzMagic       = []byte{0xfd, '7', 'z', 'X', 'Z', 0x00}
	xzFooterMagic = []byte{'Y', 'Z'}
	crc64Table    = crc64.MakeTable(crc64.ECMA)
)

const (
	xzCheckCRC64   = 0x04
	xzFilterLZMA2  = 0x21
	xzCheckSize    = 8
	xzCRC64Payload = 8 // a chunk's payload is the CRC64 of its bytes, then its LZMA2 data
)

// xzEncoderParams names what makes a chunk's LZMA2 bytes; it is part of the
// disk cache tag.
const xzEncoderParams = "lzma2-ht4-lc3lp0pb2-dictchunk-crc64"

// XZ returns data compressed as one .xz stream of independently compressed
// blocks. Any xz decoder reads it (liblzma, and so apt, xz and Python).
func (c *Compressor) XZ(data []byte) ([]byte, error) {
	c = c.orNew()
	ends := c.split.cuts(data)
	payloads, err := c.compressChunks(kindXZ, data, ends, compressXZChunk)
	if err != nil {
		return nil, fmt.Errorf("xz: %w", err)
	}
	return assembleXZ(payloads, ends)
}

func compressXZChunk(chunk []byte) ([]byte, error) {
	var buf bytes.Buffer
	buf.Grow(len(chunk)/4 + 64)
	buf.Write(binary.LittleEndian.AppendUint64(nil, crc64.Checksum(chunk, crc64Table)))
	w, err := lzma.Writer2Config{
		DictCap: xzDictCap(len(chunk)),
		Matcher: lzma.HashTable4, // BinaryTree is orders of magnitude slower in this package
	}.NewWriter2(&buf)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(chunk); err != nil {
		return nil, err
	}
	// Close swallows Flush errors; flush first to see them.
	if err := w.Flush(); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// xzDictCap returns the dictionary size for a chunk: the whole chunk, so no
// match is out of reach, and no more, so decoders allocate little.
func xzDictCap(n int) int { return max(n, lzma.MinDictCap) }

func assembleXZ(payloads [][]byte, ends []int) ([]byte, error) {
	size := 12 + 12 + 16 + 24*len(payloads)
	for _, p := range payloads {
		size += len(p)
	}
	out := make([]byte, 0, size)

	flags := []byte{0x00, xzCheckCRC64}
	out = append(out, xzMagic...)
	out = append(out, flags...)
	out = binary.LittleEndian.AppendUint32(out, crc32.ChecksumIEEE(flags))

	type record struct{ unpadded, uncompressed uint64 }
	records := make([]record, len(payloads))
	start := 0
	for i, p := range payloads {
		if len(p) <= xzCRC64Payload {
			return nil, fmt.Errorf("xz: chunk %d: payload too short", i)
		}
		check, data := p[:xzCRC64Payload], p[xzCRC64Payload:]
		n := ends[i] - start
		start = ends[i]

		hdrStart := len(out)
		out = xzBlockHeader(out, uint64(len(data)), uint64(n), lzma.EncodeDictCap(int64(xzDictCap(n))))
		hdrLen := len(out) - hdrStart
		out = append(out, data...)
		out = appendZeros(out, pad4(len(data)))
		out = append(out, check...)
		records[i] = record{uint64(hdrLen + len(data) + xzCheckSize), uint64(n)}
	}

	idxStart := len(out)
	out = append(out, 0x00)
	out = binary.AppendUvarint(out, uint64(len(records)))
	for _, r := range records {
		out = binary.AppendUvarint(out, r.unpadded)
		out = binary.AppendUvarint(out, r.uncompressed)
	}
	out = appendZeros(out, pad4(len(out)-idxStart))
	out = binary.LittleEndian.AppendUint32(out, crc32.ChecksumIEEE(out[idxStart:]))
	idxLen := len(out) - idxStart

	footStart := len(out)
	out = append(out, 0, 0, 0, 0) // CRC32, below
	out = binary.LittleEndian.AppendUint32(out, uint32(idxLen/4-1))
	out = append(out, flags...)
	binary.LittleEndian.PutUint32(out[footStart:], crc32.ChecksumIEEE(out[footStart+4:]))
	out = append(out, xzFooterMagic...)
	return out, nil
}

// xzBlockHeader appends a block header with both sizes (multi-threaded
// decoders need them) and a single LZMA2 filter.
func xzBlockHeader(out []byte, compressed, uncompressed uint64, dictProp byte) []byte {
	start := len(out)
	out = append(out, 0, 0x40|0x80) // size (below); flags: one filter, both sizes present
	out = binary.AppendUvarint(out, compressed)
	out = binary.AppendUvarint(out, uncompressed)
	out = append(out, xzFilterLZMA2, 1, dictProp)
	out = appendZeros(out, pad4(len(out)-start+4))
	out[start] = byte((len(out)-start+4)/4 - 1)
	return binary.LittleEndian.AppendUint32(out, crc32.ChecksumIEEE(out[start:]))
}

// pad4 returns how many zero bytes make n a multiple of four.
func pad4(n int) int { return (4 - n%4) % 4 }

func appendZeros(b []byte, n int) []byte {
	for range n {
		b = append(b, 0)
	}
	return b
}

package dist

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"sync"

	"github.com/klauspost/compress/flate"
)

// gzipLevel balances size and speed: on Packages files level 9 is 3-9%
// smaller but four to seven times slower.
const gzipLevel = 6

// gzipEncoderParams names what makes a chunk's deflate bytes; it is part of
// the disk cache tag.
const gzipEncoderParams = "deflate6-syncflush"

// flateWriters holds idle *flate.Writer: each holds about 1 MB of tables.
var flateWriters sync.Pool

// Gzip returns data compressed as a single gzip member without file name or
// time. The deflate stream is the concatenation of independently compressed,
// byte-aligned segments, one per chunk, closed by an empty final block: a
// plain gzip file to every reader, which can be built in parallel and from
// cached segments.
func (c *Compressor) Gzip(data []byte) ([]byte, error) {
	c = c.orNew()
	ends := c.split.cuts(data)
	payloads, err := c.compressChunks(kindGzip, data, ends, deflateChunk)
	if err != nil {
		return nil, fmt.Errorf("gzip: %w", err)
	}

	size := 10 + 2 + 8
	for _, p := range payloads {
		size += len(p)
	}
	out := make([]byte, 0, size)
	// ID1 ID2 CM=deflate FLG=0 MTIME=0 XFL=0 OS=unknown
	out = append(out, 0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff)
	for _, p := range payloads {
		out = append(out, p...)
	}
	out = append(out, 0x03, 0x00) // final block: fixed Huffman, end of block only
	out = binary.LittleEndian.AppendUint32(out, crc32.ChecksumIEEE(data))
	out = binary.LittleEndian.AppendUint32(out, uint32(len(data)))
	return out, nil
}

// deflateChunk compresses a chunk as non-final deflate blocks ending on a
// byte boundary (a sync flush), so segments can be concatenated.
func deflateChunk(chunk []byte) ([]byte, error) {
	var buf bytes.Buffer
	buf.Grow(len(chunk)/3 + 64)
	w, _ := flateWriters.Get().(*flate.Writer)
	if w == nil {
		var err error
		if w, err = flate.NewWriter(&buf, gzipLevel); err != nil {
			return nil, err
		}
	} else {
		w.Reset(&buf)
	}
	defer func() {
		w.Reset(io.Discard) // drop the reference to buf
		flateWriters.Put(w)
	}()
	if _, err := w.Write(chunk); err != nil {
		return nil, err
	}
	if err := w.Flush(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

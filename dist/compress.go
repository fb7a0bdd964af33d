package dist

import (
	"bytes"

	"github.com/klauspost/compress/gzip"
	"github.com/ulikunitz/xz"
)

// Compressor makes the compressed variants of index files. Its output depends
// on the input bytes alone (no names or times in headers).
type Compressor struct{}

// NewCompressor returns a Compressor.
func NewCompressor() *Compressor { return &Compressor{} }

// Gzip returns data compressed with gzip.
func (c *Compressor) Gzip(data []byte) ([]byte, error) {
	var buf bytes.Buffer
	w, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(data); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// XZ returns data compressed with xz.
func (c *Compressor) XZ(data []byte) ([]byte, error) {
	var buf bytes.Buffer
	w, err := xz.NewWriter(&buf)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(data); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

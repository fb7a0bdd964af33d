// Package limitio bounds how much a reader of untrusted input may produce,
// so that a decompression bomb fails with an error instead of exhausting
// memory or disk.
package limitio

import (
	"fmt"
	"io"
)

// Reader returns a reader of r that fails once more than limit bytes have
// been read, with an error saying what (e.g. "control.tar") grew too big.
func Reader(r io.Reader, limit int64, what string) io.Reader {
	return &capReader{r: r, n: limit, limit: limit, what: what}
}

type capReader struct {
	r     io.Reader
	n     int64 // bytes still allowed
	limit int64
	what  string
}

func (c *capReader) Read(p []byte) (int, error) {
	if c.n < 0 {
		return 0, c.tooBig()
	}
	// Read one byte past the limit, so that input of exactly the limit
	// passes and anything longer is caught.
	if int64(len(p)) > c.n+1 {
		p = p[:c.n+1]
	}
	n, err := c.r.Read(p)
	c.n -= int64(n)
	if c.n < 0 {
		return n, c.tooBig()
	}
	return n, err
}

func (c *capReader) tooBig() error {
	return fmt.Errorf("%s unpacks to more than %d MiB", c.what, c.limit>>20)
}

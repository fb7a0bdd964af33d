package upstream

import (
	"bytes"
	"compress/gzip"
	"encoding/hex"
	"path"
	"testing"

	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"
)

// Index files are uncompressed by their name's extension, whichever
// format (apt's Packages.xz, yum's *-primary.xml.zst) names them.
func TestDecompress(t *testing.T) {
	plain := []byte("primary metadata\n")
	var gz, xzBuf bytes.Buffer
	gw := gzip.NewWriter(&gz)
	gw.Write(plain)
	gw.Close()
	xw, err := xz.NewWriter(&xzBuf)
	if err != nil {
		t.Fatal(err)
	}
	xw.Write(plain)
	xw.Close()
	zw, _ := zstd.NewWriter(nil)
	zst := zw.EncodeAll(plain, nil)
	// bzip2 of plain; the standard library only reads bzip2.
	bz2, _ := hex.DecodeString("425a68393141592653591846bfe9000005d180001040002622542020003100d34d044c87a69ea50435ea31b140b45dc914e14240611affa4")
	tests := []struct {
		name string
		data []byte
	}{
		{"main/binary-amd64/Packages", plain},
		{"main/binary-amd64/Packages.gz", gz.Bytes()},
		{"main/binary-amd64/Packages.xz", xzBuf.Bytes()},
		{"repodata/abc-primary.xml.zst", zst},
		{"repodata/abc-primary.xml.bz2", bz2},
		{"repodata/abc-primary.xml", plain},
	}
	for _, tt := range tests {
		got, err := decompress(tt.data, path.Ext(tt.name))
		if err != nil || !bytes.Equal(got, plain) {
			t.Errorf("decompress(%s) = %q, %v; want %q", tt.name, got, err, plain)
		}
	}
	if _, err := decompress([]byte("not gzip"), ".gz"); err == nil {
		t.Error("decompress of a corrupt .gz: no error")
	}
}

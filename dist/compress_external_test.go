package dist

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// lookTool finds an external program, skipping the test without it (failing
// on CI, where it must be installed).
func lookTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is required on CI: %v", name, err)
		}
		t.Skipf("%s not installed: %v", name, err)
	}
	return p
}

// TestCompressExternal checks the output with the reference decoders: xz
// (liblzma, which apt links), gzip, and apt's own file reader.
func TestCompressExternal(t *testing.T) {
	if testing.Short() {
		t.Skip("runs external programs")
	}
	inputs := compressInputs(t)
	inputs = append(inputs, compressInput{"packages default chunking", packagesText(3000)})

	dir := t.TempDir()
	type file struct {
		name, xz, gz string
		data         []byte
	}
	var files []file
	for i, in := range inputs {
		c := newTestCompressor("")
		if i == len(inputs)-1 {
			c = NewCompressor("")
		}
		x, err := c.XZ(in.data)
		if err != nil {
			t.Fatal(err)
		}
		g, err := c.Gzip(in.data)
		if err != nil {
			t.Fatal(err)
		}
		base := filepath.Join(dir, string(rune('a'+i)))
		f := file{name: in.name, xz: base + ".xz", gz: base + ".gz", data: in.data}
		if err := os.WriteFile(f.xz, x, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(f.gz, g, 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}

	run := func(t *testing.T, want []byte, prog string, args ...string) {
		t.Helper()
		var stdout, stderr bytes.Buffer
		cmd := exec.Command(prog, args...)
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("%s %v: %v\n%s", filepath.Base(prog), args, err, stderr.Bytes())
		}
		if want != nil && !bytes.Equal(stdout.Bytes(), want) {
			t.Errorf("%s %v: got %d bytes, want %d", filepath.Base(prog), args, stdout.Len(), len(want))
		}
	}

	t.Run("xz", func(t *testing.T) {
		xzBin := lookTool(t, "xz")
		for _, f := range files {
			t.Run(f.name, func(t *testing.T) {
				run(t, nil, xzBin, "-t", f.xz)
				run(t, f.data, xzBin, "-dc", f.xz)
				// Decoding blocks in parallel relies on the sizes in the
				// block headers.
				run(t, f.data, xzBin, "-dc", "-T2", f.xz)
				run(t, nil, xzBin, "-lvv", f.xz)
			})
		}
	})
	t.Run("gzip", func(t *testing.T) {
		gz := lookTool(t, "gzip")
		for _, f := range files {
			t.Run(f.name, func(t *testing.T) {
				run(t, nil, gz, "-t", f.gz)
				run(t, f.data, gz, "-dc", f.gz)
			})
		}
	})
	t.Run("apt-helper", func(t *testing.T) {
		// apt-helper is not on PATH; apt installs it here.
		helper := "/usr/lib/apt/apt-helper"
		if _, err := os.Stat(helper); err != nil {
			helper = lookTool(t, "apt-helper")
		}
		for _, f := range files {
			t.Run(f.name, func(t *testing.T) {
				run(t, f.data, helper, "cat-file", f.xz)
				run(t, f.data, helper, "cat-file", f.gz)
			})
		}
	})
}

package digest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSHA256(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
		{"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
	}
	for _, tt := range tests {
		got, err := SHA256(strings.NewReader(tt.in))
		if err != nil || got != tt.want {
			t.Errorf("SHA256(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
		p := filepath.Join(t.TempDir(), "f")
		if err := os.WriteFile(p, []byte(tt.in), 0o644); err != nil {
			t.Fatal(err)
		}
		got, err = FileSHA256(p)
		if err != nil || got != tt.want {
			t.Errorf("FileSHA256(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
		set, _ := Of(strings.NewReader(tt.in))
		if set.SHA256 != tt.want {
			t.Errorf("Of(%q).SHA256 = %q, want %q", tt.in, set.SHA256, tt.want)
		}
	}
	if _, err := FileSHA256(filepath.Join(t.TempDir(), "missing")); !os.IsNotExist(err) {
		t.Errorf("FileSHA256 of a missing file: %v, want not exist", err)
	}
}

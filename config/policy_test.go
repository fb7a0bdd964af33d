package config

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestPolicy(t *testing.T) {
	reg, err := ParseConfig([]byte(`repositories:
  - name: npm
    format: npm
    policy:
      scopes: [acme, "@tools"]
      names: [left-pad]
      max_size: 50MB
      licenses: [MIT, "BSD-*"]
      allow_removal: true
policy:
  commit_signers: [keys/maintainers.asc]
`))
	if err != nil {
		t.Fatal(err)
	}
	want := &Policy{
		Names: []string{"left-pad"}, Scopes: []string{"acme", "@tools"}, MaxSize: 50_000_000,
		Licenses: []string{"MIT", "BSD-*"}, AllowRemoval: true,
		Lines: map[string]int{"scopes": 5, "names": 6, "max_size": 7, "licenses": 8, "allow_removal": 9},
	}
	if diff := cmp.Diff(want, reg.Repositories[0].Policy); diff != "" {
		t.Errorf("repository policy (-want +got):\n%s", diff)
	}
	wantReg := &RegistryPolicy{CommitSigners: []string{"keys/maintainers.asc"}, Lines: map[string]int{"commit_signers": 11}}
	if diff := cmp.Diff(wantReg, reg.Policy); diff != "" {
		t.Errorf("registry policy (-want +got):\n%s", diff)
	}
}

func TestPolicyErrors(t *testing.T) {
	_, err := ParseConfig([]byte(`repositories:
  - name: apt
    format: apt
    policy:
      scopes: [acme]
      names: ["[a-"]
      max_size: 0
policy:
  commit_signers: [../outside.asc]
`))
	if err == nil {
		t.Fatal("ParseConfig accepted invalid policies")
	}
	for _, want := range []string{
		`repos.yaml:5: repository "apt": policy scopes apply to npm repositories only`,
		`repos.yaml:6: repository "apt": policy name pattern "[a-" is not a valid glob`,
		`repos.yaml:7: repository "apt": policy max_size must be more than 0`,
		`repos.yaml:9: policy: commit signer key "../outside.asc" must be a path inside the repository`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("errors lack %q:\n%v", want, err)
		}
	}
}

func TestPolicyUnknownField(t *testing.T) {
	_, err := ParseConfig([]byte("repositories:\n  - name: npm\n    format: npm\n    policy:\n      unknown: 1\n"))
	if err == nil || !strings.Contains(err.Error(), "repos.yaml:5: field unknown not found") {
		t.Errorf("unknown policy field: %v", err)
	}
}

func TestByteSize(t *testing.T) {
	if _, err := ParseConfig([]byte("repositories:\n  - name: npm\n    format: npm\n    policy:\n      max_size: lots\n")); err == nil ||
		!strings.Contains(err.Error(), `repos.yaml:5: invalid size "lots"`) {
		t.Errorf("max_size lots: %v", err)
	}
	for in, want := range map[string]ByteSize{"1024": 1024, "500KB": 500_000, "2MiB": 2 << 20, "1GiB": 1 << 30, "3 GB": 3_000_000_000} {
		reg, err := ParseConfig([]byte("repositories:\n  - name: npm\n    format: npm\n    policy:\n      max_size: " + in + "\n"))
		if err != nil {
			t.Errorf("max_size %q: %v", in, err)
			continue
		}
		if got := reg.Repositories[0].Policy.MaxSize; got != want {
			t.Errorf("max_size %q = %d, want %d", in, got, want)
		}
	}
}

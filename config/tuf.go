package config

import (
	"slices"
	"time"
)

// TUF role names, as in the TUF specification, plus "delegations": the
// online role that signs one delegated targets role per repository (and
// its hashed bins) so that the top-level targets key can stay offline.
const (
	RoleRoot        = "root"
	RoleTargets     = "targets"
	RoleDelegations = "delegations"
	RoleSnapshot    = "snapshot"
	RoleTimestamp   = "timestamp"
)

// TUFRoles lists the roles in the order keys are usually made.
var TUFRoles = []string{RoleRoot, RoleTargets, RoleDelegations, RoleSnapshot, RoleTimestamp}

// TUF configures the TUF metadata of the published tree. The trusted root
// itself lives in tuf/root.json in the repository; these settings say which
// private keys sign each role and how long signatures last.
type TUF struct {
	Root        TUFRole `yaml:"root"`
	Targets     TUFRole `yaml:"targets"`
	Delegations TUFRole `yaml:"delegations"`
	Snapshot    TUFRole `yaml:"snapshot"`
	Timestamp   TUFRole `yaml:"timestamp"`
	// BinsAbove is how many targets a repository's role may list before it
	// is split into hashed bins (decided once, kept forever after).
	BinsAbove int `yaml:"bins_above"`

	Line int `yaml:"-"`
}

// TUFRole is the setting of one role.
type TUFRole struct {
	// Keys are references to private keys (see Signing), or
	// "awskms:///alias/NAME" for an AWS KMS key (ECC_NIST_P256).
	Keys []string `yaml:"keys"`
	// Threshold is used when a new root is made; the root itself says
	// which threshold clients apply.
	Threshold int      `yaml:"threshold"`
	Expires   Duration `yaml:"expires"`
}

// Role returns the settings of the named role.
func (t *TUF) Role(name string) *TUFRole {
	switch name {
	case RoleRoot:
		return &t.Root
	case RoleTargets:
		return &t.Targets
	case RoleDelegations:
		return &t.Delegations
	case RoleSnapshot:
		return &t.Snapshot
	case RoleTimestamp:
		return &t.Timestamp
	}
	return nil
}

// Default lifetimes of signatures, by role.
var defaultExpiry = map[string]time.Duration{
	RoleRoot:        365 * 24 * time.Hour,
	RoleTargets:     90 * 24 * time.Hour,
	RoleDelegations: 90 * 24 * time.Hour,
	RoleSnapshot:    7 * 24 * time.Hour,
	RoleTimestamp:   24 * time.Hour,
}

// DefaultBinsAbove is the size at which a repository's role gets hashed bins.
const DefaultBinsAbove = 2048

func (t *TUF) setDefaults() {
	for _, name := range TUFRoles {
		r := t.Role(name)
		if r.Threshold == 0 {
			r.Threshold = 1
		}
		if r.Expires == 0 {
			r.Expires = Duration(defaultExpiry[name])
		}
	}
	if t.BinsAbove == 0 {
		t.BinsAbove = DefaultBinsAbove
	}
}

func (t *TUF) validate(p *problems) {
	t.setDefaults()
	for _, name := range TUFRoles {
		r := t.Role(name)
		if len(r.Keys) == 0 {
			p.add(ConfigFile, t.Line, "signing.tuf.%s: no keys", name)
		}
		if r.Threshold < 1 || r.Threshold > len(r.Keys) && name != RoleRoot {
			p.add(ConfigFile, t.Line, "signing.tuf.%s: threshold %d with %d keys", name, r.Threshold, len(r.Keys))
		}
		if slices.Contains(r.Keys, "") {
			p.add(ConfigFile, t.Line, "signing.tuf.%s: empty key reference", name)
		}
	}
	if t.BinsAbove < 1 {
		p.add(ConfigFile, t.Line, "signing.tuf.bins_above must be positive")
	}
}

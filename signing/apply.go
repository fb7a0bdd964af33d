package signing

import (
	"errors"
	"fmt"
	"time"

	"github.com/stockpile/stockpile/dist"
)

// ErrNoKey reports that the tree asks for OpenPGP signatures but the registry
// names no OpenPGP key.
var ErrNoKey = errors.New("the registry has no OpenPGP key configured")

// Apply fulfils the tree's sign requests in the order they were made, adding
// each signature or public key to the tree. Signatures are made at now.
// key may be nil only when the tree asks for nothing.
func Apply(tree *dist.Tree, key *OpenPGP, now time.Time) error {
	reqs := tree.SignRequests()
	if len(reqs) == 0 {
		return nil
	}
	if key == nil {
		return fmt.Errorf("%w, but %s must be signed: set signing.openpgp in repos.yaml to a private key "+
			"(a path inside the repository such as .stockpile/openpgp.asc, env:NAME, or file:///abs/path); "+
			"`stockpile keys create` makes a development key there", ErrNoKey, reqs[0].Path)
	}
	for _, r := range reqs {
		data, err := fulfil(tree, key, r, now)
		if err != nil {
			return fmt.Errorf("sign %s: %w", r.Path, err)
		}
		if err := tree.Add(r.Path, data); err != nil {
			return fmt.Errorf("sign %s: %w", r.Path, err)
		}
	}
	return nil
}

func fulfil(tree *dist.Tree, key *OpenPGP, r dist.SignRequest, now time.Time) ([]byte, error) {
	switch r.Kind {
	case dist.PublicKeyArmor:
		return key.ArmoredPublic()
	case dist.PublicKeyBinary:
		return key.BinaryPublic()
	case dist.ClearSign, dist.DetachSign:
		f := tree.Get(r.Of)
		if f == nil {
			return nil, fmt.Errorf("%s is not in the tree", r.Of)
		}
		if f.Data == nil {
			return nil, fmt.Errorf("%s is an artifact, not generated content; only generated files are signed", r.Of)
		}
		if r.Kind == dist.ClearSign {
			return key.ClearSign(f.Data, now)
		}
		return key.DetachSign(f.Data, now)
	default:
		return nil, fmt.Errorf("unknown sign request kind %d", r.Kind)
	}
}

package tuf

import (
	"context"
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"fmt"
	"io"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/sigstore/sigstore/pkg/signature"
)

// kmsSigner signs with an AWS KMS key of spec ECC_NIST_P256, which TUF
// clients know as ecdsa-sha2-nistp256. The private key never leaves KMS.
type kmsSigner struct {
	// ctx is kept because go-tuf calls SignMessage without one.
	ctx    context.Context
	client *kms.Client
	keyID  string
	pub    crypto.PublicKey
}

var _ signature.Signer = (*kmsSigner)(nil)

func newKMSSigner(ctx context.Context, keyID string, getenv func(string) string) (*kmsSigner, error) {
	cfg, err := awsconfig.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("aws kms key %q: %w", keyID, err)
	}
	var opts []func(*kms.Options)
	if ep := getenv("AWS_ENDPOINT_URL_KMS"); ep != "" {
		opts = append(opts, func(o *kms.Options) { o.BaseEndpoint = aws.String(ep) })
	}
	s := &kmsSigner{ctx: ctx, client: kms.NewFromConfig(cfg, opts...), keyID: keyID}
	out, err := s.client.GetPublicKey(ctx, &kms.GetPublicKeyInput{KeyId: aws.String(keyID)})
	if err != nil {
		return nil, fmt.Errorf("aws kms key %q: %w", keyID, err)
	}
	if out.KeySpec != types.KeySpecEccNistP256 {
		return nil, fmt.Errorf("aws kms key %q is %s; TUF roles need ECC_NIST_P256", keyID, out.KeySpec)
	}
	if s.pub, err = x509.ParsePKIXPublicKey(out.PublicKey); err != nil {
		return nil, fmt.Errorf("aws kms key %q: public key: %w", keyID, err)
	}
	return s, nil
}

func (s *kmsSigner) PublicKey(...signature.PublicKeyOption) (crypto.PublicKey, error) {
	return s.pub, nil
}

// SignMessage signs the SHA-256 digest of message; KMS returns the ASN.1 DER
// signature that TUF's ecdsa-sha2-nistp256 scheme expects.
func (s *kmsSigner) SignMessage(message io.Reader, _ ...signature.SignOption) ([]byte, error) {
	h := sha256.New()
	if _, err := io.Copy(h, message); err != nil {
		return nil, err
	}
	out, err := s.client.Sign(s.ctx, &kms.SignInput{
		KeyId:            aws.String(s.keyID),
		Message:          h.Sum(nil),
		MessageType:      types.MessageTypeDigest,
		SigningAlgorithm: types.SigningAlgorithmSpecEcdsaSha256,
	})
	if err != nil {
		return nil, fmt.Errorf("aws kms key %q: sign: %w", s.keyID, err)
	}
	return out.Signature, nil
}

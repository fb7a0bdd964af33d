package tuf

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/theupdateframework/go-tuf/v2/metadata"
)

// fakeKMS answers the two KMS calls the signer makes, GetPublicKey and
// Sign, in the service's JSON protocol, with a local P-256 key.
func fakeKMS(t *testing.T, keySpec string) (*httptest.Server, *ecdsa.PrivateKey) {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(&priv.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			KeyId, MessageType, SigningAlgorithm string
			Message                              []byte
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.KeyId != "alias/tuf-timestamp" {
			http.Error(w, `{"__type":"NotFoundException"}`, http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		switch r.Header.Get("X-Amz-Target") {
		case "TrentService.GetPublicKey":
			json.NewEncoder(w).Encode(map[string]any{"KeyId": req.KeyId, "KeySpec": keySpec, "PublicKey": der, "KeyUsage": "SIGN_VERIFY"})
		case "TrentService.Sign":
			if req.MessageType != "DIGEST" || req.SigningAlgorithm != "ECDSA_SHA_256" || len(req.Message) != 32 {
				http.Error(w, `{"__type":"ValidationException"}`, http.StatusBadRequest)
				return
			}
			sig, err := ecdsa.SignASN1(rand.Reader, priv, req.Message)
			if err != nil {
				t.Error(err)
			}
			json.NewEncoder(w).Encode(map[string]any{"KeyId": req.KeyId, "Signature": sig, "SigningAlgorithm": req.SigningAlgorithm})
		default:
			http.Error(w, `{"__type":"UnknownOperationException"}`, http.StatusBadRequest)
		}
	}))
	t.Cleanup(srv.Close)
	return srv, priv
}

func kmsEnv(t *testing.T, endpoint string) func(string) string {
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	t.Setenv("AWS_REGION", "us-east-1")
	return func(k string) string {
		if k == "AWS_ENDPOINT_URL_KMS" {
			return endpoint
		}
		return ""
	}
}

// A KMS key signs TUF metadata that verifies as ecdsa-sha2-nistp256.
func TestKMSSigner(t *testing.T) {
	srv, priv := fakeKMS(t, "ECC_NIST_P256")
	s, err := LoadSigner(context.Background(), KMSPrefix+"alias/tuf-timestamp", "", kmsEnv(t, srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	key, id, err := PublicKey(s)
	if err != nil {
		t.Fatal(err)
	}
	if key.Scheme != metadata.KeySchemeECDSA_SHA2_P256 {
		t.Errorf("scheme = %s, want %s", key.Scheme, metadata.KeySchemeECDSA_SHA2_P256)
	}
	if pub, _ := key.ToPublicKey(); !priv.PublicKey.Equal(pub) {
		t.Error("the TUF key is not the KMS key's public half")
	}

	// A root trusting the KMS key for the timestamp role accepts what it
	// signs.
	root := metadata.Root(time.Now().Add(time.Hour))
	root.Signed.AddKey(key, metadata.TIMESTAMP)
	ts := metadata.Timestamp(time.Now().Add(time.Hour))
	if _, err := ts.Sign(s); err != nil {
		t.Fatal(err)
	}
	if ts.Signatures[0].KeyID != id {
		t.Errorf("signed by %s, want %s", ts.Signatures[0].KeyID, id)
	}
	if err := root.VerifyDelegate(metadata.TIMESTAMP, ts); err != nil {
		t.Errorf("timestamp signed in KMS does not verify: %v", err)
	}
}

func TestKMSSignerRefusesOtherKeySpecs(t *testing.T) {
	srv, _ := fakeKMS(t, "RSA_2048")
	_, err := LoadSigner(context.Background(), KMSPrefix+"alias/tuf-timestamp", "", kmsEnv(t, srv.URL))
	if err == nil || !strings.Contains(err.Error(), "ECC_NIST_P256") {
		t.Fatalf("LoadSigner of an RSA KMS key = %v, want a refusal naming ECC_NIST_P256", err)
	}
}

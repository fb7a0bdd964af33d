package miniotest

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// The server takes signed writes, and anyone reads objects (with their
// stored headers) but cannot list the bucket.
func TestStart(t *testing.T) {
	s := Start(t)
	ctx := context.Background()
	_, err := s.Client.PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String(s.Bucket), Key: aws.String("pool/a_1.0+b_all.deb"),
		Body: strings.NewReader("deb"), ContentType: aws.String("application/vnd.debian.binary-package"),
		CacheControl: aws.String("public, max-age=31536000, immutable"),
	})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		path             string
		status           int
		body, typ, cache string
	}{
		{"/pool/a_1.0%2Bb_all.deb", 200, "deb", "application/vnd.debian.binary-package", "public, max-age=31536000, immutable"},
		// Unlike AWS S3, which reads a literal '+' as a space, MinIO
		// takes it as '+': a pass here proves nothing about AWS.
		{"/pool/a_1.0+b_all.deb", 200, "deb", "application/vnd.debian.binary-package", "public, max-age=31536000, immutable"},
		{"/pool/missing.deb", 404, "", "", ""},
		{"/", 403, "", "", ""}, // no listing
	}
	for _, tt := range tests {
		resp, err := http.Get(s.Endpoint + "/" + s.Bucket + tt.path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tt.status {
			t.Errorf("GET %s = %d, want %d\n%s", tt.path, resp.StatusCode, tt.status, body)
			continue
		}
		if tt.status != 200 {
			continue
		}
		if string(body) != tt.body || resp.Header.Get("Content-Type") != tt.typ || resp.Header.Get("Cache-Control") != tt.cache {
			t.Errorf("GET %s = %q, Content-Type %q, Cache-Control %q", tt.path, body, resp.Header.Get("Content-Type"), resp.Header.Get("Cache-Control"))
		}
	}
	if s.Getenv("AWS_ACCESS_KEY_ID") != s.AccessKey || s.URL("k") != s.Endpoint+"/"+s.Bucket+"/k" {
		t.Error("Getenv or URL disagree with the server")
	}
}

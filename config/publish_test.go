package config

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestPublishSettings(t *testing.T) {
	reg, err := ParseConfig([]byte(`repositories:
  - name: apt
    format: apt
publish:
  to: s3://bucket/registry
  endpoint: http://127.0.0.1:9000
  region: eu-west-1
  grace_period: 7d
  max_deletes: 50
  cloudfront_distribution: E123
`))
	if err != nil {
		t.Fatal(err)
	}
	fifty := 50
	want := &Publish{
		To: "s3://bucket/registry", Endpoint: "http://127.0.0.1:9000", Region: "eu-west-1",
		GracePeriod: Duration(7 * 24 * time.Hour), MaxDeletes: &fifty, CloudFrontDistribution: "E123",
	}
	if diff := cmp.Diff(want, reg.Publish); diff != "" {
		t.Errorf("publish settings (-want +got):\n%s", diff)
	}
}

func TestPublishSettingsErrors(t *testing.T) {
	_, err := ParseConfig([]byte(`repositories:
  - name: apt
    format: apt
publish:
  to: ftp://host/x
  endpoint: 127.0.0.1:9000
  max_deletes: -1
`))
	want := []string{
		`repos.yaml:5: publish.to "ftp://host/x" is not s3://bucket/prefix, file:///path or a local path`,
		`repos.yaml:6: publish.endpoint "127.0.0.1:9000" is not an absolute http(s) URL`,
		`repos.yaml:7: publish.max_deletes must be 0 or more`,
	}
	if err == nil {
		t.Fatal("ParseConfig accepted bad publish settings")
	}
	if diff := cmp.Diff(want, strings.Split(err.Error(), "\n")); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}
}

package config

import (
	"net/url"
	"strings"

	"gopkg.in/yaml.v3"
)

// Publish is where and how `stockpile publish` ships the built tree; its
// command-line flags override each setting.
type Publish struct {
	// To is s3://bucket/prefix, file:///path, or a local path.
	To string `yaml:"to"`
	// Endpoint is the URL of an S3-compatible service (MinIO, R2, ...).
	Endpoint string `yaml:"endpoint"`
	Region   string `yaml:"region"`
	// GracePeriod is how long files that left the tree stay in the store
	// (default 48h).
	GracePeriod Duration `yaml:"grace_period"`
	// MaxDeletes caps the deletions of one publish (default 1000).
	MaxDeletes *int `yaml:"max_deletes"`
	// CloudFrontDistribution, when set, is asked to invalidate the
	// mutable paths a publish changed.
	CloudFrontDistribution string `yaml:"cloudfront_distribution"`
}

func validatePublish(reg *Registry, root *yaml.Node, p *problems) {
	pub := reg.Publish
	if pub == nil {
		return
	}
	node := valueOf(root, "publish")
	line := func(key string) int {
		if l := keyLine(node, key); l > 0 {
			return l
		}
		return keyLine(root, "publish")
	}
	if pub.To != "" {
		if u, err := url.Parse(pub.To); strings.Contains(pub.To, "://") &&
			(err != nil || !(u.Scheme == "s3" && u.Host != "" || u.Scheme == "file" && u.Path != "")) {
			p.add(ConfigFile, line("to"), "publish.to %q is not s3://bucket/prefix, file:///path or a local path", pub.To)
		}
	}
	if pub.Endpoint != "" {
		if u, err := url.Parse(pub.Endpoint); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			p.add(ConfigFile, line("endpoint"), "publish.endpoint %q is not an absolute http(s) URL", pub.Endpoint)
		}
	}
	if pub.MaxDeletes != nil && *pub.MaxDeletes < 0 {
		p.add(ConfigFile, line("max_deletes"), "publish.max_deletes must be 0 or more")
	}
}

// Package cdn holds the CDN rules shipped with Stockpile, as files users
// deploy: an nginx configuration for a caching proxy in front of the bucket,
// and a CloudFront Function. Both map the URLs package managers ask for onto
// the keys of a published tree, as `stockpile serve` does.
package cdn

import _ "embed"

// Nginx is nginx.conf: the http-level configuration of a caching proxy in
// front of an S3 or MinIO bucket (see its header for what to adjust).
//
//go:embed nginx.conf
var Nginx string

// CloudFrontFunction is cloudfront-function.js: a viewer-request CloudFront
// Function (runtime cloudfront-js-2.0).
//
//go:embed cloudfront-function.js
var CloudFrontFunction string

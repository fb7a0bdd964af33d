package publish

import (
	"context"
	"fmt"
	"net/url"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront/types"

	"github.com/stockpile/stockpile/dist"
)

// maxInvalidationPaths is where one wildcard becomes cheaper than a list.
const maxInvalidationPaths = 1000

// Invalidate asks the CloudFront distribution to drop its copies of the
// mutable files the publish wrote, so clients see them before their short
// Cache-Control runs out. It is an extra: correctness never depends on it
// (immutable files never change, mutable ones expire within minutes). The
// distribution is assumed to serve the tree at its root.
func Invalidate(ctx context.Context, distribution string, r *Report, now time.Time) (int, error) {
	paths := invalidationPaths(append(append([]string(nil), r.NewKeys...), r.ChangedKeys...))
	if len(paths) == 0 {
		return 0, nil
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx)
	if err != nil {
		return 0, fmt.Errorf("cloudfront: aws configuration: %w", err)
	}
	_, err = cloudfront.NewFromConfig(cfg).CreateInvalidation(ctx, &cloudfront.CreateInvalidationInput{
		DistributionId: aws.String(distribution),
		InvalidationBatch: &types.InvalidationBatch{
			CallerReference: aws.String("stockpile-" + now.UTC().Format("20060102T150405.000000000Z")),
			Paths:           &types.Paths{Quantity: aws.Int32(int32(len(paths))), Items: paths},
		},
	})
	if err != nil {
		return 0, fmt.Errorf("cloudfront %s: invalidate: %w", distribution, err)
	}
	return len(paths), nil
}

// invalidationPaths returns the URL paths of the mutable keys, with the
// folder URLs the CDN rules serve index documents at.
func invalidationPaths(keys []string) []string {
	set := map[string]bool{}
	for _, k := range keys {
		if dist.RuleFor(k).Immutable() {
			continue
		}
		set["/"+escapePath(k)] = true
		if base := path.Base(k); base == "index.html" || base == "index.json" {
			d := strings.TrimSuffix(k, base)
			set["/"+escapePath(d)] = true
			if d != "" {
				set["/"+escapePath(strings.TrimSuffix(d, "/"))] = true
			}
		}
	}
	if len(set) > maxInvalidationPaths {
		return []string{"/*"}
	}
	out := make([]string, 0, len(set))
	for p := range set {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

func escapePath(p string) string {
	segs := strings.Split(p, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return strings.Join(segs, "/")
}

// Command mkbucket creates an S3 bucket for the publish benchmark, with the
// credentials of the AWS environment variables, so that the aws CLI need
// not be installed. A bucket that already exists is left as it is.
//
//	mkbucket -endpoint http://127.0.0.1:9000 BUCKET...
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

func main() {
	endpoint := flag.String("endpoint", "", "URL of the S3-compatible service (path-style)")
	flag.Parse()
	if flag.NArg() == 0 || *endpoint == "" {
		fmt.Fprintln(os.Stderr, "usage: mkbucket -endpoint URL BUCKET...")
		os.Exit(2)
	}
	for _, b := range flag.Args() {
		if err := create(context.Background(), *endpoint, b); err != nil {
			fmt.Fprintf(os.Stderr, "mkbucket: %v\n", err)
			os.Exit(1)
		}
	}
}

func create(ctx context.Context, endpoint, bucket string) error {
	cfg, err := config.LoadDefaultConfig(ctx, config.WithRegion("us-east-1"))
	if err != nil {
		return err
	}
	client := s3.NewFromConfig(cfg, func(o *s3.Options) {
		o.BaseEndpoint = aws.String(endpoint)
		o.UsePathStyle = true
	})
	_, err = client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)})
	var owned *types.BucketAlreadyOwnedByYou
	if err != nil && !errors.As(err, &owned) {
		return fmt.Errorf("create bucket %s: %w", bucket, err)
	}
	return nil
}

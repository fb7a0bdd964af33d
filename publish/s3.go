package publish

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

const (
	defaultPartSize = 64 << 20
	minPartSize     = 5 << 20 // S3's smallest part but the last
	// metaSHA256 is the user metadata (x-amz-meta-sha256) holding the hex
	// sha256 of an object: S3's ETag is an MD5 only for single-part uploads
	// without KMS, so it cannot tell whether bytes changed.
	metaSHA256 = "sha256"
)

// S3 is a store in an S3 bucket (or any S3-compatible service), under a
// key prefix.
type S3 struct {
	client   *s3.Client
	bucket   string
	prefix   string // "" or ending in "/"
	partSize int64
}

var _ Store = (*S3)(nil)

// OpenS3 makes an S3 client from the SDK's standard sources (environment,
// shared config and credentials files, SSO, instance roles) and returns the
// store for bucket and prefix.
func OpenS3(ctx context.Context, bucket, prefix string, opts OpenOptions) (*S3, error) {
	getenv := opts.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	var load []func(*awsconfig.LoadOptions) error
	if opts.Region != "" {
		load = append(load, awsconfig.WithRegion(opts.Region))
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx, load...)
	if err != nil {
		return nil, fmt.Errorf("s3://%s: aws configuration: %w", bucket, err)
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1" // S3-compatible services mostly ignore it
	}
	if getenv("AWS_REQUEST_CHECKSUM_CALCULATION") == "" {
		// Put sends its own x-amz-checksum-sha256; the SDK's default
		// streaming CRC trailers are not understood by every
		// S3-compatible service.
		cfg.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
	}
	if getenv("AWS_RESPONSE_CHECKSUM_VALIDATION") == "" {
		// Publish hashes what it reads itself.
		cfg.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
	}
	endpoint := opts.Endpoint
	for _, v := range []string{"AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"} {
		if endpoint == "" {
			endpoint = getenv(v)
		}
	}
	client := s3.NewFromConfig(cfg, func(o *s3.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
			o.UsePathStyle = true
		}
	})
	return NewS3(client, bucket, prefix, opts.PartSize), nil
}

// NewS3 returns the store for bucket and key prefix using client. Objects
// larger than partSize (0: 64 MiB) are uploaded in parts.
func NewS3(client *s3.Client, bucket, prefix string, partSize int64) *S3 {
	prefix = strings.Trim(prefix, "/")
	if prefix != "" {
		prefix += "/"
	}
	if partSize == 0 {
		partSize = defaultPartSize
	}
	return &S3{client: client, bucket: bucket, prefix: prefix, partSize: max(partSize, minPartSize)}
}

func (s *S3) List(ctx context.Context, prefix string) ([]Object, error) {
	var out []Object
	p := s3.NewListObjectsV2Paginator(s.client, &s3.ListObjectsV2Input{
		Bucket: aws.String(s.bucket),
		Prefix: aws.String(s.prefix + prefix),
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list s3://%s/%s: %w", s.bucket, s.prefix+prefix, err)
		}
		for _, o := range page.Contents {
			out = append(out, Object{Key: strings.TrimPrefix(aws.ToString(o.Key), s.prefix), Size: aws.ToInt64(o.Size)})
		}
	}
	return out, nil
}

func (s *S3) Stat(ctx context.Context, key string) (Object, error) {
	out, err := s.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(s.prefix + key)})
	if err != nil {
		return Object{}, s.wrap(key, err)
	}
	return Object{Key: key, Size: aws.ToInt64(out.ContentLength), SHA256: out.Metadata[metaSHA256]}, nil
}

func (s *S3) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	out, err := s.client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(s.prefix + key)})
	if err != nil {
		return nil, s.wrap(key, err)
	}
	return out.Body, nil
}

func (s *S3) Put(ctx context.Context, key string, body io.ReaderAt, size int64, opts PutOptions) error {
	if !validKey(key) {
		return fmt.Errorf("invalid key %q", key)
	}
	var meta map[string]string
	if opts.SHA256 != "" {
		meta = map[string]string{metaSHA256: opts.SHA256}
	}
	if size > s.partSize {
		return s.putParts(ctx, key, body, size, opts, meta)
	}
	in := &s3.PutObjectInput{
		Bucket:        aws.String(s.bucket),
		Key:           aws.String(s.prefix + key),
		Body:          io.NewSectionReader(body, 0, size),
		ContentLength: aws.Int64(size),
		ContentType:   nonEmpty(opts.ContentType),
		CacheControl:  nonEmpty(opts.CacheControl),
		Metadata:      meta,
	}
	if sum, err := hex.DecodeString(opts.SHA256); err == nil && len(sum) == 32 {
		// S3 checks the received bytes against it.
		in.ChecksumSHA256 = aws.String(base64.StdEncoding.EncodeToString(sum))
	}
	if opts.IfNoneMatch {
		in.IfNoneMatch = aws.String("*")
	}
	_, err := s.client.PutObject(ctx, in)
	return s.wrap(key, err)
}

// putParts uploads a large object in parts; the object appears only when
// the upload completes.
func (s *S3) putParts(ctx context.Context, key string, body io.ReaderAt, size int64, opts PutOptions, meta map[string]string) error {
	created, err := s.client.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{
		Bucket:       aws.String(s.bucket),
		Key:          aws.String(s.prefix + key),
		ContentType:  nonEmpty(opts.ContentType),
		CacheControl: nonEmpty(opts.CacheControl),
		Metadata:     meta,
	})
	if err != nil {
		return s.wrap(key, err)
	}
	abort := func(err error) error {
		// Parts of an abandoned upload are billed until aborted.
		s.client.AbortMultipartUpload(context.WithoutCancel(ctx), &s3.AbortMultipartUploadInput{
			Bucket: aws.String(s.bucket), Key: aws.String(s.prefix + key), UploadId: created.UploadId,
		})
		return s.wrap(key, err)
	}
	var parts []types.CompletedPart
	for n, off := int32(1), int64(0); off < size; n, off = n+1, off+s.partSize {
		length := min(s.partSize, size-off)
		out, err := s.client.UploadPart(ctx, &s3.UploadPartInput{
			Bucket:        aws.String(s.bucket),
			Key:           aws.String(s.prefix + key),
			UploadId:      created.UploadId,
			PartNumber:    aws.Int32(n),
			Body:          io.NewSectionReader(body, off, length),
			ContentLength: aws.Int64(length),
		})
		if err != nil {
			return abort(err)
		}
		parts = append(parts, types.CompletedPart{ETag: out.ETag, PartNumber: aws.Int32(n)})
	}
	in := &s3.CompleteMultipartUploadInput{
		Bucket:          aws.String(s.bucket),
		Key:             aws.String(s.prefix + key),
		UploadId:        created.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: parts},
	}
	if opts.IfNoneMatch {
		in.IfNoneMatch = aws.String("*")
	}
	if _, err := s.client.CompleteMultipartUpload(ctx, in); err != nil {
		return abort(err)
	}
	return nil
}

func (s *S3) Delete(ctx context.Context, key string) error {
	_, err := s.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(s.prefix + key)})
	if err != nil && !errors.Is(s.wrap(key, err), ErrNotExist) {
		return s.wrap(key, err)
	}
	return nil
}

// wrap names the object in err and maps S3's answers onto ErrNotExist and
// ErrPrecondition.
func (s *S3) wrap(key string, err error) error {
	if err == nil {
		return nil
	}
	var noKey *types.NoSuchKey
	var notFound *types.NotFound
	var resp *awshttp.ResponseError
	switch {
	case errors.As(err, &noKey), errors.As(err, &notFound):
		return fmt.Errorf("s3://%s/%s%s: %w", s.bucket, s.prefix, key, ErrNotExist)
	case errors.As(err, &resp) && resp.HTTPStatusCode() == http.StatusNotFound && !strings.Contains(err.Error(), "NoSuchBucket"):
		return fmt.Errorf("s3://%s/%s%s: %w", s.bucket, s.prefix, key, ErrNotExist)
	case errors.As(err, &resp) && (resp.HTTPStatusCode() == http.StatusPreconditionFailed || resp.HTTPStatusCode() == http.StatusConflict):
		return fmt.Errorf("s3://%s/%s%s: %w", s.bucket, s.prefix, key, ErrPrecondition)
	}
	return fmt.Errorf("s3://%s/%s%s: %w", s.bucket, s.prefix, key, err)
}

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return aws.String(s)
}

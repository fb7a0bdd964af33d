package artifact

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/stockpile/stockpile/config"
)

// fromRoot reads a path of the registry repository (Git objects).
func (r *Resolver) fromRoot(_ context.Context, m *config.Manifest) (io.ReadCloser, int64, error) {
	f, err := r.opts.Root.Open(m.Source)
	if err != nil {
		return nil, 0, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, err
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, 0, errors.New("not a regular file")
	}
	return f, fi.Size(), nil
}

// fetchHTTP GETs an http:// or https:// source.
func (r *Resolver) fetchHTTP(ctx context.Context, m *config.Manifest) (io.ReadCloser, int64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, m.Source, nil)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, 0, err
	}
	// The exact bytes, never a transparently decompressed variant.
	req.Header.Set("Accept-Encoding", "identity")
	req.Header.Set("User-Agent", "stockpile")
	resp, err := r.opts.HTTP.Do(req)
	if err != nil {
		// url.Error repeats the URL, which may carry credentials.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, 0, &retryableError{err: err}
	}
	if resp.StatusCode == http.StatusOK {
		return resp.Body, resp.ContentLength, nil
	}
	// Let the connection be reused.
	io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
	resp.Body.Close()
	err = fmt.Errorf("server answered %s", resp.Status)
	if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500 {
		return nil, 0, &retryableError{err: err, after: retryAfter(resp.Header.Get("Retry-After"))}
	}
	return nil, 0, err
}

// retryAfter parses a Retry-After header given in seconds; dates and
// garbage count as no request.
func retryAfter(v string) time.Duration {
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n <= 0 {
		return 0
	}
	return time.Duration(n) * time.Second
}

// fetchS3 gets an s3://bucket/key source. The SDK retries the request
// itself; a failure while the body streams is retried here.
func (r *Resolver) fetchS3(ctx context.Context, m *config.Manifest) (io.ReadCloser, int64, error) {
	u, err := url.Parse(m.Source)
	if err != nil {
		return nil, 0, err
	}
	bucket, key := u.Host, strings.TrimPrefix(u.Path, "/")
	if bucket == "" || key == "" {
		return nil, 0, errors.New("want s3://bucket/key")
	}
	client, err := r.s3Client(ctx)
	if err != nil {
		return nil, 0, err
	}
	out, err := client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		return nil, 0, err
	}
	length := int64(-1)
	if out.ContentLength != nil {
		length = *out.ContentLength
	}
	return out.Body, length, nil
}

// s3Client creates the S3 client on first use, from the standard
// configuration chain (environment, shared files, instance roles).
func (r *Resolver) s3Client(ctx context.Context) (*s3.Client, error) {
	r.s3Mu.Lock()
	defer r.s3Mu.Unlock()
	if r.s3 != nil {
		return r.s3, nil
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("aws configuration: %w", err)
	}
	if cfg.Region == "" {
		// Signing needs one; S3-compatible stores mostly ignore it.
		cfg.Region = "us-east-1"
	}
	r.s3 = s3.NewFromConfig(cfg, func(o *s3.Options) {
		if r.opts.S3Endpoint != "" {
			o.BaseEndpoint = aws.String(r.opts.S3Endpoint)
		}
		// S3-compatible stores rarely serve bucket subdomains.
		if o.BaseEndpoint != nil {
			o.UsePathStyle = true
		}
	})
	return r.s3, nil
}

package tufclient

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/theupdateframework/go-tuf/v2/metadata"
)

func TestClassifyMetadata(t *testing.T) {
	var syntax *json.SyntaxError
	bad := json.Unmarshal([]byte("{"), &struct{}{})
	if !errors.As(bad, &syntax) {
		t.Fatalf("want a syntax error, got %v", bad)
	}
	for _, tt := range []struct {
		name   string
		err    error
		verify bool
	}{
		{"unsigned", &metadata.ErrUnsignedMetadata{Msg: "x"}, true},
		{"expired", &metadata.ErrExpiredMetadata{Msg: "x"}, true},
		{"rollback", &metadata.ErrBadVersionNumber{Msg: "x"}, true},
		{"too long", &metadata.ErrDownloadLengthMismatch{Msg: "x"}, true},
		{"malformed", fmt.Errorf("timestamp: %w", bad), true},
		{"http status", &metadata.ErrDownloadHTTP{StatusCode: 500, URL: "u"}, false},
		{"network", &net.OpError{Op: "dial", Err: errors.New("refused")}, false},
	} {
		var v *VerifyError
		if got := errors.As(classifyMetadata("t", tt.err), &v); got != tt.verify {
			t.Errorf("classifyMetadata(%s) is a verification failure: %v, want %v", tt.name, got, tt.verify)
		}
	}
	// A target the metadata does not list is not a verification failure.
	var v *VerifyError
	if errors.As(classify("t", &metadata.ErrValue{Msg: "target not found"}), &v) {
		t.Error("a missing target was classified as a verification failure")
	}
}

// statusFetcher answers every download with one HTTP status.
type statusFetcher int

func (s statusFetcher) DownloadFile(url string, maxLength int64, timeout time.Duration) ([]byte, error) {
	return nil, &metadata.ErrDownloadHTTP{StatusCode: int(s), URL: url}
}

func TestRootNotFound(t *testing.T) {
	for _, tt := range []struct {
		status int
		url    string
		want   int
	}{
		{http.StatusForbidden, "https://x/tuf/2.root.json", http.StatusNotFound},
		{http.StatusForbidden, "https://x/tuf/timestamp.json", http.StatusForbidden},
		{http.StatusInternalServerError, "https://x/tuf/2.root.json", http.StatusInternalServerError},
	} {
		_, err := rootNotFound{statusFetcher(tt.status)}.DownloadFile(tt.url, 1, 0)
		var st *metadata.ErrDownloadHTTP
		if !errors.As(err, &st) || st.StatusCode != tt.want {
			t.Errorf("%d for %s = %v, want status %d", tt.status, tt.url, err, tt.want)
		}
	}
}

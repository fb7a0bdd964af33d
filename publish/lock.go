package publish

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/user"
	"strings"
	"time"
)

// ErrLocked is matched (errors.Is) by the error of a publish that found
// another one holding the store's lock.
var ErrLocked = errors.New("store is locked")

// LockInfo is the content of the lock object.
type LockInfo struct {
	Owner string    `json:"owner"`
	Host  string    `json:"host"`
	PID   int       `json:"pid"`
	Since time.Time `json:"since"`
	Token string    `json:"token"`
}

// LockedError says who holds the lock.
type LockedError struct {
	Holder LockInfo
}

func (e *LockedError) Error() string {
	h := e.Holder
	var b strings.Builder
	fmt.Fprintf(&b, "the store is locked by %s", h.Owner)
	if h.Host != "" {
		fmt.Fprintf(&b, " on %s", h.Host)
	}
	if h.PID != 0 {
		fmt.Fprintf(&b, " (pid %d)", h.PID)
	}
	if !h.Since.IsZero() {
		fmt.Fprintf(&b, " since %s", h.Since.UTC().Format(time.RFC3339))
	}
	b.WriteString(": another publish is running, or one was killed; if none is running, rerun with --break-lock")
	return b.String()
}

func (e *LockedError) Is(target error) bool { return target == ErrLocked }

// lock takes the store's lock object for one publisher and returns the
// function that gives it back. A conditional write (If-None-Match: *) makes
// taking it atomic; reading it back catches stores that ignore the
// condition.
func lock(ctx context.Context, s Store, now time.Time, breakLock bool, log *slog.Logger) (unlock func(), err error) {
	holder, err := readLock(ctx, s)
	switch {
	case errors.Is(err, ErrNotExist):
	case err != nil:
		return nil, err
	case !breakLock:
		return nil, &LockedError{Holder: holder}
	default:
		log.Warn("breaking the lock", "owner", holder.Owner, "host", holder.Host, "pid", holder.PID, "since", holder.Since.UTC().Format(time.RFC3339))
		if err := s.Delete(ctx, lockKey); err != nil {
			return nil, fmt.Errorf("break lock: %w", err)
		}
	}

	mine := LockInfo{Owner: owner(), PID: os.Getpid(), Since: now.UTC(), Token: token()}
	mine.Host, _ = os.Hostname()
	data, err := json.Marshal(mine)
	if err != nil {
		return nil, err
	}
	err = s.Put(ctx, lockKey, bytes.NewReader(data), int64(len(data)), PutOptions{
		ContentType: "application/json", CacheControl: "private, no-store", SHA256: sha256Hex(data), IfNoneMatch: true,
	})
	if errors.Is(err, ErrPrecondition) {
		if holder, rerr := readLock(ctx, s); rerr == nil {
			return nil, &LockedError{Holder: holder}
		}
		return nil, fmt.Errorf("%w: another publish took the lock at the same moment", ErrLocked)
	}
	if err != nil {
		return nil, fmt.Errorf("take lock: %w", err)
	}
	if holder, err := readLock(ctx, s); err != nil {
		return nil, fmt.Errorf("take lock: read back: %w", err)
	} else if holder.Token != mine.Token {
		return nil, &LockedError{Holder: holder}
	}
	return func() {
		// Give the lock back even when the publish was interrupted.
		ctx := context.WithoutCancel(ctx)
		if holder, err := readLock(ctx, s); err == nil && holder.Token == mine.Token {
			if err := s.Delete(ctx, lockKey); err != nil {
				log.Warn("could not release the lock; the next publish needs --break-lock", "err", err)
			}
		}
	}, nil
}

func readLock(ctx context.Context, s Store) (LockInfo, error) {
	var info LockInfo
	rc, err := s.Get(ctx, lockKey)
	if err != nil {
		return info, err
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, 1<<16))
	if err != nil {
		return info, fmt.Errorf("read %s: %w", lockKey, err)
	}
	if err := json.Unmarshal(data, &info); err != nil {
		return LockInfo{Owner: "an unreadable " + lockKey}, nil
	}
	if info.Owner == "" {
		info.Owner = "an unknown owner"
	}
	return info, nil
}

func owner() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	if u := os.Getenv("USER"); u != "" {
		return u
	}
	return "unknown"
}

func token() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

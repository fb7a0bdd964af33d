package publish

import (
	"context"
	"io"
	"sync"
)

// Write is a change a dry run recorded instead of making.
type Write struct {
	Op   string `json:"op"` // "put" or "delete"
	Key  string `json:"key"`
	Size int64  `json:"size,omitempty"`
}

// DryRun passes reads through to a store and records writes without making
// them.
type DryRun struct {
	Store
	mu     sync.Mutex
	writes []Write
}

var _ Store = (*DryRun)(nil)

// NewDryRun wraps s.
func NewDryRun(s Store) *DryRun { return &DryRun{Store: s} }

// Put records the write.
func (d *DryRun) Put(ctx context.Context, key string, body io.ReaderAt, size int64, opts PutOptions) error {
	d.record(Write{Op: "put", Key: key, Size: size})
	return ctx.Err()
}

// Delete records the deletion.
func (d *DryRun) Delete(ctx context.Context, key string) error {
	d.record(Write{Op: "delete", Key: key})
	return ctx.Err()
}

func (d *DryRun) record(w Write) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.writes = append(d.writes, w)
}

// Writes returns the recorded writes in the order they were asked for.
func (d *DryRun) Writes() []Write {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]Write(nil), d.writes...)
}

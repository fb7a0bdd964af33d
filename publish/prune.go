package publish

import (
	"sort"
	"time"
)

// retire records the tree as the published state: files in the tree are
// live; every other object in the store is retired, since the moment it was
// first seen outside the tree. It returns the retired keys whose grace
// period is over, sorted, and those still in it.
func (st *state) retire(files []*file, listed map[string]Object, now time.Time, grace time.Duration) (due, kept []string) {
	next := make(map[string]*stateFile, len(listed))
	for _, f := range files {
		next[f.key] = &stateFile{SHA256: f.sha256, Size: f.size}
	}
	for key, obj := range listed {
		if next[key] != nil {
			continue
		}
		old := st.Files[key]
		// An object the state did not know (an interrupted publish's) may
		// be what a live index points at: its grace period starts now.
		retired := now.UTC()
		if old != nil && old.Retired != nil {
			retired = *old.Retired
		}
		next[key] = &stateFile{SHA256: st.known(key, obj.Size), Size: obj.Size, Retired: &retired}
		if now.Sub(retired) >= grace {
			due = append(due, key)
		} else {
			kept = append(kept, key)
		}
	}
	st.Files = next
	sort.Strings(due)
	sort.Strings(kept)
	return due, kept
}

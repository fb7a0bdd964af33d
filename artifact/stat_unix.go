//go:build linux || darwin

package artifact

import (
	"io/fs"
	"syscall"
)

// sysStat returns the inode, device and change time of fi, which the
// portable FileInfo lacks.
func sysStat(fi fs.FileInfo) (ino, dev uint64, ctime int64) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, 0, 0
	}
	return uint64(st.Ino), uint64(st.Dev), ctimeOf(st)
}

//go:build !linux && !darwin

package artifact

import "io/fs"

// sysStat is unavailable here: size and modification time alone decide.
func sysStat(fs.FileInfo) (ino, dev uint64, ctime int64) { return 0, 0, 0 }

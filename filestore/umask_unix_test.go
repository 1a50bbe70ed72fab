//go:build !windows

package filestore

import "syscall"

func setUmask(m int) int { return syscall.Umask(m) }

//go:build windows

package filestore

func setUmask(m int) int { return m }

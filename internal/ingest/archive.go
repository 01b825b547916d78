package ingest

import (
	"archive/zip"
	"bufio"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"strings"
)

// gzip reads a gzip stream (several members are read as one) and sniffs its
// content.
func (rd *reader) gzip(br *bufio.Reader, name string, depth int) error {
	zr, err := gzip.NewReader(br)
	if err != nil {
		return &readError{name, err}
	}
	defer zr.Close()
	return rd.stream(zr, name, depth+1)
}

// zip reads every member of a zip archive in archive order, sniffing each.
// Folders and macOS resource forks ("__MACOSX/") are skipped. r is the
// stream as given: an *os.File is read in place, anything else is first read
// into memory, since the zip directory sits at the end, up to
// Options.maxZipBytes.
func (rd *reader) zip(r io.Reader, br *bufio.Reader, name string, depth int) error {
	var (
		ra   io.ReaderAt
		size int64
	)
	if f, ok := r.(*os.File); ok && depth == 0 {
		info, err := f.Stat()
		if err != nil {
			return &readError{name, err}
		}
		ra, size = f, info.Size()
	} else {
		// A few KiB of gzip can expand to gigabytes: bound what is held.
		limit := rd.opts.maxZipBytes
		data, err := io.ReadAll(io.LimitReader(br, limit+1))
		if err != nil {
			return &readError{name, err}
		}
		if int64(len(data)) > limit {
			return &readError{name, fmt.Errorf("zip archive inside a compressed stream or "+
				"another archive exceeds %d bytes; extract it and read the files", limit)}
		}
		ra, size = bytes.NewReader(data), int64(len(data))
	}
	zr, err := zip.NewReader(ra, size)
	if err != nil {
		return &readError{name, err}
	}
	for _, f := range zr.File {
		if f.FileInfo().IsDir() || strings.HasPrefix(f.Name, "__MACOSX/") {
			continue
		}
		if err := rd.member(f, name+"!"+f.Name, depth); err != nil {
			return err
		}
	}
	return nil
}

func (rd *reader) member(f *zip.File, name string, depth int) error {
	rc, err := f.Open()
	if err != nil {
		return &readError{name, err}
	}
	defer rc.Close()
	return rd.stream(rc, name, depth+1)
}

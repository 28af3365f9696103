package checkpoint

import (
	"bytes"
	"io"
	"path"
	"sort"
	"strings"

	"github.com/lowformer/lowformer-webgpu/internal/zipread"
)

// maxBundleEntry bounds the inflated size of a deflated checkpoint inside a
// zip archive of checkpoints (the largest official file, LowFormer-B3, is
// well under it); its compression ratio is bounded by maxInflateRatio.
const maxBundleEntry = 2 << 30

// IsCheckpointName reports whether a file name looks like a checkpoint
// (.pt, .pth or .safetensors) when looking for one in a folder or archive.
func IsCheckpointName(name string) bool {
	n := strings.ToLower(path.Base(name))
	return strings.HasSuffix(n, ".pt") || strings.HasSuffix(n, ".pth") || strings.HasSuffix(n, ".safetensors")
}

// BundleVariant is the variant a checkpoint's path inside a download names,
// normalized ("b15" for B1.5): the official layout is
// .exp/cls/imagenet/<variant>/checkpoint/evalmodel.pt, so it is the folder
// above "checkpoint", else the file's folder, else the file's name.
func BundleVariant(name string) string {
	parts := strings.Split(strings.Trim(path.Clean(strings.ReplaceAll(name, "\\", "/")), "/"), "/")
	v := strings.TrimSuffix(parts[len(parts)-1], path.Ext(parts[len(parts)-1]))
	switch {
	case len(parts) >= 3 && strings.EqualFold(parts[len(parts)-2], "checkpoint"):
		v = parts[len(parts)-3]
	case len(parts) >= 2:
		v = parts[len(parts)-2]
	}
	return normVariant(v)
}

// normVariant lower-cases a variant name and drops separators and a
// "lowformer" prefix: "LowFormer-B1.5" → "b15".
func normVariant(v string) string {
	v = strings.ToLower(v)
	v = strings.TrimPrefix(v, "lowformer")
	return strings.Map(func(r rune) rune {
		if r == '.' || r == '-' || r == '_' || r == ' ' {
			return -1
		}
		return r
	}, v)
}

// PickCheckpoint chooses among the checkpoint paths found in a folder or
// archive (where names it in errors): the one of variant when variant is
// set, else the only one. It fails with ErrNotCheckpoint when there is none
// and lists the variants when there are several and no variant is named.
func PickCheckpoint(names []string, variant, where string) (string, error) {
	var found []string
	for _, n := range names {
		if IsCheckpointName(n) && !strings.Contains(n, "__MACOSX") {
			found = append(found, n)
		}
	}
	sort.Strings(found)
	if len(found) == 0 {
		return "", errorf(ErrNotCheckpoint, "%s holds no checkpoint (no .pt, .pth or .safetensors file; the official download has .exp/cls/imagenet/<variant>/checkpoint/evalmodel.pt)", where)
	}
	list := func(ns []string) string {
		var b strings.Builder
		for i, n := range ns {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(BundleVariant(n) + " (" + n + ")")
		}
		return b.String()
	}
	if variant != "" {
		var match []string
		for _, n := range found {
			if BundleVariant(n) == normVariant(variant) {
				match = append(match, n)
			}
		}
		switch len(match) {
		case 1:
			return match[0], nil
		case 0:
			return "", errorf(ErrNotCheckpoint, "%s holds no checkpoint of variant %s; it holds %s", where, variant, list(found))
		}
		return "", errorf(ErrNotCheckpoint, "%s holds several checkpoints of variant %s: %s", where, variant, list(match))
	}
	if len(found) == 1 {
		return found[0], nil
	}
	return "", errorf(ErrNotCheckpoint, "%s holds %d checkpoints; name the variant to load: %s", where, len(found), list(found))
}

// Unbundle returns the checkpoint inside a zip archive of checkpoints (such
// as a zip of the official download folder), chosen by PickCheckpoint with
// variant, and the entry's name. Anything else, a PyTorch checkpoint (itself
// a zip, with a <root>/data.pkl entry) included, comes back unchanged with
// an empty name. A stored entry is read in place; a deflated one is
// inflated within the reader's ratio bound and maxBundleEntry.
func Unbundle(r io.ReaderAt, size int64, variant string) (io.ReaderAt, int64, string, error) {
	head := make([]byte, 4)
	if size < 4 {
		return r, size, "", nil
	}
	if n, _ := r.ReadAt(head, 0); n < 4 || (string(head) != "PK\x03\x04" && string(head) != "PK\x05\x06") { // an entry, or an empty archive
		return r, size, "", nil
	}
	zr, err := zipread.NewReader(r, size)
	if err != nil {
		return r, size, "", nil // Read reports the broken zip
	}
	names := make([]string, 0, len(zr.File))
	byName := map[string]*zipread.File{}
	for _, f := range zr.File {
		if dir, rest, ok := strings.Cut(f.Name, "/"); ok && dir != "" && rest == "data.pkl" {
			return r, size, "", nil // a PyTorch checkpoint
		}
		if !strings.HasSuffix(f.Name, "/") {
			names = append(names, f.Name)
			byName[f.Name] = f
		}
	}
	name, err := PickCheckpoint(names, variant, "the zip archive")
	if err != nil {
		return nil, 0, "", err
	}
	f := byName[name]
	z := &zipArchive{r: r, size: size}
	switch f.Method {
	case zipread.Store:
		if err := z.checkEntry(f); err != nil {
			return nil, 0, "", err
		}
		off, err := f.DataOffset()
		if err != nil || off < 0 || off > size || int64(f.CompressedSize64) > size-off {
			return nil, 0, "", errorf(ErrTruncated, "the zip archive is truncated or corrupt: %s lies outside it", name)
		}
		return io.NewSectionReader(r, off, int64(f.CompressedSize64)), int64(f.CompressedSize64), name, nil
	case zipread.Deflate:
		if f.UncompressedSize64/maxInflateRatio > f.CompressedSize64 {
			return nil, 0, "", errorf(ErrUnsupported, "zip entry %s claims to inflate %d bytes to %d (ratio above %d: a zip bomb?)", name, f.CompressedSize64, f.UncompressedSize64, maxInflateRatio)
		}
		if f.UncompressedSize64 > maxBundleEntry {
			return nil, 0, "", errorf(ErrUnsupported, "zip entry %s would inflate to %d bytes (more than %d)", name, f.UncompressedSize64, maxBundleEntry)
		}
		rc, err := f.Open()
		if err != nil {
			return nil, 0, "", errorf(ErrCorrupt, "opening %s: %v", name, err)
		}
		defer rc.Close()
		b, err := readExactly(rc, f)
		if err != nil {
			return nil, 0, "", err
		}
		return bytes.NewReader(b), int64(len(b)), name, nil
	}
	return nil, 0, "", errorf(ErrUnsupported, "zip entry %s uses compression method %d (only stored and deflate are supported)", name, f.Method)
}

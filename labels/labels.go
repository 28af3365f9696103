// Package labels holds the ImageNet-1k class names in the index order of the
// LowFormer classifier's 1000 logits.
//
// The index order is torchvision ImageFolder's: the sorted WordNet IDs
// (n01440764 = 0 … n15075141 = 999). imagenet.txt, embedded here, has one
// "WNID<TAB>names" line per class. The names come from Debian's opencv-doc
// 4.6.0 (examples/data/dnn/classification_classes_ILSVRC2012.txt); the WNIDs
// were recovered from Debian's wordnet-base (WordNet 3.0 data.noun) by
// gen_imagenet.py, which documents how.
package labels

import (
	_ "embed"
	"fmt"
	"strings"
)

// NumClasses is the number of ImageNet-1k classes.
const NumClasses = 1000

//go:embed imagenet.txt
var imagenetTxt string

// ImageNet holds the class names by index, each the full WordNet synonym
// list as usually printed, e.g. ImageNet[281] == "tabby, tabby cat".
var ImageNet [NumClasses]string

// WNID holds the WordNet IDs by index, e.g. WNID[0] == "n01440764".
var WNID [NumClasses]string

func init() {
	lines := strings.Split(strings.TrimSuffix(imagenetTxt, "\n"), "\n")
	if len(lines) != NumClasses {
		panic(fmt.Sprintf("labels: imagenet.txt has %d lines, want %d", len(lines), NumClasses))
	}
	for i, l := range lines {
		id, names, ok := strings.Cut(l, "\t")
		if !ok || id == "" || names == "" {
			panic(fmt.Sprintf("labels: imagenet.txt line %d is malformed: %q", i+1, l))
		}
		WNID[i], ImageNet[i] = id, names
	}
}

// Name returns the class name of index i (the full synonym list, as
// ImageNet[i]), or "class <i>" when i is out of range.
func Name(i int) string {
	if i < 0 || i >= NumClasses {
		return fmt.Sprintf("class %d", i)
	}
	return ImageNet[i]
}

// Short returns the first synonym of class i ("tabby" for 281), or
// "class <i>" when i is out of range.
func Short(i int) string {
	name, _, _ := strings.Cut(Name(i), ", ")
	return name
}

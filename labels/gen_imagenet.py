#!/usr/bin/python3
"""Builds imagenet.txt: the ImageNet-1k (ILSVRC2012) classes in index order,
one per line as "WNID<TAB>names".

    gen_imagenet.py CLASSES_TXT WORDNET_DATA_NOUN > imagenet.txt

CLASSES_TXT is classification_classes_ILSVRC2012.txt from Debian's
opencv-doc 4.6.0 (usr/share/doc/opencv-doc/examples/data/dnn/), which lists
the 1000 class names in the standard index order (the order of the sorted
WNIDs, which is what torchvision's ImageFolder yields).

WORDNET_DATA_NOUN is usr/share/wordnet/data.noun from Debian's wordnet-base
(WordNet 3.0). An ImageNet WNID is "n" followed by the synset's 8-digit
offset in WordNet 3.0's data.noun, and each class name line is exactly that
synset's lemmas joined with ", ". The WNIDs are recovered by matching the
lemma lists; where several synsets share a lemma list, the fact that the
class index order is the sorted WNID order resolves most cases, and the rest
(same-lemma senses with adjacent offsets) are chosen below by their WordNet
gloss: the sense that is the photographed object class.
"""
import collections
import sys

# Index -> WNID for lemma lists that WordNet gives more than one sense and
# the sort order does not settle. Comments give the chosen gloss.
BY_GLOSS = {
    102: "n01872401",  # echidna: the Tachyglossus sense (listed first)
    398: "n02666196",  # abacus: calculator with sliding counters
    411: "n02730930",  # apron: garment tied about the waist
    417: "n02782093",  # balloon: large bag filled with gas or heated air
    431: "n02804414",  # bassinet: basket used as a baby's bed
    438: "n02815834",  # beaker: flat-bottomed jar used for chemistry
    443: "n02834397",  # bib: top part of an apron
    456: "n02879718",  # bow: weapon for shooting arrows
    471: "n02950826",  # cannon: heavy gun fired from a tank
    488: "n02999410",  # chain: series of rings fitted into one another
    501: "n03045698",  # cloak: anything that covers or conceals
    544: "n03259280",  # Dutch oven: metal box for cooking before a fire
    549: "n03291819",  # envelope: container for a letter
    586: "n03478589",  # half track: vehicle propelled by half tracks
    587: "n03481172",  # hammer: hand tool with a heavy rigid head
    594: "n03495258",  # harp: the chordophone
    597: "n03527444",  # holster: sheath for a handgun
    624: "n03661043",  # library: building housing books
    643: "n03724870",  # mask: covering to disguise the face
    664: "n03782006",  # monitor: equipment to check transmissions
    698: "n03877845",  # palace: residence of a sovereign
    718: "n03933933",  # pier: support for two bridge spans
    727: "n03956157",  # planetarium: the building
    733: "n03976657",  # pole: long rod
    745: "n04009552",  # projector: projects an image onto a screen
    753: "n04040759",  # radiator: the heat exchanger
    758: "n04067472",  # reel: fishing-rod winder
    766: "n04111531",  # rotisserie: oven with a rotating spit
    771: "n04125021",  # safe: strongbox
    780: "n04147183",  # schooner: sailing vessel
    783: "n04153751",  # screw: the fastener
    792: "n04208210",  # shovel: hand tool for lifting loose material
    813: "n04270147",  # spatula: turner with a narrow flexible blade
    815: "n04275548",  # spider web: web resembling a spider's
    816: "n04277352",  # spindle: stick used to twist yarn
    830: "n04336792",  # stretcher: litter for the wounded
    866: "n04465501",  # tractor: farm vehicle
    902: "n04579432",  # whistle: the acoustic device
    910: "n04597913",  # wooden spoon: spoon made of wood
    982: "n10148035",  # groom: man in his own marriage ceremony
    987: "n12144580",  # corn: dried grains used as feed or meal
}


def main(classes_path, noun_path):
    names = [l.rstrip("\n") for l in open(classes_path, encoding="utf-8")]
    assert len(names) == 1000, len(names)
    senses = collections.defaultdict(list)
    for line in open(noun_path, encoding="latin-1"):
        if line.startswith("  "):  # license header
            continue
        f = line.split()
        count = int(f[3], 16)
        lemmas = [f[4 + 2 * i].replace("_", " ") for i in range(count)]
        senses[", ".join(lemmas)].append("n" + f[0])
    cands = [list(senses[n]) for n in names]
    for i, c in enumerate(cands):
        assert c, "no WordNet synset for %r" % names[i]
    # Sorted-order constraint until nothing changes.
    changed = True
    while changed:
        changed = False
        for i, c in enumerate(cands):
            if len(c) == 1:
                continue
            lo = max([min(x) for x in cands[:i]], default="n")
            hi = min([max(x) for x in cands[i + 1:]], default="o")
            kept = [x for x in c if lo < x < hi]
            if kept != c:
                cands[i], changed = kept, True
    for i, c in enumerate(cands):
        if len(c) > 1:
            assert BY_GLOSS.get(i) in c, (i, names[i], c)
            cands[i] = [BY_GLOSS[i]]
    wnids = [c[0] for c in cands]
    assert wnids == sorted(wnids) and len(set(wnids)) == 1000
    for w, n in zip(wnids, names):
        print("%s\t%s" % (w, n))


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])

#!/usr/bin/env python3
"""Rewrites the last block of common-words.txt: the frequent words of the ledger languages that
are one letter from a word of a catalog name, keyword or billing entity.

The matcher reads a line word that is not an English word as a typo of the one catalog word of
4 letters or more that is one edit away with the same first letter. With a catalog of European
brands, ordinary French, German, Spanish ... words fall one letter from a brand ("Libro" of
Libeo, "Planen" of Planon, "billet" of Billit); listed here, they are ordinary words, not typos.
A swap of neighbours ("Okat" for Okta) is left out: that one is a real typo, unless the word is
a frequent one (Zipf frequency above 4 in one of the languages: Spanish "este" is not ESET, "pelo"
is not Pleo, Finnish "Posti" is not Posit).

    pip install wordfreq==3.1.1
    python3 src/matching/data/ledger-words.py     # from the repository root; then cargo build
"""
import glob
import json
import re
import unicodedata

from wordfreq import top_n_list, zipf_frequency

LANGUAGES = ["en", "fr", "de", "es", "it", "nl", "sv", "da", "nb", "fi", "pt"]
TOP = 30000
# A swap of neighbours that is a word this frequent (Zipf scale) is that word, not a typo.
SWAP_FREQUENT = 4.0
PATH = "src/matching/data/common-words.txt"
MARK = "# Ordinary words of the ledger languages"
HEADER = """# Ordinary words of the ledger languages (English names, French, German, Spanish, Italian, Dutch,
# Swedish, Danish, Norwegian, Finnish, Portuguese; the 30,000 most frequent of each, wordfreq 3.1)
# that are one letter from a word of a catalog name, keyword or billing entity: not typos of it
# ("billet" is a French ticket, not Billit; "planen" German for planning, not Planon; "mario" a
# name, not Maxio). Made by src/matching/data/ledger-words.py; run it again when many brands are
# added. A swap of neighbours stays a typo ("okat" is read as Okta) unless the word is a frequent
# one (Spanish "este" is not ESET, "pelo" is not Pleo, Finnish "Posti" is not Posit).
"""
# The letters the matcher's normalizer folds without a combining mark (src/matching/normalize.rs).
SPECIAL = {"ø": "o", "æ": "ae", "œ": "oe", "ß": "ss", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "ı": "i"}


def fold(s):
    s = "".join(SPECIAL.get(c, c) for c in s.lower())
    s = unicodedata.normalize("NFKD", s)
    return "".join(c for c in s if not unicodedata.combining(c))


def tokens(s):
    return re.findall(r"[a-z0-9]+", fold(s))


def one_edit_not_swap(w, t):
    if w == t or abs(len(w) - len(t)) > 1:
        return False
    if len(w) == len(t):
        return sum(a != b for a, b in zip(w, t)) == 1
    a, b = (w, t) if len(w) < len(t) else (t, w)
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    return a[i:] == b[i + 1:]


def is_swap(w, t):
    d = [i for i in range(len(w)) if len(w) == len(t) and w[i] != t[i]]
    return len(d) == 2 and d[1] == d[0] + 1 and w[d[0]] == t[d[1]] and w[d[1]] == t[d[0]]


def main():
    text = open(PATH, encoding="utf-8").read()
    head = text.split(MARK)[0].rstrip("\n") + "\n"
    known = {l.strip() for l in head.split("\n") if l.strip() and not l.startswith("#")}
    catalog = set()
    for path in glob.glob("src/catalog/data/*.json"):
        doc = json.load(open(path, encoding="utf-8"))
        for kind in ("apps", "vendorGroups", "resellers"):
            for entry in doc.get(kind, []):
                for s in [entry["name"]] + entry.get("keywords", []) + entry.get("vendors", []):
                    catalog.update(tokens(s))
    targets = {}
    for t in catalog:
        if len(t) >= 4 and t.isalpha():
            targets.setdefault((t[0], len(t)), []).append(t)
    words = set()
    for lang in LANGUAGES:
        for w in top_n_list(lang, TOP):
            w = fold(w)
            if len(w) < 4 or not re.fullmatch(r"[a-z]+", w) or w in known or w in catalog:
                continue
            near = [t for n in (len(w) - 1, len(w), len(w) + 1) for t in targets.get((w[0], n), [])]
            if any(is_swap(w, t) for t in near):
                if max(zipf_frequency(w, lang) for lang in LANGUAGES) > SWAP_FREQUENT:
                    words.add(w)
            elif any(one_edit_not_swap(w, t) for t in near):
                words.add(w)
    open(PATH, "w", encoding="utf-8").write(head + HEADER + "\n".join(sorted(words)) + "\n")
    print(f"{len(words)} words")


if __name__ == "__main__":
    main()

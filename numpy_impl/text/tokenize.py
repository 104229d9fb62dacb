"""Tokenisation by gensim's ``simple_preprocess`` convention, written out so the pipeline does not
depend on gensim: lowercase, maximal runs of letters (Unicode word characters that are not digits,
so ``_`` counts as a letter), keep tokens of 2 to 15 characters that do not start with ``_``."""

import re
import unicodedata

_ALPHABETIC = re.compile(r"((?![\d])\w)+", re.UNICODE)  # gensim.utils.PAT_ALPHABETIC


def simple_preprocess(text, *, deaccent=False, min_len=2, max_len=15):
    """The tokens of one line of text, as gensim.utils.simple_preprocess(text) returns them."""
    if isinstance(text, bytes):
        text = text.decode("utf8", errors="ignore")  # gensim's tokenize() drops undecodable bytes
    text = text.lower()
    if deaccent:
        text = strip_accents(text)
    return [
        token
        for token in (m.group() for m in _ALPHABETIC.finditer(text))
        if min_len <= len(token) <= max_len and not token.startswith("_")
    ]


def strip_accents(text):
    """'Šéf' -> 'Sef': drop combining marks after canonical decomposition (gensim's deaccent)."""
    decomposed = unicodedata.normalize("NFD", text)
    kept = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return unicodedata.normalize("NFC", kept)

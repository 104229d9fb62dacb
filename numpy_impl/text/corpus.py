"""Corpora as re-iterable streams of tokenised sentences, one line of text = one sentence.

Files are read line by line (plain, .gz or .bz2), so a corpus never has to fit in memory as text,
and a line is never truncated (gensim's fast path silently cuts sentences at 10,000 tokens).
"""

import bz2
import gzip
import zlib
from pathlib import Path

from ..checks import InputError, MissingFileError
from .hub import hub_file
from .tokenize import simple_preprocess

BUNDLED = {"lee_background": "lee_background.cor", "head500": "head500.noblanks.cor"}


class Corpus:
    """Sentences (lists of tokens) from text files, read afresh on every iteration."""

    def __init__(self, paths, *, name=None, tokenizer=simple_preprocess):
        self.paths = [Path(p) for p in paths]
        self.name = name or ", ".join(p.name for p in self.paths)
        self.tokenizer = tokenizer

    @classmethod
    def from_path(cls, path, **kwargs):
        """One text file, or every file directly inside a directory (in name order)."""
        path = Path(path).expanduser()
        if path.is_dir():
            files = sorted(p for p in path.iterdir() if p.is_file() and not p.name.startswith("."))
            if not files:
                raise InputError(f"corpus directory {path} holds no files")
            return cls(files, name=kwargs.pop("name", path.name), **kwargs)
        if not path.is_file():
            raise MissingFileError(f"no corpus file or directory at {path}")
        return cls([path], **kwargs)

    def __iter__(self):
        for path in self.paths:
            number = 0
            try:
                with _open_text(path) as lines:
                    for number, line in enumerate(lines, start=1):  # noqa: B007 (read in the except)
                        yield self.tokenizer(line)
            except FileNotFoundError as err:
                raise MissingFileError(f"corpus file {path} is gone: {err.strerror}") from err
            except (OSError, EOFError, zlib.error) as err:  # a torn or corrupt .gz / .bz2, a directory
                raise InputError(f"{path}:{number + 1}: the corpus file cannot be read: {err}") from err

    def __repr__(self):
        return f"Corpus({self.name!r}, {len(self.paths)} file(s))"


class TokenizedCorpus:
    """Sentences already tokenised, held in memory (tiny corpora, tests)."""

    def __init__(self, sentences, *, name="sentences"):
        sentences = list(sentences)
        for i, sentence in enumerate(sentences):  # a str would pass as a list of one-letter tokens
            if isinstance(sentence, (str, bytes)) or not all(isinstance(t, str) for t in sentence):
                raise InputError(f"sentence {i} is not a list of string tokens: {sentence!r:.60}")
        self.sentences = [list(s) for s in sentences]
        self.name = name

    def __iter__(self):
        return iter(self.sentences)

    def __repr__(self):
        return f"TokenizedCorpus({self.name!r}, {len(self.sentences)} sentences)"


def bundled_corpus(name):
    """gensim's bundled ``lee_background`` (58 k tokens) or ``head500`` (335 k tokens, stemmed)."""
    if name not in BUNDLED:
        raise InputError(f"bundled corpus must be one of {sorted(BUNDLED)}; got {name!r}")
    from gensim.test.utils import datapath

    return Corpus([datapath(BUNDLED[name])], name=name)


def hub_corpus(repo_id, filename, **kwargs):
    """A corpus file from the Hugging Face hub (cached by ``hf_hub_download``); see ``hub_file``."""
    return Corpus([hub_file(repo_id, filename, **kwargs)], name=f"{repo_id}/{filename}")


def load_corpus(source):
    """A corpus from a bundled name, a file or directory path, a corpus, or tokenised sentences."""
    if isinstance(source, (Corpus, TokenizedCorpus)):
        return source
    if isinstance(source, str) and source in BUNDLED:
        return bundled_corpus(source)
    if isinstance(source, (str, Path)):
        return Corpus.from_path(source)
    if isinstance(source, (list, tuple)):
        return TokenizedCorpus(source)
    raise InputError(
        f"a corpus is one of {sorted(BUNDLED)}, a path, or a list of token lists; got {type(source).__name__}"
    )


def _open_text(path):
    # errors="ignore" drops undecodable bytes as gensim's tokenize() does; newline="\n" splits lines
    # where gensim's LineSentence does (a lone "\r" does not end a sentence)
    text = dict(encoding="utf8", errors="ignore", newline="\n")
    if path.suffix == ".gz":
        return gzip.open(path, "rt", **text)
    if path.suffix == ".bz2":
        return bz2.open(path, "rt", **text)
    return open(path, **text)

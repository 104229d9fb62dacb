"""The word2vec text pipeline, shared by both engines: corpora streamed line by line, gensim's
tokenisation, a frequency-sorted vocabulary, subsampling, dynamic windows, negative sampling and
batches of word ids."""

from .batches import Epoch, SkipGramData
from .corpus import BUNDLED, Corpus, TokenizedCorpus, bundled_corpus, hub_corpus, load_corpus
from .hub import hub_file
from .sampling import NegativeSampler, keep_probabilities, subsample
from .tokenize import simple_preprocess
from .vocab import EncodedCorpus, Vocabulary, build_vocabulary, encode_corpus
from .windows import window_pairs

__all__ = [
    "BUNDLED",
    "Corpus",
    "EncodedCorpus",
    "Epoch",
    "NegativeSampler",
    "SkipGramData",
    "TokenizedCorpus",
    "Vocabulary",
    "build_vocabulary",
    "bundled_corpus",
    "encode_corpus",
    "hub_corpus",
    "hub_file",
    "keep_probabilities",
    "load_corpus",
    "simple_preprocess",
    "subsample",
    "window_pairs",
]

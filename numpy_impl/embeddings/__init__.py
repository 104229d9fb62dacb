"""Tools for word vectors from either engine or from files: similarity, neighbours, analogies,
the odd one out, evaluation on gensim's bundled sets, and word2vec / GloVe text files."""

from .evaluate import (
    BUNDLED_SETS,
    evaluate,
    evaluate_analogies,
    evaluate_word_pairs,
    read_analogies,
    read_word_pairs,
)
from .formats import load_glove_text, load_word2vec_text, save_glove_text, save_word2vec_text
from .pretrained import GLOVE_FILE, GLOVE_REPO, load_pretrained_glove
from .vectors import WordVectors

__all__ = [
    "BUNDLED_SETS",
    "GLOVE_FILE",
    "GLOVE_REPO",
    "WordVectors",
    "evaluate",
    "evaluate_analogies",
    "evaluate_word_pairs",
    "load_glove_text",
    "load_pretrained_glove",
    "load_word2vec_text",
    "read_analogies",
    "read_word_pairs",
    "save_glove_text",
    "save_word2vec_text",
]

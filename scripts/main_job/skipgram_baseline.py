"""The skip-gram section's yardstick: gensim's Word2Vec with the settings the twins train with,
and the measures all three engines are compared by (evaluation scores, nearest neighbours, words
per second)."""

import time

import numpy as np

from numpy_impl.embeddings import WordVectors, evaluate
from numpy_impl.train import History

SETTINGS = {"min_count": 5, "window": 5, "negatives": 5, "sample": 1e-3}  # word2vec's (and gensim's) defaults
QUERY_WORDS = ("police", "government", "fire", "australia", "president", "children", "israeli", "war")
STEMMED_CORPORA = ("head500",)  # Porter-stemmed text: evaluate with stemmed copies of the sets


def train_gensim(sentences, dim, epochs, seed):
    """gensim's Word2Vec with the same settings, one worker (its deterministic mode). Returns
    (WordVectors, history) with gensim's effective words (after subsampling) and train() time."""
    from gensim.models import Word2Vec

    model = Word2Vec(
        vector_size=dim,
        window=SETTINGS["window"],
        negative=SETTINGS["negatives"],
        min_count=SETTINGS["min_count"],
        sample=SETTINGS["sample"],
        sg=1,
        workers=1,
        seed=seed,
    )
    model.build_vocab(sentences.sentences)
    start = time.perf_counter()
    effective, _ = model.train(sentences.sentences, total_examples=model.corpus_count, epochs=epochs)
    seconds = time.perf_counter() - start
    history = History(epochs=[{"epoch": e + 1, "words": effective / epochs} for e in range(epochs)])
    history.seconds = [seconds / epochs] * epochs
    return WordVectors(model.wv.index_to_key, model.wv.vectors), history


def words_per_second(history):
    """Words kept after subsampling per second of training, over all epochs (gensim's measure)."""
    return sum(history.metric("words")) / sum(history.seconds)


def score(vectors, *, stem=False):
    """The headline figures of the three bundled evaluation sets (Spearman correlations depend on
    ranks only, so equal scores mean equal rankings)."""
    evaluation = evaluate(vectors, stem=stem)
    analogies = evaluation["analogies"]
    return {
        "wordsim353": evaluation["wordsim353"]["spearman"],
        "simlex999": evaluation["simlex999"]["spearman"],
        "analogy_accuracy": analogies["accuracy"],
        "analogy_coverage": analogies["coverage"],
        "wordsim353_oov": evaluation["wordsim353"]["oov_ratio"],
    }


def same_scores(a, b):
    """Equal score dicts, a NaN (no usable pair in a tiny vocabulary) equal to a NaN."""
    return a.keys() == b.keys() and all(a[k] == b[k] or (np.isnan(a[k]) and np.isnan(b[k])) for k in a)


def nearest_neighbours(engines, vocabulary):
    """{engine: {query: its 5 nearest words}} for up to five query words in the vocabulary."""
    first = min(20, max(len(vocabulary) - 5, 0))  # past the stop words, where there are enough words
    queries = [w for w in QUERY_WORDS if w in vocabulary][:5] or vocabulary.words[first : first + 5]
    return {
        engine: {
            query: [word for word, _ in found]
            for query, found in zip(queries, vectors.most_similar(queries, topn=5), strict=True)
        }
        for engine, vectors in engines.items()
    }

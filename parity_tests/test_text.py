"""The shared word2vec text pipeline: gensim's tokenisation, vocabulary and subsampling figures,
corpora from files, directories and the hub cache, dynamic windows inside sentences, the negative
sampler's distribution, and batches that are deterministic by seed."""

import bz2
import gzip

import numpy as np
import pytest
from gensim.test.utils import datapath
from gensim.utils import simple_preprocess as gensim_preprocess
from skipgram_cases import gensim_sentences, gensim_vocabulary, prepare_hub_cache

from numpy_impl.checks import InputError
from numpy_impl.text import (
    Corpus,
    NegativeSampler,
    SkipGramData,
    TokenizedCorpus,
    build_vocabulary,
    bundled_corpus,
    encode_corpus,
    hub_corpus,
    keep_probabilities,
    load_corpus,
    simple_preprocess,
    window_pairs,
)

TRICKY = [
    "Hello, World! It's 2024: 3d-printing & e-mail_addresses; __init__ x",
    "Šéf chomutovských komunistů dostal poštou bílý prášek",
    "supercalifragilisticexpialidocious short a bb ccc",
    "ÀÉÎÕÜ ﬁne straße ǅemal İstanbul ΑΘΗΝΑ кириллица 中文字符 x1y2 _x a_b",
    "",
    "tab\tseparated\r\nwindows line",
]


@pytest.fixture(scope="module")
def lee_vocab():
    return build_vocabulary(bundled_corpus("lee_background"), min_count=5)


@pytest.mark.parametrize("deaccent", [False, True])
def test_tokenizer_matches_gensim(deaccent):
    lines = TRICKY + open(datapath("lee_background.cor"), encoding="utf8").readlines()[:100]
    for line in lines:
        assert simple_preprocess(line, deaccent=deaccent) == gensim_preprocess(line, deacc=deaccent), line
    assert simple_preprocess("Naïve café".encode()) == gensim_preprocess("Naïve café".encode())


@pytest.mark.parametrize("min_count", [2, 5])
def test_vocabulary_equals_gensims_on_lee(min_count):
    """Same words in the same order (count descending; gensim puts the later-seen word first on a
    tie) with the same counts and keep probabilities."""
    words, counts, keep = gensim_vocabulary(gensim_sentences("lee_background.cor"), min_count)
    ours = build_vocabulary(bundled_corpus("lee_background"), min_count=min_count)
    assert ours.words == words
    np.testing.assert_array_equal(ours.counts, counts)
    # gensim stores p as a uint32 fraction of 2**32 - 1: equal to ours up to that rounding
    np.testing.assert_allclose(keep_probabilities(ours.counts, 1e-3), keep, rtol=0, atol=1e-9)
    if min_count == 5:
        assert len(ours) == 1750


def test_vocabulary_equals_gensims_on_head500():
    words, counts, _ = gensim_vocabulary(gensim_sentences("head500.noblanks.cor"), 5)
    ours = build_vocabulary(bundled_corpus("head500"), min_count=5)
    assert len(ours) == len(words) == 8032
    assert ours.words == words
    np.testing.assert_array_equal(ours.counts, counts)
    assert ours.total == sum(counts)


def test_effective_words_per_epoch_match_gensims_figures(lee_vocab):
    """docs/word2vec.md: about 35.9 k of lee_background's tokens survive subsampling (1e-3) per epoch;
    the epochs' actual counts scatter around that expectation."""
    data = SkipGramData("lee_background", seed=1)
    assert data.expected_words == pytest.approx(35.9e3, rel=2e-3)
    epochs = [data.epoch(e) for e in range(3)]
    kept = [e.n_words for e in epochs]
    assert len(set(kept)) >= 2, "subsampling must be redrawn every epoch"
    assert not np.array_equal(epochs[0].contexts[:1000], epochs[2].contexts[:1000])
    assert all(abs(k - data.expected_words) < 5 * np.sqrt(data.expected_words) for k in kept)


def test_keep_probability_formula():
    counts = np.array([1000, 100, 10, 1])
    p = keep_probabilities(counts, 0.01)  # threshold t = 11.11
    t = 0.01 * 1111
    np.testing.assert_allclose(p[:2], (np.sqrt(counts[:2] / t) + 1) * t / counts[:2])
    assert p[2] == p[3] == 1.0
    np.testing.assert_array_equal(keep_probabilities(counts, 0), 1.0)
    with pytest.raises(InputError, match="sample"):
        keep_probabilities(counts, -1)


def test_directory_and_compressed_files_stream_like_one_file(tmp_path):
    lines = open(datapath("lee_background.cor"), encoding="utf8").readlines()
    corpus_dir = tmp_path / "corpus"
    corpus_dir.mkdir()
    (corpus_dir / "a.txt").write_text("".join(lines[:100]), encoding="utf8")
    with gzip.open(corpus_dir / "b.txt.gz", "wt", encoding="utf8") as f:
        f.write("".join(lines[100:200]))
    with bz2.open(corpus_dir / "c.txt.bz2", "wt", encoding="utf8") as f:
        f.write("".join(lines[200:]))
    (corpus_dir / ".hidden").write_text("ignored words here\n")
    streamed = list(load_corpus(corpus_dir))
    assert streamed == list(bundled_corpus("lee_background")) == [gensim_preprocess(line) for line in lines]
    assert list(load_corpus(corpus_dir)) == streamed  # re-iterable: read afresh each pass


def test_corpus_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="no corpus file"):
        load_corpus(tmp_path / "missing.txt")
    (tmp_path / "empty_dir").mkdir()
    with pytest.raises(InputError, match="holds no files"):
        load_corpus(tmp_path / "empty_dir")
    empty = tmp_path / "empty.txt"
    empty.write_text("\n  \n 123 456 !\n")
    with pytest.raises(InputError, match="empty: it has no tokens"):
        SkipGramData(empty)
    few = tmp_path / "few.txt"
    few.write_text("alpha beta gamma delta\n" * 10)
    with pytest.raises(InputError, match="4 words after min_count=5; 5 negatives need at least 6"):
        SkipGramData(few, negatives=5)
    with pytest.raises(InputError, match="no word of .* occurs min_count=50 times"):
        SkipGramData(few, min_count=50)
    with pytest.raises(InputError, match="bundled corpus must be one of"):
        bundled_corpus("wikipedia")
    with pytest.raises(InputError, match="not a list of string tokens"):
        TokenizedCorpus([["a", "b"], "ab"])
    for bad in ({"window": 0}, {"negatives": 0}, {"batch_size": 0}):
        with pytest.raises(InputError, match=next(iter(bad))):
            SkipGramData(few, **{"min_count": 1, "negatives": 2, **bad})


def test_long_lines_are_not_truncated(tmp_path):
    """gensim's fast path cuts sentences at 10,000 tokens; here a 12,000-token line trains to its end."""
    words = [f"w{chr(97 + i % 26)}{chr(97 + i // 26 % 26)}" for i in range(12000)]
    path = tmp_path / "long.txt"
    path.write_text(" ".join(words) + "\nshort line\n")
    data = SkipGramData(path, min_count=1, sample=0, window=2, negatives=2)
    assert len(data.encoded) == 12002
    pairs = data.epoch(0)
    last = data.vocabulary.index[words[-1]]
    assert last in set(pairs.contexts.tolist())
    assert pairs.n_pairs >= 2 * 11999  # every adjacent pair of the long line, both ways


def reference_pairs(ids, sentence_ids, window, rng):
    """The textbook double loop over positions and their windows, drawing as window_pairs does."""
    reach = window - rng.integers(0, window, size=len(ids))
    centers, contexts = [], []
    for i in range(len(ids)):
        for j in range(i - reach[i], i + reach[i] + 1):
            if j != i and 0 <= j < len(ids) and sentence_ids[j] == sentence_ids[i]:
                centers.append(ids[j])  # gensim's orientation: the neighbour's input vector
                contexts.append(ids[i])  # predicts the word whose window was drawn
    return np.array(centers), np.array(contexts)


@pytest.mark.parametrize("window", [1, 3, 5])
def test_window_pairs_equal_the_double_loop(window):
    rng = np.random.default_rng(window)
    lengths = [1, 7, 2, 15, 4, 1, 9]
    sentence_ids = np.repeat(np.arange(len(lengths)), lengths)
    ids = rng.integers(0, 30, size=len(sentence_ids))
    ours = window_pairs(ids, sentence_ids, window, np.random.default_rng(7))
    expected = reference_pairs(ids, sentence_ids, window, np.random.default_rng(7))
    np.testing.assert_array_equal(ours[0], expected[0])
    np.testing.assert_array_equal(ours[1], expected[1])


def test_windows_stay_inside_sentences_and_shrink_dynamically():
    """Positions instead of words: every pair lies in one sentence, within the window, and a
    neighbour at distance k is paired with probability (window - k + 1) / window."""
    lengths = np.random.default_rng(0).integers(1, 40, size=400)
    sentence_ids = np.repeat(np.arange(len(lengths)), lengths)
    positions = np.arange(len(sentence_ids))
    inputs, outputs = window_pairs(positions, sentence_ids, 5, np.random.default_rng(1))
    assert (sentence_ids[inputs] == sentence_ids[outputs]).all()
    distance = np.abs(inputs - outputs)
    assert distance.min() == 1 and distance.max() == 5
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    for k in range(1, 6):
        possible = 2 * sum(max(n - k, 0) for n in lengths)  # ordered (i, j) pairs at distance k
        share = np.sum(distance == k) / possible
        assert share == pytest.approx((5 - k + 1) / 5, abs=0.03), k
    assert starts[0] == 0


def test_negative_sampler_draws_unigram_to_the_three_quarters(lee_vocab):
    sampler = NegativeSampler(lee_vocab.counts)
    expected = lee_vocab.counts**0.75 / np.sum(lee_vocab.counts**0.75)
    np.testing.assert_allclose(sampler.probabilities, expected, rtol=1e-12)
    # the alias table encodes exactly that distribution
    implied = sampler.threshold.copy()
    np.add.at(implied, sampler.alias, 1 - sampler.threshold)
    np.testing.assert_allclose(implied / len(implied), expected, rtol=0, atol=1e-13)
    draws = sampler.draw(np.random.default_rng(0), (1000, 500))
    assert draws.shape == (1000, 500) and draws.dtype == np.int64
    assert draws.min() >= 0 and draws.max() < len(lee_vocab)
    frequency = np.bincount(draws.ravel(), minlength=len(lee_vocab)) / draws.size
    sigma = np.sqrt(expected * (1 - expected) / draws.size)
    assert np.all(np.abs(frequency - expected) < 5 * sigma + 1e-7)
    with pytest.raises(InputError, match="positive counts"):
        NegativeSampler([3, 0, 1])


def test_batches_have_the_contract_shapes_and_cover_the_epoch():
    data = SkipGramData("lee_background", batch_size=1000, negatives=4, seed=3)
    epoch = data.epoch(0)
    batches = list(epoch)
    assert len(batches) == len(epoch) == -(-epoch.n_pairs // 1000)
    for centers, contexts, negatives in batches:
        assert centers.dtype == contexts.dtype == negatives.dtype == np.int64
        assert centers.shape == contexts.shape == (len(centers),) and negatives.shape == (len(centers), 4)
        assert 0 <= negatives.min() and negatives.max() < len(data.vocabulary)
    assert [len(b[0]) for b in batches[:-1]] == [1000] * (len(batches) - 1)
    np.testing.assert_array_equal(np.concatenate([b[0] for b in batches]), epoch.centers)
    with pytest.raises(RuntimeError, match="iterated once"):
        list(epoch)


def _epoch_arrays(data, epoch):
    return [np.concatenate(parts) for parts in zip(*data.epoch(epoch), strict=True)]


def test_batches_are_deterministic_by_seed_and_epoch():
    tokens = TokenizedCorpus(bundled_corpus("lee_background"))
    vocabulary = build_vocabulary(tokens, 5)
    one = SkipGramData(tokens, seed=5, vocabulary=vocabulary)
    two = SkipGramData(tokens, seed=5, vocabulary=vocabulary)
    other = SkipGramData(tokens, seed=6, vocabulary=vocabulary)
    list(one.epoch(0))  # consuming epoch 0 first changes nothing about epoch 1
    for a, b in zip(_epoch_arrays(one, 1), _epoch_arrays(two, 1), strict=True):
        np.testing.assert_array_equal(a, b)
    assert _epoch_arrays(one, 1)[0].shape != _epoch_arrays(other, 1)[0].shape or not np.array_equal(
        _epoch_arrays(one, 1)[0], _epoch_arrays(other, 1)[0]
    )
    assert not np.array_equal(_epoch_arrays(one, 0)[2][:100], _epoch_arrays(one, 1)[2][:100])


def test_shuffling_reorders_the_same_pairs():
    tokens = TokenizedCorpus(bundled_corpus("lee_background"))
    vocabulary = build_vocabulary(tokens, 5)
    ordered = SkipGramData(tokens, seed=2, vocabulary=vocabulary).epoch(0)
    shuffled = SkipGramData(tokens, seed=2, vocabulary=vocabulary, shuffle=True).epoch(0)
    assert not np.array_equal(ordered.centers, shuffled.centers)
    key = lambda e: np.sort(e.centers * len(vocabulary) + e.contexts)  # noqa: E731
    np.testing.assert_array_equal(key(ordered), key(shuffled))


def test_encoded_corpus_keeps_sentence_boundaries():
    tokens = TokenizedCorpus([["a", "b", "zz"], [], ["zz"], ["b", "a", "a"]])
    vocabulary = build_vocabulary(tokens, min_count=2)
    assert vocabulary.words == ["a", "zz", "b"]  # b and zz tie: the later-seen zz first, as in gensim
    assert vocabulary.counts.tolist() == [3, 2, 2]
    encoded = encode_corpus(tokens, vocabulary)
    assert encoded.ids.tolist() == [0, 2, 1, 1, 2, 0, 0]
    assert encoded.starts.tolist() == [0, 3, 4, 7]  # the empty sentence leaves no trace
    assert encoded.sentence_ids.tolist() == [0, 0, 0, 1, 2, 2, 2]


def test_hub_corpus_from_a_prepared_cache_and_a_clear_offline_error(tmp_path):
    text = "The quick brown fox.\nJumps over the lazy dog!\n"
    prepare_hub_cache(tmp_path / "hub", "someone/corpus", "text.txt", text)
    corpus = hub_corpus("someone/corpus", "text.txt", cache_dir=tmp_path / "hub", local_files_only=True)
    assert list(corpus) == [gensim_preprocess(line) for line in text.splitlines()]
    assert corpus.name == "someone/corpus/text.txt"
    with pytest.raises(
        ConnectionError, match="'someone/other' is not in the cache .* could not be downloaded"
    ):
        hub_corpus("someone/other", "text.txt", cache_dir=tmp_path / "hub", local_files_only=True)


def test_corpus_objects_describe_themselves(tmp_path):
    assert "lee_background" in repr(bundled_corpus("lee_background"))
    path = tmp_path / "x.txt"
    path.write_text("a b\n")
    assert isinstance(load_corpus(str(path)), Corpus)
    with pytest.raises(InputError, match="a corpus is one of"):
        load_corpus(42)

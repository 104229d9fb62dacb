"""Embedding tools against gensim's KeyedVectors on the same vectors: similarity, neighbours
(batched), 3CosAdd analogies, the odd one out, the word-pair and analogy evaluations (raw and
stemmed), word2vec and GloVe text files, and pretrained GloVe from a prepared hub cache."""

import numpy as np
import pytest
import torch
from gensim.models import KeyedVectors, Word2Vec
from gensim.test.utils import datapath
from skipgram_cases import gensim_sentences, prepare_hub_cache

import numpy_impl.skipgram as numpy_skipgram
import torch_impl.skipgram as torch_skipgram
from numpy_impl.checks import InputError
from numpy_impl.embeddings import (
    GLOVE_FILE,
    GLOVE_REPO,
    WordVectors,
    evaluate,
    evaluate_analogies,
    evaluate_word_pairs,
    load_glove_text,
    load_pretrained_glove,
    load_word2vec_text,
    read_analogies,
    read_word_pairs,
    save_glove_text,
    save_word2vec_text,
)
from numpy_impl.text import build_vocabulary, bundled_corpus

WORDS = ["police", "government", "fire", "australia", "president", "man", "year"]


def keyed_vectors(words, vectors):
    kv = KeyedVectors(vectors.shape[1])
    kv.add_vectors(list(words), np.asarray(vectors, dtype=np.float32))
    return kv


@pytest.fixture(scope="module")
def lee():
    """gensim's vectors for lee_background and ours wrapping the very same array."""
    model = Word2Vec(
        gensim_sentences("lee_background.cor"), vector_size=32, min_count=3, sg=1, workers=1, seed=1, epochs=4
    )
    return model.wv, WordVectors(model.wv.index_to_key, model.wv.vectors)


@pytest.fixture(scope="module")
def synthetic():
    """Random vectors for every word of questions-words.txt, with country = capital + a shared
    offset + noise: about half of those analogies come out right, the others rarely."""
    rng = np.random.default_rng(0)
    sections = read_analogies("analogies")
    words = sorted({w.lower() for _, questions in sections for q in questions for w in q})
    vectors = rng.standard_normal((len(words), 30)).astype(np.float32)
    index = {w: i for i, w in enumerate(words)}
    offset = rng.standard_normal(30) * 2
    for a, b, _, _ in dict(sections)["capital-common-countries"]:
        vectors[index[b.lower()]] = vectors[index[a.lower()]] + offset + rng.standard_normal(30) * 1.2
    return keyed_vectors(words, vectors), WordVectors(words, vectors)


def test_neighbours_similarity_and_odd_one_out_match_gensim(lee):
    kv, ours = lee
    batched = ours.most_similar(WORDS, topn=8)
    for word, neighbours in zip(WORDS, batched, strict=True):
        reference = kv.most_similar(word, topn=8)
        assert [w for w, _ in neighbours] == [w for w, _ in reference], word
        np.testing.assert_allclose([s for _, s in neighbours], [s for _, s in reference], atol=1e-6)
        single = ours.most_similar(word, topn=8)  # one query = a batch of one, up to float32 rounding
        assert [w for w, _ in single] == [w for w, _ in neighbours]
        np.testing.assert_allclose([s for _, s in single], [s for _, s in neighbours], atol=1e-6)
    by_vector = ours.most_similar(ours.unit[ours.ids(["police"])], topn=2)[0]
    assert by_vector[0][0] == "police" and by_vector[0][1] == pytest.approx(1.0, abs=1e-6)
    assert ours.similarity("police", "fire") == pytest.approx(
        float(kv.similarity("police", "fire")), abs=1e-6
    )
    for group in (["police", "officers", "court", "fire"], ["man", "woman", "year", "president"]):
        assert ours.odd_one_out(group) == kv.doesnt_match(group)


def test_analogies_are_3cosadd_with_the_inputs_excluded(lee):
    kv, ours = lee
    for a, b, c in [("man", "president", "woman"), ("police", "officers", "fire"), ("year", "years", "day")]:
        reference = kv.most_similar(positive=[b, c], negative=[a], topn=5)
        answer = ours.analogy(a, b, c, topn=5)
        assert [w for w, _ in answer] == [w for w, _ in reference]
        assert not {a, b, c} & {w for w, _ in answer}
    batched = ours.analogies([("man", "president", "woman"), ("police", "officers", "fire")], topn=5)
    singles = [ours.analogy("man", "president", "woman", 5), ours.analogy("police", "officers", "fire", 5)]
    assert [[w for w, _ in answer] for answer in batched] == [[w for w, _ in answer] for answer in singles]


@pytest.mark.parametrize("source", ["wordsim353", "simlex999"])
def test_word_pair_scores_equal_gensims(lee, source):
    kv, ours = lee
    pearson, spearman, oov_ratio = kv.evaluate_word_pairs(
        datapath({"wordsim353": "wordsim353.tsv", "simlex999": "simlex999.txt"}[source])
    )
    result = evaluate_word_pairs(ours, source)
    assert result["spearman"] == pytest.approx(spearman.statistic, abs=1e-6)
    assert result["pearson"] == pytest.approx(pearson.statistic, abs=1e-6)
    assert result["oov_ratio"] == pytest.approx(oov_ratio, rel=1e-12)
    assert result["pairs"] == {"wordsim353": 353, "simlex999": 999}[source]
    assert result["oov"] == result["pairs"] - result["used"] > 0
    assert all(w.lower() not in ours for w in result["oov_words"])


@pytest.mark.parametrize("vectors", ["lee", "synthetic"])
def test_analogy_accuracy_and_sections_equal_gensims(vectors, request):
    kv, ours = request.getfixturevalue(vectors)
    score, sections = kv.evaluate_word_analogies(datapath("questions-words.txt"))
    result = evaluate_analogies(ours)
    assert result["accuracy"] == pytest.approx(score, rel=1e-12)
    assert result["total"] == 19544
    for ours_section, reference in zip(result["sections"], sections[:-1], strict=True):
        assert ours_section["section"] == reference["section"]
        assert ours_section["correct"] == len(reference["correct"])
        assert ours_section["evaluated"] == len(reference["correct"]) + len(reference["incorrect"])
    assert result["coverage"] == result["evaluated"] / 19544
    if vectors == "synthetic":
        capitals = result["sections"][0]
        assert capitals["section"] == "capital-common-countries" and 0.2 < capitals["accuracy"] < 0.9


def test_stemmed_evaluation_sets_for_head500():
    """docs/word2vec.md: raw sets are mostly outside head500's stemmed vocabulary (wordsim353 72.5 % OOV,
    1,309 analogies usable); stemming keeps 14,352 analogies, 2,665 of them answerable."""
    vocabulary = build_vocabulary(bundled_corpus("head500"), min_count=5)
    vectors = WordVectors(vocabulary.words, np.random.default_rng(0).standard_normal((len(vocabulary), 4)))
    assert evaluate_word_pairs(vectors, "wordsim353")["oov_ratio"] == pytest.approx(72.5, abs=0.05)
    assert evaluate_analogies(vectors)["evaluated"] == 1309
    stemmed = read_analogies("analogies", stem=True)
    assert sum(len(q) for _, q in stemmed) == 14352
    assert all(len(set(q)) == 4 for _, q in stemmed for q in q)
    assert evaluate_analogies(vectors, stemmed)["evaluated"] == 2665
    stemmed_pairs = read_word_pairs("wordsim353", stem=True)
    assert ("comput", "keyboard") in {(a, b) for a, b, _ in stemmed_pairs}  # stems as in head500
    assert evaluate_word_pairs(vectors, stemmed_pairs)["oov_ratio"] < 50
    scores = evaluate(vectors, stem=True)
    assert scores["analogies"]["evaluated"] == 2665 and set(scores) == {
        "wordsim353",
        "simlex999",
        "analogies",
    }


def test_both_engines_models_give_the_same_vectors():
    vocabulary = build_vocabulary([["a", "b", "c"], ["a", "b"], ["a"]], min_count=1)
    numpy_model = numpy_skipgram.SkipGram(len(vocabulary), 5, seed=2, dtype=np.float64)
    torch_model = torch_skipgram.SkipGram(len(vocabulary), 5, seed=2, dtype=np.float64)
    from_numpy = WordVectors.from_model(numpy_model, vocabulary)
    from_torch = WordVectors.from_model(torch_model, vocabulary)
    assert from_torch.words == from_numpy.words == ["a", "b", "c"]
    np.testing.assert_array_equal(from_torch.vectors, from_numpy.vectors)
    assert WordVectors(["x", "y"], torch.ones(2, 3)).similarity("x", "y") == pytest.approx(1.0)


def test_queries_name_unknown_words(lee):
    _, ours = lee
    with pytest.raises(InputError, match="not in the vocabulary .*: 'qwertyuiop'"):
        ours.most_similar("qwertyuiop")
    with pytest.raises(InputError, match="'zzzq', 'yyyq'"):
        ours.most_similar(["police", "zzzq", "yyyq", "zzzq"])
    with pytest.raises(InputError, match="'kingdomz'"):
        ours.analogy("man", "kingdomz", "woman")
    with pytest.raises(InputError, match="'nope'"):
        ours.similarity("police", "nope")
    with pytest.raises(InputError, match="at least 2 words"):
        ours.odd_one_out(["police"])
    with pytest.raises(InputError, match="topn must be a positive integer"):
        ours.most_similar("police", topn=0)
    with pytest.raises(InputError, match="2 words but 3 vectors"):
        WordVectors(["a", "b"], np.zeros((3, 2)))


TEST_GLOVE = datapath("test_glove.txt")


def test_glove_file_loads_as_gensim_loads_it_and_round_trips(tmp_path):
    reference = KeyedVectors.load_word2vec_format(TEST_GLOVE, binary=False, no_header=True)
    ours = load_glove_text(TEST_GLOVE)
    assert ours.words == reference.index_to_key and len(ours) == 76 and ours.dim == 50
    np.testing.assert_array_equal(ours.vectors, reference.vectors)
    save_glove_text(ours, tmp_path / "a.txt")
    again = load_glove_text(tmp_path / "a.txt")
    assert again.words == ours.words
    np.testing.assert_array_equal(again.vectors, ours.vectors)
    save_glove_text(again, tmp_path / "b.txt")
    assert (tmp_path / "a.txt").read_bytes() == (tmp_path / "b.txt").read_bytes()
    first = open(TEST_GLOVE, encoding="utf8").readline().split()
    assert (tmp_path / "a.txt").read_text(encoding="utf8").split("\n")[0].split() == first  # shortest floats
    assert load_glove_text(TEST_GLOVE, limit=10).words == ours.words[:10]


def test_word2vec_text_files_are_read_and_written_like_gensims(tmp_path, lee):
    kv, ours = lee
    save_word2vec_text(ours, tmp_path / "ours.txt")
    loaded_by_gensim = KeyedVectors.load_word2vec_format(tmp_path / "ours.txt", binary=False)
    assert loaded_by_gensim.index_to_key == ours.words
    np.testing.assert_array_equal(loaded_by_gensim.vectors, ours.vectors)
    kv.save_word2vec_format(tmp_path / "gensim.txt", binary=False)
    loaded = load_word2vec_text(tmp_path / "gensim.txt")
    assert loaded.words == kv.index_to_key
    np.testing.assert_allclose(loaded.vectors, kv.vectors, rtol=1e-6)  # gensim writes 6-7 digits
    float64 = WordVectors(["a", "b"], np.array([[0.1, 1 / 3], [2e-300, -7.0]]))
    save_word2vec_text(float64, tmp_path / "f64.txt")
    np.testing.assert_array_equal(
        load_word2vec_text(tmp_path / "f64.txt", dtype=np.float64).vectors, float64.vectors
    )


BAD_FILES = [
    (
        "glove",
        "the 0.1 0.2 0.3\nof 0.1 0.2\n",
        "bad.txt:2: vectors of mixed dimension: 'of' has 2 values, the file's vectors have 3",
    ),
    ("glove", "the 0.1 0.2\nand 0.5 zero\n", "bad.txt:2: 'zero' is not a number \\(word 'and'\\)"),
    ("glove", "lonely\n", "bad.txt:1: the word 'lonely' has no values"),
    ("glove", "\n\n", "holds no vectors"),
    ("word2vec", "2 3\nthe 0.1 0.2 0.3\nof 0.1 0.2 0.3 0.4\n", "bad.txt:3: vectors of mixed dimension"),
    ("word2vec", "the 0.1 0.2 0.3\n", "bad.txt:1: a word2vec text file starts with 'count dim'"),
    ("word2vec", "3 2\nthe 0.1 0.2\n", "the header promises 3 vectors; the file holds 1"),
]


@pytest.mark.parametrize(("kind", "text", "message"), BAD_FILES)
def test_malformed_vector_files_name_the_line(tmp_path, kind, text, message):
    path = tmp_path / "bad.txt"
    path.write_text(text, encoding="utf8")
    loader = load_glove_text if kind == "glove" else load_word2vec_text
    with pytest.raises(InputError, match=message):
        loader(path)


def test_vector_file_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="no vector file"):
        load_glove_text(tmp_path / "missing.txt")
    with pytest.raises(InputError, match="cannot write the word 'new york'"):
        save_glove_text(WordVectors(["new york"], np.zeros((1, 2))), tmp_path / "x.txt")


def test_pretrained_glove_from_a_prepared_hub_cache(tmp_path):
    prepare_hub_cache(tmp_path / "hub", GLOVE_REPO, GLOVE_FILE, open(TEST_GLOVE, "rb").read())
    vectors = load_pretrained_glove(cache_dir=tmp_path / "hub", local_files_only=True)
    reference = load_glove_text(TEST_GLOVE)
    assert vectors.words == reference.words
    np.testing.assert_array_equal(vectors.vectors, reference.vectors)
    assert len(load_pretrained_glove(cache_dir=tmp_path / "hub", local_files_only=True, limit=5)) == 5


def test_pretrained_glove_offline_and_not_cached_says_so(tmp_path):
    with pytest.raises(
        ConnectionError, match="glove.6B.50d.txt .* 'igorbenav/glove-6b-50d' is not in the cache"
    ) as info:
        load_pretrained_glove(cache_dir=tmp_path / "empty", local_files_only=True)
    assert str(tmp_path / "empty") in str(info.value) and "local file" in str(info.value)

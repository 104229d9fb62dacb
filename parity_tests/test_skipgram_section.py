"""The main job's skip-gram section (quick settings): both engines trained from one seed on the same
batches end with the same vectors and scores, next to gensim's; the report, the PCA figure and the
vectors file are written."""

import numpy as np
import pytest
from gensim.models import KeyedVectors
from main_job_cases import assert_png
from main_job_cases import quick_config as quick

from numpy_impl.checks import InputError
from scripts.main_job.config import QUICK
from scripts.main_job.skipgram import format_skipgram, run_skipgram


@pytest.fixture(scope="module")
def quick_result(tmp_path_factory):
    out = tmp_path_factory.mktemp("skipgram")
    return run_skipgram(quick(out, seed=2, epochs=2, dtype=np.float64)), out


def test_both_engines_end_with_the_same_vectors_and_scores(quick_result):
    result = quick_result[0].numbers
    assert result["corpus"] == "lee_background" and result["sentences"] == QUICK["skipgram"]["sentences"]
    assert result["max_step_loss_difference"] <= 1e-12
    assert result["max_vector_difference"] <= 1e-10
    assert result["identical_scores"] and result["scores"]["numpy"] == result["scores"]["torch"]
    assert set(result["scores"]) == {"numpy", "torch", "gensim"}
    assert result["loss_per_pair"]["numpy"] == pytest.approx(result["loss_per_pair"]["torch"], rel=1e-12)
    assert result["loss_per_pair"]["numpy"][1] < result["loss_per_pair"]["numpy"][0]
    assert result["neighbours"]["numpy"] == result["neighbours"]["torch"]
    for engine in ("numpy", "torch", "gensim"):
        scores = result["scores"][engine]
        assert -1 <= scores["wordsim353"] <= 1 and 0 < scores["analogy_coverage"] < 1
        assert result["words_per_s"][engine] > 0


def test_writes_the_report_the_figure_and_loadable_vectors(quick_result):
    result, out = quick_result
    assert list(result.files) == ["vectors", "pca", "loss_curves"]
    assert all(path.parent == out / "skipgram" for path in result.files.values())
    assert_png(result.files["pca"])
    assert_png(result.files["loss_curves"])
    vectors = KeyedVectors.load_word2vec_format(result.files["vectors"], binary=False)
    assert len(vectors) == result.numbers["vocabulary"] and vectors.vector_size == 32
    report = format_skipgram(result.numbers)
    assert report == result.report
    assert "wordsim353 Spearman" in report and "gensim" in report and "nearest neighbours" in report
    assert f"{result.numbers['scores']['gensim']['wordsim353']:.4f}" in report


def test_a_corpus_file_and_a_bad_one(tmp_path):
    path = tmp_path / "tiny.txt"
    path.write_text("the cat sat on the mat with the other cat and the dog\n" * 30)
    result = run_skipgram(quick(tmp_path / "out", epochs=1, corpus=path)).numbers
    assert result["corpus"] == "tiny.txt" and result["vocabulary"] == 9
    (tmp_path / "empty.txt").write_text("\n")
    with pytest.raises(InputError, match="empty"):
        run_skipgram(quick(tmp_path / "out", epochs=1, corpus=tmp_path / "empty.txt"))

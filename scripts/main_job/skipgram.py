"""The main job's skip-gram section: word2vec (SGNS) trained from one seed in NumPy and in torch on
the same batches of a corpus, next to gensim's Word2Vec with the same settings and epochs; nearest
neighbours, evaluation scores, the engines' distance, and a 2-D PCA plot."""

from pathlib import Path

import numpy as np
import torch

import numpy_impl.skipgram as numpy_skipgram
import torch_impl.skipgram as torch_skipgram
from numpy_impl import optim as numpy_optim
from numpy_impl.embeddings import WordVectors, save_word2vec_text
from numpy_impl.text import SkipGramData, TokenizedCorpus, load_corpus
from numpy_impl.train import fit as fit_numpy
from torch_impl.train import fit as fit_torch

from . import plots
from .config import SectionResult
from .skipgram_baseline import (
    SETTINGS,
    STEMMED_CORPORA,
    nearest_neighbours,
    same_scores,
    score,
    train_gensim,
    words_per_second,
)
from .twins import train_twins

START_LR, END_LR = 0.025, 0.0001  # word2vec's, decayed linearly over all epochs


def run_skipgram(config):
    """Train skip-gram on the run's corpus (a bundled name, a file or a directory) in NumPy, in
    torch and in gensim (workers=1) with word2vec's settings; write a PCA plot, the loss curves
    and the NumPy vectors; a SectionResult."""
    settings = config.settings("skipgram")
    name, sentences = load_sentences(config.corpus or settings["corpus"], settings["sentences"])
    data = SkipGramData(sentences, batch_size=settings["batch_size"], seed=config.seed, **SETTINGS)
    dim, epochs = settings["dim"], settings["epochs"]
    engines, run = train_engines(
        data, dim, epochs, seed=config.seed, dtype=config.dtype, progress=config.progress
    )
    engines["gensim"], gensim_history = train_gensim(sentences, dim, epochs, config.seed)
    numbers = {
        "corpus": name,
        "sentences": len(sentences.sentences),
        "vocabulary": len(data.vocabulary),
        "epochs": epochs,
        "dim": dim,
        "dtype": config.dtype,
        "batch_size": settings["batch_size"],
        "settings": dict(SETTINGS),
        "stemmed_evaluation": name in STEMMED_CORPORA,
    }
    numbers |= compare(engines, run, gensim_history, data.vocabulary, stem=numbers["stemmed_evaluation"])
    files = write(engines, run, numbers, config.section_dir("skipgram"))
    return SectionResult(format_skipgram(numbers), files, numbers)


def compare(engines, run, gensim_history, vocabulary, *, stem):
    """The three engines side by side: scores, the twins' distance, speed, nearest neighbours."""
    scores = {engine: score(vectors, stem=stem) for engine, vectors in engines.items()}
    histories = run.histories | {"gensim": gensim_history}
    return {
        "scores": scores,
        "identical_scores": same_scores(scores["numpy"], scores["torch"]),
        "max_vector_difference": float(np.abs(engines["numpy"].vectors - engines["torch"].vectors).max()),
        "max_step_loss_difference": run.max_loss_diff,
        "words_per_s": {engine: words_per_second(history) for engine, history in histories.items()},
        "loss_per_pair": {engine: history.metric("loss") for engine, history in run.histories.items()},
        "neighbours": nearest_neighbours(engines, vocabulary),
    }


def write(engines, run, numbers, out_dir):
    """The NumPy vectors (word2vec text format), the PCA plot and the loss curves: {name: path}."""
    save_word2vec_text(engines["numpy"], out_dir / "skipgram_vectors.txt")
    title = f"skip-gram on {numbers['corpus']}, batch {numbers['batch_size']}"
    return {
        "vectors": out_dir / "skipgram_vectors.txt",
        "pca": plot_pca(engines, numbers["neighbours"]["numpy"], out_dir / "skipgram_pca.png"),
        "loss_curves": plots.loss_curves({"skip-gram": run}, out_dir / "skipgram_loss_curves.png", title),
    }


def load_sentences(source, n_sentences=None):
    """(name, TokenizedCorpus) of ``source``, tokenised once for all three engines; only its first
    ``n_sentences`` sentences when given (a quick run)."""
    name = source if isinstance(source, str) and not Path(source).exists() else Path(source).name
    sentences = TokenizedCorpus(load_corpus(source), name=str(name))
    if n_sentences is not None:
        sentences = TokenizedCorpus(sentences.sentences[:n_sentences], name=f"{name} (quick)")
    return str(name), sentences


def train_engines(data, dim, epochs, *, seed, dtype, progress="auto"):
    """Both engines' SkipGram trained word2vec's way on ``data`` from ``seed``:
    ({engine: WordVectors}, TwinRun)."""
    twins = [
        engine.SkipGram(len(data.vocabulary), dim, seed=seed, dtype=dtype, sparse=True)
        for engine in (numpy_skipgram, torch_skipgram)
    ]
    optimizers = [word2vec_optimizer(model) for model in twins]
    run = train_twins(*twins, *optimizers, data, desc="skip-gram", progress=progress, **word2vec_fit(epochs))
    vectors = {
        engine: WordVectors.from_model(model, data.vocabulary)
        for engine, model in zip(("numpy", "torch"), twins, strict=True)
    }
    return vectors, run


def word2vec_optimizer(model, lr=START_LR):
    """Plain SGD at word2vec's starting rate, in the model's engine."""
    sgd = torch.optim.SGD if isinstance(model, torch.nn.Module) else numpy_optim.SGD
    return sgd(model.parameters(), lr=lr)


def word2vec_fit(epochs, start_lr=START_LR, end_lr=END_LR):
    """The training loop's options for word2vec: steps on the gradient of each batch's summed loss,
    the learning rate decaying linearly from ``start_lr`` to ``end_lr`` over all epochs."""
    return {
        "epochs": epochs,
        "lr_schedule": numpy_optim.word2vec_lr(epochs, start_lr, end_lr),
        "reduction": "sum",
    }


def train_word2vec(
    model, data, epochs, *, start_lr=START_LR, end_lr=END_LR, progress="auto", desc="skip-gram"
):
    """Train either engine's SkipGram word2vec's way: its engine's training loop, plain SGD, the
    learning rate decaying linearly from ``start_lr`` to ``end_lr`` over all epochs. Returns the History."""
    fit = fit_torch if isinstance(model, torch.nn.Module) else fit_numpy
    optimizer = word2vec_optimizer(model, start_lr)
    return fit(model, optimizer, data, progress=progress, desc=desc, **word2vec_fit(epochs, start_lr, end_lr))


def plot_pca(engines, neighbours, path):
    """The query words and their nearest neighbours (``neighbours``: {query: words}, by the NumPy
    vectors), projected on the first two principal components of those words' vectors; one panel
    per engine."""
    queries = list(neighbours)
    words = list(dict.fromkeys(queries + [n for w in queries for n in neighbours[w][:3]]))
    fig, axes = plots.figure(1, len(engines), size=(4.6, 4.2))
    for ax, (engine, vectors) in zip(axes[0], engines.items(), strict=True):
        shown = [w for w in words if w in vectors]
        if len(shown) < 2:
            continue
        points = vectors.unit[vectors.ids(shown)].astype(np.float64)
        centred = points - points.mean(axis=0)
        _, _, components = np.linalg.svd(centred, full_matrices=False)
        xy = centred @ components[:2].T  # (n, 2)
        for i, word in enumerate(shown):
            query = word in queries
            ax.scatter(*xy[i], color="tab:red" if query else "tab:blue", s=18 if query else 10)
            ax.annotate(word, xy[i], fontsize=7, fontweight="bold" if query else "normal")
        ax.set(title=f"{engine}: 2-D PCA of chosen words", xticks=[], yticks=[])
    return plots.save(fig, path)


def format_skipgram(result):
    """The section's printout: settings, scores per engine next to gensim's, speed, neighbours."""
    scores, speed = result["scores"], result["words_per_s"]
    engines = list(scores)
    stem = " (stemmed sets)" if result["stemmed_evaluation"] else ""
    lines = [
        f"skip-gram on {result['corpus']}: {result['sentences']} sentences, V = {result['vocabulary']}, "
        f"d = {result['dim']}, {result['epochs']} epochs, {result['dtype']}, batch {result['batch_size']}, "
        f"window {result['settings']['window']}, K = {result['settings']['negatives']}",
        f"  {'':22s}" + "".join(f"{e:>10s}" for e in engines),
    ]
    for key, label in [
        ("wordsim353", f"wordsim353 Spearman{stem}"),
        ("simlex999", "simlex999 Spearman"),
        ("analogy_accuracy", "analogy accuracy"),
        ("analogy_coverage", "analogy coverage"),
    ]:
        lines.append(f"  {label:22s}" + "".join(f"{scores[e][key]:>10.4f}" for e in engines))
    lines.append(f"  {'k words/s':22s}" + "".join(f"{speed[e] / 1e3:>10.0f}" for e in engines))
    lines.append(
        f"  NumPy vs torch: identical scores {result['identical_scores']}, "
        f"largest vector difference {result['max_vector_difference']:.2e}"
    )
    lines.append("  nearest neighbours (numpy | torch | gensim):")
    for word, found in result["neighbours"]["numpy"].items():
        others = " | ".join(", ".join(result["neighbours"][e][word][:3]) for e in engines[1:])
        lines.append(f"    {word}: {', '.join(found[:3])} | {others}")
    return "\n".join(lines)

"""The main job's skip-gram section: word2vec (SGNS) trained from one seed in NumPy and in torch on
the same batches of the embedded corpus, next to gensim's Word2Vec with the same settings and
epochs; nearest neighbours, evaluation scores, the engines' distance, and a 2-D PCA plot."""

import time
from pathlib import Path

import numpy as np
import torch

import numpy_impl.skipgram as numpy_skipgram
import torch_impl.skipgram as torch_skipgram
from numpy_impl import optim as numpy_optim
from numpy_impl.embeddings import WordVectors, evaluate, save_word2vec_text
from numpy_impl.text import SkipGramData, TokenizedCorpus, load_corpus
from numpy_impl.train import History
from numpy_impl.train import fit as fit_numpy
from torch_impl.train import fit as fit_torch

from . import plots

EPOCHS = 10  # lee_background is small: 5 epochs (gensim's default) leave it barely trained
QUICK_EPOCHS = 1
QUICK_SENTENCES = 120  # quick=True trains on the corpus's first sentences only
SETTINGS = {"min_count": 5, "window": 5, "negatives": 5, "sample": 1e-3}
QUERY_WORDS = ("police", "government", "fire", "australia", "president", "children", "israeli", "war")
STEMMED_CORPORA = ("head500",)  # Porter-stemmed text: evaluate with stemmed copies of the sets
START_LR, END_LR = 0.025, 0.0001  # word2vec's, decayed linearly over all epochs
TWINS = {"numpy": numpy_skipgram, "torch": torch_skipgram}
FITS = {"numpy": fit_numpy, "torch": fit_torch}
SGDS = {"numpy": numpy_optim.SGD, "torch": torch.optim.SGD}


def run_skipgram(
    out_dir,
    seed,
    epochs,
    corpus=None,
    quick=False,
    *,
    dtype=np.float32,
    dim=100,
    batch_size=1024,
    progress="auto",
):
    """Train skip-gram on ``corpus`` (default: gensim's bundled ``lee_background``; a bundled name,
    a file or a directory) in NumPy, in torch and in gensim (workers=1), all for ``epochs`` epochs
    with word2vec's settings; write a PCA plot and the NumPy vectors. quick: the first
    ``QUICK_SENTENCES`` sentences and 32 dimensions. Returns a dict (its ``report`` is the printout)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    source = corpus if corpus is not None else "lee_background"
    name = source if isinstance(source, str) and not Path(source).exists() else Path(source).name
    sentences = TokenizedCorpus(load_corpus(source), name=str(name))  # tokenised once for all three
    if quick:
        sentences, dim = TokenizedCorpus(sentences.sentences[:QUICK_SENTENCES], name=f"{name} (quick)"), 32
    dtype = np.dtype(dtype)
    data = SkipGramData(sentences, batch_size=batch_size, seed=seed, **SETTINGS)
    vocabulary = data.vocabulary

    engines, histories = train_twins(data, dim, epochs, seed=seed, dtype=dtype, progress=progress)
    engines["gensim"], histories["gensim"] = train_gensim(sentences, dim, epochs, seed)

    stem = name in STEMMED_CORPORA
    scores = {engine: score(vectors, stem=stem) for engine, vectors in engines.items()}
    first = min(20, max(len(vocabulary) - 5, 0))  # past the stop words, where there are enough words
    queries = [w for w in QUERY_WORDS if w in vocabulary][:5] or vocabulary.words[first : first + 5]
    neighbours = {
        engine: dict(zip(queries, vectors.most_similar(queries, topn=5), strict=True))
        for engine, vectors in engines.items()
    }
    vectors_file = out_dir / "skipgram_vectors.txt"
    save_word2vec_text(engines["numpy"], vectors_file)
    pca = plot_pca(engines, queries, neighbours["numpy"], out_dir / "skipgram_pca.png")
    curves = plots.loss_curves(
        {"skip-gram": {engine: histories[engine] for engine in ("numpy", "torch")}},
        out_dir / "skipgram_loss_curves.png",
        f"skip-gram on {name}, batch {batch_size}",
    )

    result = {
        "corpus": str(name),
        "sentences": len(sentences.sentences),
        "vocabulary": len(vocabulary),
        "epochs": int(epochs),
        "dim": int(dim),
        "dtype": dtype.name,
        "batch_size": int(batch_size),
        "settings": dict(SETTINGS),
        "stemmed_evaluation": stem,
        "scores": scores,
        "identical_scores": _same(scores["numpy"], scores["torch"]),
        "max_vector_difference": float(np.abs(engines["numpy"].vectors - engines["torch"].vectors).max()),
        "words_per_s": {engine: words_per_second(history) for engine, history in histories.items()},
        "loss_per_pair": {engine: histories[engine].metric("loss") for engine in ("numpy", "torch")},
        "neighbours": {
            engine: {w: [n for n, _ in found] for w, found in by_word.items()}
            for engine, by_word in neighbours.items()
        },
        "figures": {"pca": str(pca), "loss_curves": str(curves)},
        "files": [str(vectors_file), str(pca), str(curves)],
    }
    result["report"] = format_skipgram(result)
    return result


def train_twins(data, dim, epochs, *, seed, dtype=np.float32, progress="auto", engines=("numpy", "torch")):
    """Each engine's SkipGram trained on ``data`` from ``seed``: ({engine: WordVectors}, {engine: History})."""
    vectors, histories = {}, {}
    for engine in engines:
        model = TWINS[engine].SkipGram(len(data.vocabulary), dim, seed=seed, dtype=dtype, sparse=True)
        histories[engine] = train_word2vec(model, data, epochs, progress=progress, desc=f"skip-gram {engine}")
        vectors[engine] = WordVectors.from_model(model, data.vocabulary)
    return vectors, histories


def train_word2vec(
    model, data, epochs, *, start_lr=START_LR, end_lr=END_LR, progress="auto", desc="skip-gram"
):
    """Train either engine's SkipGram word2vec's way: its engine's training loop, plain SGD, the
    learning rate decaying linearly from ``start_lr`` to ``end_lr`` over all epochs. Returns the History."""
    engine = "torch" if isinstance(model, torch.nn.Module) else "numpy"
    optimizer = SGDS[engine](model.parameters(), lr=start_lr)
    schedule = numpy_optim.word2vec_lr(epochs, start_lr, end_lr)
    return FITS[engine](
        model,
        optimizer,
        data,
        epochs=epochs,
        lr_schedule=schedule,
        reduction="sum",
        progress=progress,
        desc=desc,
    )


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


def _same(a, b):
    """Equal score dicts, a NaN (no usable pair in a tiny vocabulary) equal to a NaN."""
    return a.keys() == b.keys() and all(a[k] == b[k] or (np.isnan(a[k]) and np.isnan(b[k])) for k in a)


def plot_pca(engines, queries, neighbours, path):
    """The query words and their nearest neighbours (by the NumPy vectors), projected on the first
    two principal components of those words' vectors; one panel per engine."""
    words = list(dict.fromkeys(queries + [n for w in queries for n, _ in neighbours[w][:3]]))
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

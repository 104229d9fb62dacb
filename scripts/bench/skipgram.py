"""Skip-gram speed and quality of every engine beside gensim's Word2Vec, side by side in one run.

    python -m scripts.bench.skipgram                       # head500, 3 epochs, batch 1024, 5 rounds
    python -m scripts.bench.skipgram --engines torch-autograd,gensim --repeats 5 --json out.json
    python -m scripts.bench.skipgram --quick               # lee_background, 1 epoch, 2 rounds

``words_per_second(engine, ...)`` trains one engine once and measures it: effective words (kept
after subsampling, gensim's measure) per second of training, by the wall clock and by the CPU
time of the process (which the other load on a shared machine leaves nearly alone), with the
evaluation scores of the vectors. Engines: ``numpy`` and ``torch-autograd`` (the twins in the one
training loop: sparse tables, plain SGD on each batch's summed loss, word2vec's decaying rate;
torch through autograd and ``torch.optim.SGD``), ``lightning`` (``paritynets-train fit`` on the
skip-gram config: SkipGramSystem, TextData, the CLI's callbacks and loggers, validation off while
timed) and ``gensim`` (``Word2Vec(sg=1)``, ``workers`` threads). ``side_by_side`` runs them in
turn, round after round after a warm-up round, and gives each engine's medians and ratios to
gensim with one worker measured in the same rounds. One thread each (``set_threads``), reported.
"""

import argparse
import statistics
import sys
import tempfile
import time
from functools import cache

from .data import ROOT

ENGINES = ("numpy", "torch-autograd", "lightning", "gensim")
CONFIG = ROOT / "configs" / "skipgram.yaml"  # the Lightning engine's, found from any working directory
SETTING = {"corpus": "head500", "epochs": 3, "dim": 100, "batch_size": 1024, "dtype": "float32", "seed": 0}


@cache
def sentences(corpus):
    from numpy_impl.text import TokenizedCorpus, load_corpus

    return TokenizedCorpus(load_corpus(corpus), name=str(corpus))


def words_per_second(engine, *, workers=1, shuffle=False, quality=True, **setting):
    """One training run of ``engine`` at ``setting`` (``SETTING``'s keys): a dict with
    ``words_per_s`` (wall), ``cpu_words_per_s``, ``words``, ``seconds``, the scores, ``threads``."""
    from scripts.main_job.skipgram_baseline import STEMMED_CORPORA, score

    s = SETTING | setting
    train = {"numpy": _twin, "torch-autograd": _twin, "lightning": _lightning, "gensim": _gensim}[engine]
    vectors, words, wall, cpu = train(engine, s, workers=workers, shuffle=shuffle)
    record = {"engine": engine, "workers": workers if engine == "gensim" else 1, "words": words}
    record |= {
        "seconds": wall,
        "cpu_seconds": cpu,
        "words_per_s": words / wall,
        "cpu_words_per_s": words / cpu,
    }
    record["threads"] = _threads()
    if quality:
        record |= score(vectors, stem=s["corpus"] in STEMMED_CORPORA)
    return record


def _data(s, shuffle):
    from numpy_impl.text import SkipGramData
    from scripts.main_job.skipgram_baseline import SETTINGS

    return SkipGramData(
        sentences(s["corpus"]), batch_size=s["batch_size"], shuffle=shuffle, seed=s["seed"], **SETTINGS
    )


def _twin(engine, s, *, shuffle, **_):
    """The twin trained by its engine's loop; time = the loop's epochs (pairs, negatives, steps)."""
    import numpy_impl.skipgram
    import torch_impl.skipgram
    from numpy_impl.embeddings import WordVectors
    from scripts.main_job.skipgram import train_word2vec

    module = numpy_impl.skipgram if engine == "numpy" else torch_impl.skipgram
    data = _data(s, shuffle)
    model = module.SkipGram(len(data.vocabulary), s["dim"], seed=s["seed"], dtype=s["dtype"], sparse=True)
    cpu = time.process_time()
    history = train_word2vec(model, data, s["epochs"], progress="off")
    cpu = time.process_time() - cpu
    return (
        WordVectors.from_model(model, data.vocabulary),
        sum(history.metric("words")),
        sum(history.seconds),
        cpu,
    )


def _gensim(engine, s, *, workers, **_):
    from gensim.models import Word2Vec

    from numpy_impl.embeddings import WordVectors
    from scripts.main_job.skipgram_baseline import SETTINGS

    corpus = sentences(s["corpus"]).sentences
    model = Word2Vec(
        vector_size=s["dim"],
        window=SETTINGS["window"],
        negative=SETTINGS["negatives"],
        min_count=SETTINGS["min_count"],
        sample=SETTINGS["sample"],
        sg=1,
        workers=workers,
        seed=s["seed"],
    )
    model.build_vocab(corpus)
    wall, cpu = time.perf_counter(), time.process_time()
    words, _ = model.train(corpus, total_examples=model.corpus_count, epochs=s["epochs"])
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return WordVectors(model.wv.index_to_key, model.wv.vectors), words, wall, cpu


def _lightning(engine, s, *, shuffle, **_):
    """``paritynets-train fit --config configs/skipgram.yaml`` at the setting, in this process;
    time = from the first training epoch's start to the last one's end (loaders, gate, steps,
    logging, the checkpoint at each epoch's end), validation and the config's mid-epoch
    checkpoints off (the scores are taken after)."""
    from numpy_impl.embeddings import WordVectors
    from torch_impl.lightning.cli import TrainCLI

    with tempfile.TemporaryDirectory() as root:
        args = ["--config", str(CONFIG), f"--trainer.default_root_dir={root}"]
        args += [f"--trainer.max_epochs={s['epochs']}", "--trainer.limit_val_batches=0", "--progress=off"]
        args += [f"--data.corpus={s['corpus']}", f"--data.batch_size={s['batch_size']}"]
        args += [
            f"--data.shuffle={shuffle}",
            f"--data.data_seed={s['seed']}",
            f"--seed_everything={s['seed']}",
        ]
        args += [f"--model.dim={s['dim']}", f"--model.dtype={s['dtype']}", f"--model.seed={s['seed']}"]
        args += [f"--threads={_threads()}", "--checkpoint_every=0"]  # last.ckpt at each epoch's end only
        cli = TrainCLI(args=args, run=False)
        clock = timer()
        cli.trainer.callbacks.append(clock)
        cli.trainer.fit(cli.model, cli.datamodule)
        data = cli.datamodule.skipgram_data
        words = sum(data.epoch(e).n_words for e in range(s["epochs"]))
        vectors = WordVectors.from_model(cli.model.model, data.vocabulary)
    return vectors, words, clock.wall, clock.cpu


def timer():
    """A Lightning callback timing training from its start to its end, wall and process CPU
    seconds (the class is made here: importing Lightning costs seconds)."""
    import lightning.pytorch as pl

    class Timer(pl.Callback):
        def on_train_start(self, trainer, pl_module):
            self.wall, self.cpu = time.perf_counter(), time.process_time()

        def on_train_end(self, trainer, pl_module):
            self.wall, self.cpu = time.perf_counter() - self.wall, time.process_time() - self.cpu

    return Timer()


def _threads():
    import torch

    return torch.get_num_threads()


def side_by_side(engines=ENGINES, *, repeats=5, gensim_workers=(1,), **setting):
    """Every engine (and gensim at each of ``gensim_workers``) trained in turn, a warm-up round
    then ``repeats`` rounds: {"runs": every record, "medians": per engine, with ``x_gensim`` and
    ``cpu_x_gensim``, the ratios of median words/s to gensim's with one worker}."""
    from numpy_impl.checks import one_of, positive_int

    for engine in engines:
        one_of(engine, ENGINES, "engine")
    for workers in gensim_workers:
        positive_int(workers, "gensim workers")
    positive_int(repeats, "repeats")
    plan = [(e, 1) for e in engines if e != "gensim"] + [("gensim", w) for w in sorted({1, *gensim_workers})]
    runs = []
    for round_ in range(repeats + 1):
        for engine, workers in plan:
            record = words_per_second(engine, workers=workers, quality=round_ == 1, **setting)
            if round_:  # round 0 warms caches and imports
                runs.append(record)
                print(_line(record), flush=True)
    medians = {}
    for engine, workers in plan:
        mine = [r for r in runs if (r["engine"], r["workers"]) == (engine, workers)]
        m = {k: statistics.median(r[k] for r in mine) for k in ("words_per_s", "cpu_words_per_s")}
        medians[_name(engine, workers)] = m | {k: v for k, v in mine[0].items() if k not in m}
    base = medians[_name("gensim", 1)]
    for m in medians.values():
        m["x_gensim"] = m["words_per_s"] / base["words_per_s"]
        m["cpu_x_gensim"] = m["cpu_words_per_s"] / base["cpu_words_per_s"]
    return {"setting": SETTING | setting, "repeats": repeats, "runs": runs, "medians": medians}


def _name(engine, workers):
    return f"gensim w{workers}" if engine == "gensim" else engine


def _line(r):
    return (
        f"  {_name(r['engine'], r['workers']):>15s}: {r['words_per_s'] / 1e3:6.0f} k words/s "
        f"({r['cpu_words_per_s'] / 1e3:.0f} k per CPU second), {r['threads']} thread(s)"
    )


def report(result, bands=(0.02, 1.0)):
    """The table of medians; quality within ``bands`` (wordsim353, analogy points) of gensim w1."""
    s, medians = result["setting"], result["medians"]
    base = medians["gensim w1"]
    lines = [
        f"skip-gram, {s['corpus']}, {s['epochs']} epochs, d {s['dim']}, batch {s['batch_size']}, "
        f"{s['dtype']}, seed {s['seed']}: medians of {result['repeats']} rounds after a warm-up",
        f"  {'engine':>15s} {'k words/s':>10s} {'x gensim':>9s} {'CPU x':>6s} {'wordsim353':>11s} "
        f"{'simlex999':>10s} {'analogy %':>10s}  quality",
    ]
    for name, m in medians.items():
        ok = abs(m["wordsim353"] - base["wordsim353"]) <= bands[0]
        ok = ok and abs(100 * (m["analogy_accuracy"] - base["analogy_accuracy"])) <= bands[1]
        lines.append(
            f"  {name:>15s} {m['words_per_s'] / 1e3:>10.0f} {m['x_gensim']:>9.2f} {m['cpu_x_gensim']:>6.2f} "
            f"{m['wordsim353']:>11.4f} {m['simlex999']:>10.4f} {100 * m['analogy_accuracy']:>10.2f}  "
            f"{'within' if ok else 'OUTSIDE'} the bands"
        )
    lines.append(f"  bands: wordsim353 within {bands[0]} of gensim w1, analogy within {bands[1]} point")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m scripts.bench.skipgram", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--engines", default=",".join(ENGINES))
    parser.add_argument("--gensim-workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1, help="torch and BLAS threads (default 1)")
    parser.add_argument("--quick", action="store_true", help="lee_background, 1 epoch, 2 rounds")
    parser.add_argument("--shuffle", action="store_true", help="the twins' pairs shuffled in each epoch")
    parser.add_argument("--json", help="write every run and the medians to this file")
    for key, value in SETTING.items():
        parser.add_argument(f"--{key.replace('_', '-')}", type=type(value), default=value)
    args = parser.parse_args(argv)
    setting = {k: getattr(args, k) for k in SETTING}
    if args.quick:
        setting |= {"corpus": "lee_background", "epochs": 1}
        args.repeats = min(args.repeats, 2)
    from torch_impl.threads import set_threads

    from .helpers import refused_by

    with refused_by(parser), set_threads(args.threads):
        result = side_by_side(
            args.engines.split(","),
            repeats=args.repeats,
            gensim_workers=args.gensim_workers,
            shuffle=args.shuffle,
            **setting,
        )
    print(report(result))
    if args.json:
        from numpy_impl.files import write_json

        write_json(args.json, result, default=float)
    return 0


if __name__ == "__main__":
    sys.exit(main())

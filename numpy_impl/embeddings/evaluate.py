"""Evaluation on gensim's bundled sets, scored the way gensim's ``KeyedVectors.evaluate_word_pairs``
and ``evaluate_word_analogies`` score them (case-insensitive, the first ``restrict_vocab`` words,
questions with unknown words skipped and counted), so our numbers and gensim's are comparable.

Stemmed variants serve corpora that are Porter-stemmed (``head500``): each word is stemmed with
gensim's ``PorterStemmer``; an analogy in which two of its four words stem alike is dropped.
"""

from pathlib import Path

import numpy as np

from ..checks import InputError

BUNDLED_SETS = {
    "wordsim353": "wordsim353.tsv",
    "simlex999": "simlex999.txt",
    "analogies": "questions-words.txt",
}


def dataset_path(name_or_path):
    """A bundled evaluation set by name (``wordsim353``, ``simlex999``, ``analogies``) or a path."""
    if name_or_path in BUNDLED_SETS:
        from gensim.test.utils import datapath

        return Path(datapath(BUNDLED_SETS[name_or_path]))
    path = Path(name_or_path)
    if not path.is_file():
        raise FileNotFoundError(f"no evaluation file at {path} (bundled sets: {sorted(BUNDLED_SETS)})")
    return path


def read_word_pairs(source, *, stem=False):
    """(word, word, human score) triples from a tab-separated file; '#' lines are comments."""
    path = dataset_path(source)
    pairs = []
    with open(path, encoding="utf8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip() or line.startswith("#"):
                continue
            fields = line.rstrip("\n").split("\t")
            try:
                a, b, score = fields
                pairs.append((a, b, float(score)))
            except ValueError:
                raise InputError(
                    f"{path}:{number}: expected 'word<TAB>word<TAB>score'; got {line.strip()!r}"
                ) from None
    if stem:
        stemmer = _stemmer()
        pairs = [(stemmer(a), stemmer(b), s) for a, b, s in pairs]
    return pairs


def read_analogies(source, *, stem=False):
    """Sections of (a, b, c, expected) questions from a file of ': section' headers and 4-word lines.

    Returns a list of (section name, questions)."""
    path = dataset_path(source)
    sections = []
    with open(path, encoding="utf8") as lines:
        for number, line in enumerate(lines, start=1):
            if line.startswith(":"):
                sections.append((line[1:].strip(), []))
                continue
            if not line.strip():
                continue
            words = line.split()
            if len(words) != 4:
                raise InputError(
                    f"{path}:{number}: an analogy has 4 words; got {len(words)}: {line.strip()!r}"
                )
            if not sections:
                raise InputError(f"{path}:{number}: a question before the first ': section' header")
            sections[-1][1].append(tuple(words))
    if stem:
        stemmer = _stemmer()
        stemmed = []
        for name, questions in sections:
            questions = [tuple(stemmer(w) for w in q) for q in questions]
            stemmed.append((name, [q for q in questions if len(set(q)) == 4]))
        sections = stemmed
    return sections


def evaluate_word_pairs(vectors, source="wordsim353", *, stem=False, restrict_vocab=300000):
    """Spearman (and Pearson) correlation of cosine similarities with human scores.

    Pairs with a word outside the first ``restrict_vocab`` words are skipped and reported."""
    from scipy import stats

    pairs = source if isinstance(source, list) else read_word_pairs(source, stem=stem)
    lookup = _lookup(vectors, restrict_vocab)
    used, gold, oov_words = [], [], set()
    for a, b, score in pairs:
        ia, ib = lookup.get(a.lower()), lookup.get(b.lower())
        if ia is None or ib is None:
            oov_words.update(w for w, i in ((a, ia), (b, ib)) if i is None)
            continue
        used.append((ia, ib))
        gold.append(score)
    result = {"pairs": len(pairs), "used": len(used), "oov": len(pairs) - len(used)}
    result["oov_ratio"] = 100.0 * result["oov"] / max(len(pairs), 1)
    result["oov_words"] = sorted(oov_words)
    if len(used) < 2:
        return {**result, "spearman": float("nan"), "pearson": float("nan")}
    ids = np.array(used)
    unit = vectors.unit
    model = np.einsum("ij,ij->i", unit[ids[:, 0]].astype(np.float64), unit[ids[:, 1]].astype(np.float64))
    result["spearman"] = float(stats.spearmanr(gold, model).statistic)
    result["pearson"] = float(stats.pearsonr(gold, model).statistic)
    return result


def evaluate_analogies(vectors, source="analogies", *, stem=False, restrict_vocab=300000):
    """3CosAdd accuracy on analogy questions whose four words are all among the first
    ``restrict_vocab`` words (a, b and c excluded from the answers); per section and in total.

    ``coverage`` is the share of questions that could be asked."""
    sections = source if isinstance(source, list) else read_analogies(source, stem=stem)
    lookup = _lookup(vectors, restrict_vocab)
    report, questions, owners = [], [], []
    for name, section in sections:
        asked = [ids for ids in ([lookup.get(w.lower()) for w in q] for q in section) if None not in ids]
        report.append({"section": name, "total": len(section), "evaluated": len(asked), "correct": 0})
        questions.extend(asked)
        owners.extend([len(report) - 1] * len(asked))
    if questions:
        ids = np.array(questions, dtype=np.int64)  # (Q, 4)
        predicted = vectors.nearest_ids(vectors.analogy_targets(ids[:, :3]), ids[:, :3], restrict_vocab)
        for owner, hit in zip(owners, predicted == ids[:, 3], strict=True):
            report[owner]["correct"] += int(hit)
    for entry in report:
        entry["accuracy"] = entry["correct"] / entry["evaluated"] if entry["evaluated"] else 0.0
    total = sum(e["total"] for e in report)
    evaluated = sum(e["evaluated"] for e in report)
    correct = sum(e["correct"] for e in report)
    return {
        "accuracy": correct / evaluated if evaluated else 0.0,
        "correct": correct,
        "evaluated": evaluated,
        "total": total,
        "coverage": evaluated / total if total else 0.0,
        "sections": report,
    }


def evaluate(vectors, *, stem=False, restrict_vocab=300000):
    """The three bundled sets at once: {wordsim353, simlex999, analogies} result dicts."""
    return {
        "wordsim353": evaluate_word_pairs(vectors, "wordsim353", stem=stem, restrict_vocab=restrict_vocab),
        "simlex999": evaluate_word_pairs(vectors, "simlex999", stem=stem, restrict_vocab=restrict_vocab),
        "analogies": evaluate_analogies(vectors, "analogies", stem=stem, restrict_vocab=restrict_vocab),
    }


def _lookup(vectors, restrict_vocab):
    """Lower-cased word -> row among the first ``restrict_vocab`` words; the first row wins."""
    lookup = {}
    for i, word in enumerate(vectors.words[: restrict_vocab or len(vectors)]):
        lookup.setdefault(word.lower(), i)
    return lookup


def _stemmer():
    """gensim's Porter stemmer, remembering each word's stem (the analogy set repeats its words)."""
    from gensim.parsing.porter import PorterStemmer

    stem, seen = PorterStemmer().stem, {}

    def cached(word):
        if word not in seen:
            seen[word] = stem(word)
        return seen[word]

    return cached

"""The run as tables: one Markdown table per row of the benchmark (it reads as well in a terminal as
in the README), or the one line saying why a row was not measured."""

TITLES = {
    "a_per_model": "a. Seconds per epoch and peak memory: NumPy twin, torch twin, Lightning",
    "b_sklearn": "b. Against scikit-learn (time per fit, held-out accuracy)",
    "c_skipgram": "c. Skip-gram effective words/s against gensim",
    "d_parity": "d. The full parity check of the four models (float64 + float32 + sampled finite differences)",
    "e_machine": "e. The machine's float32 matmul rate and the NumPy MLP step's share of it",
    "f_growth": "f. How cost grows",
    "g_gpu": "g. GPU",
}


def number(value, unit="", digits=3):
    if value is None:
        return "—"
    return f"{value:.{digits}g}{unit}" if abs(value) < 1000 else f"{value:,.0f}{unit}"


def markdown(headers, rows):
    """A Markdown table with its columns padded to one width each."""
    cells = [list(map(str, headers))] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    line = lambda row: "| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |"  # noqa: E731
    return "\n".join(
        [line(cells[0]), "|" + "|".join("-" * (w + 2) for w in widths) + "|"] + [line(r) for r in cells[1:]]
    )


def _memory(figures, engine):
    found = figures.get(engine, {})
    return number(found["peak_mb"], " MB", 4) + f" (+{found['added_mb']:.0f})" if "peak_mb" in found else "—"


def per_model(row):
    rows = [
        [
            r["model"],
            r["batch"],
            number(r.get("numpy_s"), " s"),
            number(r.get("torch_s"), " s"),
            number(r.get("lightning_s"), " s"),
            number(r.get("numpy_over_torch"), "×"),
            number(r.get("lightning_over_loop"), "×"),
            *(_memory(r["memory"], e) for e in ("numpy", "torch", "lightning")),
        ]
        for r in row["records"]
    ]
    headers = ["model", "batch", "NumPy", "torch", "Lightning", "NumPy/torch", "Lightning/loop"]
    headers += ["memory NumPy", "memory torch", "memory Lightning"]
    notes = _reasons(row["records"]) + _lightnings_own(row["records"])
    return markdown(headers, rows) + ("\n\n" + "\n".join(f"- {note}" for note in notes) if notes else "")


def _lightnings_own(records):
    """What of Lightning/loop is Lightning's own: the loss-only module's ratio on the same batches."""
    found = [
        f"{number(r['loss_only_over_loop'], '×')} ({r['model']}, batch {r['batch']})"
        for r in records
        if "loss_only_over_loop" in r
    ]
    if not found:
        return []
    return [
        "Lightning's own part of Lightning/loop: a LightningModule whose step is only the twin's loss "
        f"(every other hook Lightning's default) takes {', '.join(found)} the loop's time on the same batches"
    ]


def _reasons(records):
    """The distinct reasons of the figures a table leaves blank."""
    found = []
    for r in records:
        found += [f"{part}: {why}" for part, why in r["reasons"].items()]
        memory = r["memory"]
        found += [f"memory: {memory['reason']}"] if "reason" in memory else []
        found += [
            f"memory {e}: {m['reason']}" for e, m in memory.items() if isinstance(m, dict) and "reason" in m
        ]
    return list(dict.fromkeys(found))


def sklearn(row):
    rows = [
        [
            r["model"],
            number(r["numpy_s"], " s"),
            number(r["sklearn_s"], " s"),
            number(r["numpy_over_sklearn"], "×"),
            f"{100 * r['numpy_accuracy']:.2f} %",
            f"{100 * r['sklearn_accuracy']:.2f} %",
        ]
        for r in row["records"]
    ]
    headers = [
        "model",
        "NumPy fit",
        "scikit-learn fit",
        "NumPy/sklearn",
        "NumPy accuracy",
        "sklearn accuracy",
    ]
    return markdown(headers, rows)


def skipgram(row):
    rows = [
        [
            name,
            number(m["words_per_s"], "", 4),
            number(m["x_gensim"], "×"),
            f"{m['wordsim353']:.3f}",
            f"{m['simlex999']:.3f}",
            f"{100 * m['analogy_accuracy']:.2f} %",
        ]
        for name, m in row["engines"].items()
    ]
    s = row["setting"]
    setting = f"{s['corpus']}, {s['epochs']} epochs, d {s['dim']}, batch {s['batch_size']}, {s['dtype']}"
    headers = ["engine", "words/s", "× gensim (1 worker)", "wordsim353", "simlex999", "analogies"]
    return f"{setting}\n\n" + markdown(headers, rows)


def parity(row):
    rows = [[name, number(sec, " s")] for name, sec in row["seconds"].items()]
    rows.append(["total", number(row["total_s"], " s") + ("" if row["all_passed"] else " (FAILED)")])
    return markdown(["model", "seconds"], rows)


def machine(row):
    return markdown(
        ["matmul GFLOP/s", "NumPy MLP step GFLOP/s", "share of the matmul rate"],
        [[f"{row['matmul_gflops']:.0f}", f"{row['mlp_step_gflops']:.0f}", f"{100 * row['fraction']:.0f} %"]],
    )


def growth(row):
    lines = []
    for name, curve in row["curves"].items():
        if "reason" in curve:
            lines.append(f"- {name}: {curve['reason']}")
        elif "series" in curve:
            series = "; ".join(
                f"{s} " + ", ".join(number(v) for v in values) for s, values in curve["series"].items()
            )
            lines.append(f"- {name} ({curve['label']} {curve['x']}, {curve['unit']}): {series}")
        if "efficiency" in curve:
            lines[-1] += "; efficiency " + ", ".join(f"{m} {e:.2f}" for m, e in curve["efficiency"].items())
    return "\n".join(lines)


def gpu(row):
    """Training rates per device (examples/s, words/s for skip-gram) and the first device's over the last's."""
    devices = row["devices"]
    first, last = list(devices)[0], list(devices)[-1]
    rows = [
        [m, *(number(devices[d][m]["per_second"], "", 4) for d in devices)]
        + [number(devices[first][m]["per_second"] / devices[last][m]["per_second"], "×")]
        for m in devices[first]
    ]
    return markdown(["model", *devices, f"{first} / {last}"], rows)


FORMATS = {
    "a_per_model": per_model,
    "b_sklearn": sklearn,
    "c_skipgram": skipgram,
    "d_parity": parity,
    "e_machine": machine,
    "f_growth": growth,
    "g_gpu": gpu,
}


def tables(results):
    """Every row's title and table (or its status and reason), in the benchmark's order."""
    parts = []
    for key, row in results["rows"].items():
        body = FORMATS[key](row) if row["status"] == "ok" else _why(row)
        parts.append(f"**{TITLES[key]}**\n\n{body}")
    return "\n\n".join(parts)


def _why(row):
    status, reason = row["status"], row["reason"]
    return reason if reason.startswith(status) else f"{status}: {reason}"

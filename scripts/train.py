"""Training with Lightning: ``paritynets-train`` or ``python -m scripts.train``.

    paritynets-train fit --config configs/mlp.yaml           # also validate | test | predict
    paritynets-train fit --config configs/mlp.yaml --ckpt_path last
    paritynets-train export runs/mlp/version_0/checkpoints/last.ckpt [--out FILE]

The command line is ``torch_impl.lightning.cli.TrainCLI`` (LightningCLI; ``--help``); ``export``
writes a checkpoint's weights as safetensors for the NumPy twin (``torch_impl.lightning.export``).
A parity gate failure or bad input ends the command with its message and exit status 1, not a
traceback; Ctrl-C or SIGTERM stop it at the end of a batch with ``last.ckpt`` written there, one
line, and status 130 / 143.
"""

import argparse
import sys


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["export"]:
        return export(argv[1:])
    from numpy_impl.checks import InputError  # noqa: I001 (Lightning's import costs seconds: only here)
    from numpy_impl.stopping import Stopped, stop_on_signals
    from torch_impl.lightning.cli import TrainCLI, with_run_config
    from torch_impl.lightning.gate import ParityGateError
    from lightning.pytorch.utilities.exceptions import MisconfigurationException, SIGTERMException

    from torch_impl.lightning.distributed import ReplicasDisagree, end_process_group, lost_peer

    try:
        with stop_on_signals():
            TrainCLI(args=with_run_config(argv))
    except Stopped as stop:
        print(f"paritynets-train: {stop}", file=sys.stderr)
        return stop.code
    except SIGTERMException:  # Lightning's own, in a multi-process run
        print("paritynets-train: stopped by SIGTERM (Lightning stopped every rank)", file=sys.stderr)
        return 143
    except (
        ParityGateError,
        InputError,
        ConnectionError,
        FloatingPointError,
        MisconfigurationException,
        ReplicasDisagree,
    ) as err:
        print(err, file=sys.stderr)
        return 1
    except RuntimeError as err:  # a collective whose peer died: one line, not gloo's traceback
        reason = lost_peer(err)
        if reason is None:
            raise
        print(f"paritynets-train: {reason}", file=sys.stderr)
        return 1
    except ValueError as err:  # jsonargparse wraps a constructor's InputError in its own ValueError
        cause = input_error_behind(err, InputError)
        if cause is None:
            raise
        print(cause, file=sys.stderr)
        return 1
    finally:
        end_process_group()  # a DDP process that exits with its group alive aborts in gloo's threads
    return 0


def input_error_behind(err, kind):
    """The ``kind`` exception ``err`` was raised from (its chain of causes), or None."""
    while err is not None and not isinstance(err, kind):
        err = err.__cause__ or err.__context__
    return err


def export(argv):
    parser = argparse.ArgumentParser(
        prog="paritynets-train export", description="a checkpoint's twin as safetensors for NumPy"
    )
    parser.add_argument("checkpoint", help="a .ckpt file written by paritynets-train fit")
    parser.add_argument("--out", help="the safetensors file (default: beside the checkpoint)")
    args = parser.parse_args(argv)
    from numpy_impl.checks import InputError
    from torch_impl.lightning.export import export_checkpoint

    try:
        out = export_checkpoint(args.checkpoint, args.out)
    except InputError as err:
        print(f"paritynets-train export: error: {err}", file=sys.stderr)
        return 1
    print(f"wrote {out}: load it with the NumPy twin (see torch_impl/lightning/export.py)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Training with Lightning: ``paritynets-train`` or ``python -m scripts.train``.

    paritynets-train fit --config configs/mlp.yaml           # also validate | test | predict
    paritynets-train fit --config configs/mlp.yaml --ckpt_path last
    paritynets-train export runs/mlp/version_0/checkpoints/last.ckpt [--out FILE]

The command line is ``torch_impl.lightning.cli.TrainCLI`` (LightningCLI; ``--help``); ``export``
writes a checkpoint's weights as safetensors for the NumPy twin (``torch_impl.lightning.export``).
A parity gate failure or bad input ends the command with its message and exit status 1, not a
traceback.
"""

import argparse
import sys


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["export"]:
        return export(argv[1:])
    from numpy_impl.checks import InputError  # noqa: I001 (Lightning's import costs seconds: only here)
    from torch_impl.lightning.cli import TrainCLI, with_run_config
    from torch_impl.lightning.gate import ParityGateError

    from torch_impl.lightning.distributed import end_process_group

    try:
        TrainCLI(args=with_run_config(argv))
    except (ParityGateError, InputError) as err:
        print(err, file=sys.stderr)
        return 1
    finally:
        end_process_group()  # a DDP process that exits with its group alive aborts in gloo's threads
    return 0


def export(argv):
    parser = argparse.ArgumentParser(
        prog="paritynets-train export", description="a checkpoint's twin as safetensors for NumPy"
    )
    parser.add_argument("checkpoint", help="a .ckpt file written by paritynets-train fit")
    parser.add_argument("--out", help="the safetensors file (default: beside the checkpoint)")
    args = parser.parse_args(argv)
    from torch_impl.lightning.export import export_checkpoint

    out = export_checkpoint(args.checkpoint, args.out)
    print(f"wrote {out}: load it with the NumPy twin (see torch_impl/lightning/export.py)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

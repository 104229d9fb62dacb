"""``paritynets-train``: LightningCLI over the systems and data modules, with the project's defaults.

    paritynets-train fit --config configs/mlp.yaml            # a new run: runs/mlp/version_<n>/
    paritynets-train fit --config configs/mlp.yaml --ckpt_path last   # go on with the newest run
    paritynets-train test --ckpt_path runs/mlp/version_0/checkpoints/last.ckpt   # its config is found
    paritynets-train fit --config configs/mlp.yaml --print_config

Besides Lightning's own arguments: ``--parity_gate`` (default true: the gate runs before the first
optimizer step), ``--checkpoint_every N`` (also write ``last.ckpt`` every N steps, not only at the
end of each epoch), ``--progress auto|bar|lines|off`` (auto: Lightning's bar on a terminal, one line
per epoch otherwise). Loggers, checkpoint callbacks and the atomic checkpoint writer are added
here rather than left to Lightning's defaults; ``runs.py`` says where each command writes.
"""

import importlib.util
import logging
import re
import shutil
import sys
import warnings
from typing import Literal

from lightning.fabric.plugins.environments import SLURMEnvironment
from lightning.pytorch import LightningDataModule
from lightning.pytorch.callbacks import ModelCheckpoint
from lightning.pytorch.cli import LightningCLI
from lightning.pytorch.loggers import CSVLogger
from lightning.pytorch.utilities import rank_zero_only

from numpy_impl.checks import positive_int
from numpy_impl.checks import seed as check_seed
from numpy_impl.files import remove_stale_temporaries_below
from numpy_impl.locks import PathLock, remove_stale_locks_below

from ..threads import use_threads
from .checkpoint_io import AtomicCheckpointIO
from .gate import ParityGate
from .guard import RecordRunKey, check_model_config, check_resume, read_checkpoint, run_key
from .predictions import SavePredictions
from .progress import EpochLines
from .requeue import Requeue
from .runs import claim, global_rank, keep_metrics, plan_run, run_config
from .stopping import StopCleanly
from .system import TwinSystem

QUIET = (  # Lightning's messages that say nothing about this run
    "Tip: For seamless",
    "isinstance(treespec, LeafSpec)",
    "does not have many workers",
    "exists and is not empty",
    "The number of training batches",
    "LightningCLI's args parameter is intended",
    "callbacks used to create the checkpoint need to be provided",  # validate/test add none
    "The dirpath has changed from",  # testing a checkpoint writes into <run>/test/
    "Couldn't infer the batch indices",  # predictions are written in order, without them
    "The `srun` command is available",  # on a machine with SLURM installed, outside a job
    "overridden `transfer_batch_to_device`",  # the systems' own hook is meant to win (CPU: no walk)
)


class TrainCLI(LightningCLI):
    def __init__(self, args=None, run=True, **kwargs):
        quiet_lightning()
        self.plan = self.lock = self.checkpoint = self.key = None
        self.runs = run  # run=False only builds the objects: no run directory is claimed then
        try:
            super().__init__(
                TwinSystem,
                LightningDataModule,
                subclass_mode_model=True,
                subclass_mode_data=True,
                args=args,
                run=run,
                auto_configure_optimizers=False,  # optimizers are the systems' typed hyperparameters
                save_config_kwargs={"overwrite": True},  # a resumed run rewrites its own config.yaml
                seed_everything_default=0,
                **kwargs,
            )
        except BaseException:
            self.discard_unused_run()
            raise
        else:
            if run and self.trainer.fast_dev_run:
                self.discard_unused_run()
        finally:
            if self.lock is not None:
                self.lock.release()

    def discard_unused_run(self):
        """A run directory this command created and that trained no step goes again (a refused
        or failed command leaves the disk as it found it), as does a ``fast_dev_run``'s (Lightning
        writes no log, config or checkpoint then: a smoke test leaves nothing behind)."""
        trainer = getattr(self, "trainer", None)
        unused = trainer is None or trainer.global_step == 0 or trainer.fast_dev_run
        if self.plan is not None and self.plan.created and unused:
            shutil.rmtree(self.plan.log_dir, ignore_errors=True)
            if self.plan.root_created:
                shutil.rmtree(self.plan.save_dir, ignore_errors=True)

    def add_arguments_to_parser(self, parser):
        parser.add_argument("--parity_gate", type=bool, default=True, help="check the twins before training")
        parser.add_argument(
            "--checkpoint_every", type=int, default=0, help="also write last.ckpt every N steps"
        )
        parser.add_argument("--progress", type=Literal["auto", "bar", "lines", "off"], default="auto")
        parser.add_argument(
            "--threads", type=int | None, default=None, help="torch and BLAS threads (default: torch's)"
        )

    def parse_arguments(self, parser, args):
        super().parse_arguments(parser, args)
        subcommand = self.config.get("subcommand")
        config = self.config[subcommand] if subcommand else self.config
        seed = config.get("seed_everything")
        if not isinstance(seed, bool) and seed is not None:  # Lightning would refuse it deep in its code
            check_seed(seed, "--seed_everything")
        root = config.trainer.default_root_dir or "runs"
        ckpt_path, self.plan = plan_run(subcommand or "fit", root, config.get("ckpt_path"))
        self.checkpoint = read_checkpoint(ckpt_path) if ckpt_path not in (None, "best") else None
        if subcommand:
            config.ckpt_path = ckpt_path

    def _parse_ckpt_path(self):
        subcommand = self.config.get("subcommand")
        if self.checkpoint is not None and subcommand:
            config = self.config[subcommand]
            check_model_config(config.ckpt_path, self.checkpoint, config.model, resuming=subcommand == "fit")
        super()._parse_ckpt_path()

    def claim_run(self, config, trainer):
        """Before anything is written: the checkpoint suits this run (``guard``); then the run's
        directory is taken and held, and what a killed run left there is cleaned."""
        if self.subcommand in (None, "fit"):
            self.key = run_key(self.model, self.datamodule, trainer, config.get("seed_everything"))
            if self.checkpoint is not None:
                check_resume(config.ckpt_path, self.checkpoint, self.key)
        plan = claim(self.plan)
        if global_rank() == 0:
            existed = plan.log_dir.is_dir()
            self.lock = PathLock(plan.log_dir, f"run directory of {self.subcommand or 'fit'}", directory=True)
            self.lock.acquire()
            plan.created = plan.created or not existed
            remove_stale_temporaries_below(plan.save_dir)  # a killed run's, of any version
            remove_stale_locks_below(plan.save_dir)

    def instantiate_trainer(self, **kwargs):
        config = self.config[self.subcommand] if self.subcommand else self.config
        trainer = self._get(self.config_init, "trainer", default={})
        use_threads(config.threads)  # before the first step, in every rank's process
        if self.runs:
            self.claim_run(config, trainer)
        bar = trainer.get("enable_progress_bar")  # the config's choice, else --progress
        if bar is None:
            bar = {"auto": sys.stdout.isatty(), "bar": True}.get(config.progress, False)
        kwargs["enable_progress_bar"] = bar
        if trainer.get("logger") in (None, True):
            kwargs["logger"] = self.loggers()
        kwargs["callbacks"] = list(trainer.get("callbacks") or []) + self.run_callbacks(config, lines=not bar)
        kwargs["plugins"] = trainer.get("plugins") or [AtomicCheckpointIO()]  # a config's own are kept
        return super().instantiate_trainer(**kwargs)

    def loggers(self):
        """CSV always; TensorBoard beside it when installed. Both write to the run's directory."""
        plan = self.plan
        if plan.resumed and rank_zero_only.rank == 0:  # ranks started together would race to rename
            keep_metrics(plan.log_dir)
        loggers = [CSVLogger(plan.save_dir, name="", version=plan.version)]
        if importlib.util.find_spec("tensorboard") or importlib.util.find_spec("tensorboardX"):
            from lightning.pytorch.loggers import TensorBoardLogger

            loggers.append(TensorBoardLogger(plan.save_dir, name="", version=plan.version))
        return loggers

    def run_callbacks(self, config, *, lines):
        """The gate, the checkpoints and the epoch lines of ``fit``; the prediction writer of ``predict``."""
        if self.subcommand == "predict":
            return [SavePredictions()]
        if self.subcommand not in (None, "fit"):
            return []
        callbacks = [ParityGate(config.parity_gate), RecordRunKey(self.key), StopCleanly()]
        every = positive_int(config.checkpoint_every, "--checkpoint_every", minimum=0)
        # none when the trainer asks for none (Lightning refuses a ModelCheckpoint beside
        # enable_checkpointing: false), nor in a fast_dev_run smoke test (ModelCheckpoint skips its
        # saves then, but still writes last.ckpt as training ends)
        if config.trainer.get("enable_checkpointing") is not False and not config.trainer.get("fast_dev_run"):
            at_epoch_end = ModelCheckpoint(save_last=True, enable_version_counter=False)
            callbacks.append(at_epoch_end)
            if every:
                callbacks.append(
                    ModelCheckpoint(
                        every_n_train_steps=every, save_top_k=0, save_last=True, enable_version_counter=False
                    )
                )
        if lines and config.progress != "off":
            callbacks.append(EpochLines())
        if SLURMEnvironment.detect():
            callbacks.append(Requeue())  # SIGUSR1: last.ckpt at a step boundary, then requeue
        return callbacks


def with_run_config(args):
    """``args`` with ``--config <run>/config.yaml`` first when they name a checkpoint of a run but
    no config: ``test --ckpt_path runs/mlp/version_0/checkpoints/last.ckpt`` alone works (bare
    LightningCLI fails there on the missing model and data arguments)."""
    args = list(args)
    if any(a == "--config" or a.startswith("--config=") for a in args):
        return args
    ckpt = next((a.split("=", 1)[1] for a in args if a.startswith("--ckpt_path=")), None)
    if ckpt is None and "--ckpt_path" in args[:-1]:
        ckpt = args[args.index("--ckpt_path") + 1]
    config = run_config(ckpt) if ckpt not in (None, "last", "best") else None
    if config is None or not args:
        return args
    return [args[0], "--config", str(config), *args[1:]]


class _Quiet(logging.Filter):
    def filter(self, record):
        return not any(text in record.getMessage() for text in QUIET)


def quiet_lightning():
    """Keep Lightning's advertisements and known-harmless warnings out of the run's output."""
    for name in ("lightning.pytorch.utilities.rank_zero", "lightning.fabric.utilities.rank_zero"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, _Quiet) for f in logger.filters):
            logger.addFilter(_Quiet())
    for text in QUIET:
        warnings.filterwarnings("ignore", message=f".*{re.escape(text)}")

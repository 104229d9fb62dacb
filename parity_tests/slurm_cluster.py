"""A one-node SLURM cluster for a test, in a temporary directory: its own munge daemon (a private
socket), slurmctld and slurmd on free ports, with state, spool, pid and log files inside the
directory; stopped by the pids in their pid files. Needs Debian's ``slurm-wlm`` and ``munge``
(``.ci/run`` installs them) and root (SlurmUser=root)."""

import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import lightning.pytorch as pl

CRED_EXPIRE = 10
ENDED = ("COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL", "OUT_OF_MEMORY")
DAEMONS = ("munged", "slurmctld", "slurmd", "sbatch", "scontrol", "sinfo")
MUNGE_KEY = Path("/etc/munge/munge.key")


def missing():
    """Why no cluster can start here (a sentence), or None."""
    absent = [d for d in DAEMONS if shutil.which(d) is None]
    if absent:
        return f"{', '.join(absent)} not installed (apt-get install -y slurm-wlm munge, as .ci/run does)"
    if os.geteuid() != 0:
        return "the one-node SLURM cluster runs its daemons as root (SlurmUser=root)"
    if not MUNGE_KEY.is_file():
        return f"{MUNGE_KEY} is missing (the munge package creates it)"
    return None


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def slurm_conf(directory, host, cpus, munge_socket):
    d = Path(directory)
    lines = [
        "ClusterName=paritynets-test",
        f"SlurmctldHost={host}",
        "SlurmUser=root",
        "SlurmdUser=root",
        "AuthType=auth/munge",
        "CredType=cred/munge",
        # cred_expire: how long slurmd keeps a killed job's credential revoked, and so how long a
        # requeued job waits to start again (120 s by default; started earlier, slurmd refuses it:
        # "Job credential revoked")
        f"AuthInfo=socket={munge_socket},cred_expire={CRED_EXPIRE}",
        f"SlurmctldPort={free_port()}",
        f"SlurmdPort={free_port()}",
        f"StateSaveLocation={d / 'state'}",
        f"SlurmdSpoolDir={d / 'spool'}",
        f"SlurmctldPidFile={d / 'slurmctld.pid'}",
        f"SlurmdPidFile={d / 'slurmd.pid'}",
        f"SlurmctldLogFile={d / 'slurmctld.log'}",
        f"SlurmdLogFile={d / 'slurmd.log'}",
        "ProctrackType=proctrack/linuxproc",
        "TaskPlugin=task/none",
        "SelectType=select/cons_tres",
        "SelectTypeParameters=CR_Core",
        "SchedulerType=sched/builtin",
        "SchedulerParameters=sched_interval=2",  # a requeued job starts once its begin time has passed
        "MpiDefault=none",
        "JobRequeue=1",
        "ReturnToService=2",
        "KillWait=5",
        "MinJobAge=600",
        "SlurmdParameters=config_overrides",
        "AccountingStorageType=accounting_storage/none",
        "JobAcctGatherType=jobacct_gather/none",
        "JobCompType=jobcomp/none",
        f"NodeName={host} CPUs={cpus} RealMemory=2000 State=UNKNOWN",
        f"PartitionName=test Nodes={host} Default=YES MaxTime=INFINITE State=UP",
    ]
    return "\n".join(lines) + "\n"


class Cluster:
    """``with Cluster(tmp) as cluster: job = cluster.submit(script, *args)``; ``cluster.env`` is the
    environment that points SLURM's commands at it."""

    def __init__(self, directory, cpus=2):
        self.directory = Path(directory)
        self.host = socket.gethostname()
        self.cpus = cpus
        self.conf = self.directory / "slurm.conf"
        self.env = {**os.environ, "SLURM_CONF": str(self.conf)}
        self.pid_files = []

    def __enter__(self):
        d = self.directory
        for sub in ("state", "spool", "munge"):
            (d / sub).mkdir(parents=True, exist_ok=True)
        socket_path = d / "munge" / "munge.socket"
        self.start_munge(socket_path)
        self.conf.write_text(slurm_conf(d, self.host, self.cpus, socket_path))
        self.start(["slurmctld", "-f", str(self.conf)], d / "slurmctld.pid")
        self.start(["slurmd", "-f", str(self.conf), "-N", self.host], d / "slurmd.pid")
        self.wait_until_idle()
        return self

    def __exit__(self, *exc):
        for pid_file in reversed(self.pid_files):
            try:
                os.kill(int(pid_file.read_text().split()[0]), signal.SIGTERM)
            except (FileNotFoundError, ValueError, ProcessLookupError):
                pass
        time.sleep(0.5)

    def start_munge(self, socket_path):
        d = self.directory / "munge"
        pid = d / "munged.pid"
        command = ["munged", "--force", f"--socket={socket_path}", f"--pid-file={pid}"]
        command += [
            f"--log-file={d / 'munged.log'}",
            f"--seed-file={d / 'munged.seed'}",
            f"--key-file={MUNGE_KEY}",
        ]
        self.run(command)
        self.pid_files.append(pid)

    def start(self, command, pid_file):
        self.run(command)  # each daemon forks into the background and writes its pid file
        self.pid_files.append(pid_file)
        deadline = time.monotonic() + 20
        while not pid_file.exists() and time.monotonic() < deadline:
            time.sleep(0.1)

    def run(self, command, check=True):
        done = subprocess.run(command, env=self.env, capture_output=True, text=True, timeout=60)
        if check and done.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} failed ({done.returncode}): {done.stderr}{self.logs()}")
        return done.stdout

    def logs(self):
        return "".join(
            f"\n--- {p.name}\n{p.read_text()[-2000:]}" for p in sorted(self.directory.glob("*.log"))
        )

    def wait_until_idle(self, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            done = subprocess.run(["sinfo", "-h", "-o", "%T"], env=self.env, capture_output=True, text=True)
            if done.stdout.strip() == "idle":
                return
            time.sleep(0.3)
        raise RuntimeError(f"the SLURM node is not idle after {timeout} s{self.logs()}")

    def submit(self, script, *args, cwd, env=None, output):
        command = ["sbatch", "--parsable", f"--chdir={cwd}", f"--output={output}", str(script), *args]
        done = subprocess.run(
            command,
            env={**(env or os.environ), "SLURM_CONF": str(self.conf)},
            capture_output=True,
            text=True,
            timeout=60,
        )
        if done.returncode != 0:
            raise RuntimeError(f"sbatch failed: {done.stderr}{self.logs()}")
        return done.stdout.strip().split(";")[0]

    def job(self, job_id):
        """scontrol's fields of a job (JobState, Restarts, ExitCode...)."""
        fields = self.run(["scontrol", "-o", "show", "job", job_id]).split()
        return dict(f.split("=", 1) for f in fields if "=" in f)

    def wait(self, job_id, timeout):
        """The job's fields once it has ended (COMPLETED, FAILED, CANCELLED, TIMEOUT...)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            job = self.job(job_id)
            if job["JobState"] in ENDED:
                return job
            time.sleep(0.5)
        self.run(["scancel", job_id], check=False)
        raise TimeoutError(
            f"job {job_id} still {self.job(job_id)['JobState']} after {timeout} s{self.logs()}"
        )


class SlowSteps(pl.Callback):
    """A pause after every optimizer step of a job's run (``--trainer.callbacks+=slurm_cluster.SlowSteps``):
    the digits' 720 steps take ~2 s on 2 CPUs, less than a loaded machine may take to deliver
    ``scancel --signal``; paused, the run is still training when the signal lands. Sleeping changes
    no weight."""

    def __init__(self, seconds: float = 0.02):
        self.seconds = seconds

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx):
        time.sleep(self.seconds)

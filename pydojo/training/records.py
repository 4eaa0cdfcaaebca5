"""Run records shared by every trainer: metrics JSONL, checkpoints, learning curves, progress bar.

Layout under a run directory: ``metrics.jsonl`` (one JSON object per logged iteration),
``checkpoints/ckpt_<iteration>.eqx`` (+ ``latest`` pointer), ``figures/learning_curve.png``.
A checkpoint holds any pytree (parameters, optimizer state, RNG key, iteration), written with
equinox's leaf serialisation, so restoring into a template of the same structure resumes a run
exactly.
"""
from __future__ import annotations

import hashlib
import io
import json
import logging
import math
import os
import pathlib
from typing import Any, Iterable

import equinox as eqx
import jax
import numpy as np

logger = logging.getLogger(__name__)


def _plain(value):
    if isinstance(value, (jax.Array, np.ndarray, np.generic)):
        value = np.asarray(value)
        return value.item() if value.ndim == 0 else value.tolist()
    return value


# one line per logged iteration; conf/train.yaml sends it to train.log only (the console has the progress bar)
iteration_logger = logging.getLogger("pydojo.iterations")


def format_row(row: dict) -> str:
    """``iteration 3: train_return=-0.734 eval_return=-0.671 ...`` (numbers to 4 significant digits)."""
    parts = [f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in row.items() if k != "iteration"]
    return f"iteration {row.get('iteration')}: " + " ".join(parts)


class MetricsLog:
    """Append-only JSON-lines metrics file; every row also goes to the ``sinks`` (``pydojo.training.loggers``)."""

    def __init__(self, run_dir: str | os.PathLike, name: str = "metrics.jsonl", sinks: list | None = None):
        self.path = pathlib.Path(run_dir) / name
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.sinks = list(sinks or [])
        self._handler: logging.Handler | None = None

    def write(self, **metrics: Any) -> None:
        row = {k: _plain(v) for k, v in metrics.items()}
        with self.path.open("a") as f:
            f.write(json.dumps(row) + "\n")
        iteration_logger.info(format_row(row))
        for sink in self.sinks:
            sink.log(row)

    def close(self, failed: bool = False) -> None:
        """Flush and close the sinks (an MLflow run is marked FAILED if ``failed``) and stop writing train.log
        lines; the JSONL file itself is closed after every row."""
        for sink in self.sinks:
            sink.close(failed)
        self.sinks = []
        if self._handler is not None:
            iteration_logger.removeHandler(self._handler)
            self._handler.close()
            self._handler = None

    def log_iterations_to(self, path: pathlib.Path) -> None:
        """Append each row as one line to ``path`` (the run's train.log; not the console, which has the bar)."""
        self._handler = logging.FileHandler(path, mode="a")
        self._handler.setFormatter(logging.Formatter("[%(asctime)s][%(name)s][%(levelname)s] - %(message)s"))
        iteration_logger.addHandler(self._handler)
        iteration_logger.setLevel(logging.INFO)
        iteration_logger.propagate = False

    def read(self) -> list[dict]:
        """The records; a torn last line (the writer was killed mid-line: no newline, not valid JSON) is dropped."""
        if not self.path.exists():
            return []
        text = self.path.read_text()
        lines = text.split("\n")
        rows = []
        for i, line in enumerate(lines):
            if not line.strip():
                continue
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError:
                if i == len(lines) - 1:  # unterminated final line
                    break
                raise ValueError(f"{self.path}: line {i + 1} is not valid JSON: {line[:80]!r}") from None
        return rows

    def truncate_after(self, iteration: int) -> None:
        """Drop records past ``iteration`` (used when resuming from a checkpoint); written atomically."""
        rows = [r for r in self.read() if r.get("iteration", -1) <= iteration]
        _write_atomic(self.path, "".join(json.dumps(r) + "\n" for r in rows).encode())


def _write_atomic(path: pathlib.Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that a kill at any moment leaves either the old or the new file."""
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def _checkpoint_dir(run_dir) -> pathlib.Path:
    return pathlib.Path(run_dir) / "checkpoints"


KEEP_CHECKPOINTS = 3  # the newest K checkpoints are kept: a damaged newest one falls back to the one before
_MAGIC = b"PYDOJO-CKPT-SHA256 "  # header: magic, 64 hex digits of the payload's SHA-256, newline


class CheckpointError(ValueError):
    """A checkpoint that cannot be read back (truncated, corrupted, or of another run's structure)."""


def save_checkpoint(run_dir, iteration: int, tree: Any, keep: int = KEEP_CHECKPOINTS) -> pathlib.Path:
    """Write ``tree`` (any pytree of arrays) as checkpoint ``iteration``, with a SHA-256 of its bytes, mark it
    latest and delete all but the newest ``keep`` checkpoints. Every file is written to a temporary name,
    fsynced and renamed, so a kill at any moment leaves the previous checkpoints intact."""
    if keep < 1:
        raise ValueError(f"keep must be >= 1 checkpoint, got {keep}")
    directory = _checkpoint_dir(run_dir)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"ckpt_{iteration:07d}.eqx"
    buffer = io.BytesIO()
    eqx.tree_serialise_leaves(buffer, tree)
    payload = buffer.getvalue()
    _write_atomic(path, _MAGIC + hashlib.sha256(payload).hexdigest().encode() + b"\n" + payload)
    _write_atomic(directory / "latest", path.name.encode())
    for old in _checkpoints(directory)[:-keep]:
        old.unlink(missing_ok=True)
    return path


def _checkpoints(directory: pathlib.Path) -> list[pathlib.Path]:
    """Checkpoint files, oldest first (by iteration number)."""
    return sorted(directory.glob("ckpt_*.eqx")) if directory.is_dir() else []


def latest_checkpoint(run_dir) -> pathlib.Path | None:
    """The checkpoint the ``latest`` pointer names; if the pointer is missing, empty or names a missing
    file (a run killed mid-write by an older version), the highest-numbered checkpoint file, else None."""
    directory = _checkpoint_dir(run_dir)
    pointer = directory / "latest"
    name = pointer.read_text().strip() if pointer.exists() else ""
    if name and (directory / name).is_file():
        return directory / name
    found = _checkpoints(directory)
    return found[-1] if found else None


def restore_checkpoint(path, template: Any) -> Any:
    """Read a checkpoint into a pytree with the structure (and dtypes) of ``template``; verifies the
    checksum and raises ``CheckpointError`` naming the file if the bytes are damaged or do not fit."""
    path = pathlib.Path(path)
    data = path.read_bytes()
    if data.startswith(_MAGIC):
        header, _, payload = data[len(_MAGIC):].partition(b"\n")
        if hashlib.sha256(payload).hexdigest().encode() != header:
            raise CheckpointError(f"{path}: checksum mismatch (the file is truncated or corrupted)")
    else:  # written before checksums were added: nothing to verify against
        payload = data
    try:
        return eqx.tree_deserialise_leaves(io.BytesIO(payload), template)
    except Exception as err:  # equinox/numpy report leaf paths, not the file
        raise CheckpointError(f"{path}: cannot be read into this run's state ({type(err).__name__}: {err})") from None


def resume(run_dir, template: Any, log: "MetricsLog", iteration_of) -> tuple[Any, int]:
    """(state, first iteration to run) for a run directory: the newest intact checkpoint restored into
    ``template`` (a damaged one is skipped with a warning naming it), the metrics log cut to the
    iterations it covers; with no checkpoint, ``template`` and an emptied log (a run killed before its
    first checkpoint starts again from 0 without duplicate rows). ``iteration_of(state)`` reads the
    number of completed iterations. Raises ``CheckpointError`` if checkpoints exist but none is intact."""
    directory = _checkpoint_dir(run_dir)
    newest = latest_checkpoint(run_dir)
    candidates = ([newest] if newest else []) + [p for p in reversed(_checkpoints(directory)) if p != newest]
    bad = []
    for path in candidates:
        try:
            state = restore_checkpoint(path, template)
        except CheckpointError as err:
            bad.append(str(err))
            logger.warning("skipping damaged checkpoint: %s", err)
            continue
        start = int(iteration_of(state))
        log.truncate_after(start - 1)
        message = f"resuming from iteration {start} of {pathlib.Path(run_dir)} ({path.name})"
        logger.info(message)  # Hydra shows it on the console and in train.log
        return state, start
    if bad:
        raise CheckpointError("no intact checkpoint to resume from:\n  " + "\n  ".join(bad)
                              + f"\nmove {directory} away to start this run again from iteration 0")
    log.truncate_after(-1)
    return template, 0


def open_run(run_dir, template: Any, iteration_of, logger_cfg=None, params=None, run_name: str | None = None):
    """(metrics log, state, first iteration) for a trainer: ``resume`` into ``template``, then the
    ``logger`` group's sinks opened on what the resumed record holds."""
    from pydojo.training import loggers

    log = MetricsLog(run_dir)
    state, start = resume(run_dir, template, log, iteration_of)
    log.sinks = loggers.open_sinks(logger_cfg, pathlib.Path(run_dir), log.read(), start, params or {}, run_name)
    log.log_iterations_to(pathlib.Path(run_dir) / "train.log")
    return log, state, start


def plot_learning_curve(metrics: Iterable[dict], path, key: str, title: str = "") -> pathlib.Path:
    """PNG of ``key`` against ``iteration`` for the rows of a metrics log that contain it."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [r for r in metrics if key in r and r[key] is not None and math.isfinite(r[key])]
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig, ax = plt.subplots(figsize=(5, 3.5))
    ax.plot([r["iteration"] for r in rows], [r[key] for r in rows], marker=".")
    ax.set_xlabel("iteration")
    ax.set_ylabel(key)
    ax.set_title(title)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def compiling_notice() -> None:
    """Say why the first iteration takes long (XLA compiles the trainer's functions then)."""
    cache = os.environ.get("PYDOJO_JAX_CACHE")
    logger.info("compiling the training functions: the first iteration can take one to two minutes%s",
                f" (compilations are cached in {cache})" if cache else
                "; set PYDOJO_JAX_CACHE=<folder> to reuse them in later runs")


def progress(iterable: Iterable, total: int | None = None, desc: str = "", initial: int = 0):
    """A tqdm progress bar (to stderr; disabled with PYDOJO_NO_PROGRESS=1)."""
    from tqdm.auto import tqdm

    compiling_notice()

    return tqdm(iterable, total=total, desc=desc, initial=initial, disable=os.environ.get("PYDOJO_NO_PROGRESS") == "1",
                dynamic_ncols=True)

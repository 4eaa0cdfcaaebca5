"""Run records shared by every trainer: metrics JSONL, checkpoints, learning curves, progress bar.

Layout under a run directory: ``metrics.jsonl`` (one JSON object per logged iteration),
``checkpoints/ckpt_<iteration>.eqx`` (+ ``latest`` pointer), ``figures/learning_curve.png``.
A checkpoint holds any pytree (parameters, optimizer state, RNG key, iteration), written with
equinox's leaf serialisation, so restoring into a template of the same structure resumes a run
exactly.
"""
from __future__ import annotations

import json
import math
import os
import pathlib
from typing import Any, Iterable

import equinox as eqx
import jax
import numpy as np


def _plain(value):
    if isinstance(value, (jax.Array, np.ndarray, np.generic)):
        value = np.asarray(value)
        return value.item() if value.ndim == 0 else value.tolist()
    return value


class MetricsLog:
    """Append-only JSON-lines metrics file."""

    def __init__(self, run_dir: str | os.PathLike, name: str = "metrics.jsonl"):
        self.path = pathlib.Path(run_dir) / name
        self.path.parent.mkdir(parents=True, exist_ok=True)

    def write(self, **metrics: Any) -> None:
        with self.path.open("a") as f:
            f.write(json.dumps({k: _plain(v) for k, v in metrics.items()}) + "\n")

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


def save_checkpoint(run_dir, iteration: int, tree: Any) -> pathlib.Path:
    """Write ``tree`` (any pytree of arrays) as checkpoint ``iteration`` and mark it latest."""
    directory = _checkpoint_dir(run_dir)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"ckpt_{iteration:07d}.eqx"
    tmp = path.with_suffix(".tmp")
    with open(tmp, "wb") as f:
        eqx.tree_serialise_leaves(f, tree)
        f.flush()
        os.fsync(f.fileno())
    tmp.replace(path)
    _write_atomic(directory / "latest", path.name.encode())
    return path


def latest_checkpoint(run_dir) -> pathlib.Path | None:
    """The checkpoint the ``latest`` pointer names; if the pointer is missing, empty or names a missing
    file (a run killed mid-write by an older version), the highest-numbered checkpoint file, else None."""
    directory = _checkpoint_dir(run_dir)
    pointer = directory / "latest"
    name = pointer.read_text().strip() if pointer.exists() else ""
    if name and (directory / name).is_file():
        return directory / name
    found = sorted(directory.glob("ckpt_*.eqx")) if directory.is_dir() else []
    return found[-1] if found else None


def restore_checkpoint(path, template: Any) -> Any:
    """Read a checkpoint into a pytree with the structure (and dtypes) of ``template``."""
    return eqx.tree_deserialise_leaves(path, template)


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


def progress(iterable: Iterable, total: int | None = None, desc: str = "", initial: int = 0):
    """A tqdm progress bar (to stderr; disabled with PYDOJO_NO_PROGRESS=1)."""
    from tqdm.auto import tqdm

    return tqdm(iterable, total=total, desc=desc, initial=initial, disable=os.environ.get("PYDOJO_NO_PROGRESS") == "1",
                dynamic_ncols=True)

"""Where a run's metrics go besides its own record: CSV, TensorBoard, MLflow (the ``logger`` config group).

``metrics.jsonl`` is always written: it is the run's record, read back by resume and by the figures.
The ``logger`` group adds sinks, in any combination (``logger=[jsonl,csv,tensorboard,mlflow]``); each
receives every row the trainer logs (``{"iteration": n, ...}``, numbers or None) as it is written:

* ``csv`` — ``metrics.csv`` in the run directory, one column per metric (a metric first seen later,
  such as ``eval_return``, adds a column: the file is then rewritten with the wider header).
* ``tensorboard`` — event files under ``tensorboard/``, one scalar per metric with step = iteration,
  written with tensorboard's own event writer (no TensorFlow needed); like the CSV, rewritten from the
  record when a run starts or resumes, so each iteration appears once.
* ``mlflow`` — one MLflow run (the flattened config as its parameters) in a file store under ``mlruns/``
  (``mlflow ui --backend-store-uri <run_dir>/mlruns``) or at ``tracking_uri``; a resume continues the same
  MLflow run (its id is kept in ``mlflow_run_id``).

Missing libraries are reported before any work, with the extra that installs them (``pydojo[loggers]``).
"""
from __future__ import annotations

import csv
import importlib.util
import io
import math
import os
import pathlib
import time
from typing import Any, Iterable, Mapping

LOGGERS = ("jsonl", "csv", "tensorboard", "mlflow")
_NEEDS = {"tensorboard": "tensorboard", "mlflow": "mlflow"}


def _number(value) -> float | None:
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def _numeric(row: Mapping) -> dict[str, float]:
    """The finite numeric metrics of a row, without its iteration (the step)."""
    return {k: x for k, v in row.items() if k != "iteration" and (x := _number(v)) is not None}


class CsvSink:
    """``metrics.csv``: the rows so far, columns in order of first appearance."""

    def __init__(self, run_dir: pathlib.Path, previous_rows: Iterable[dict], filename: str = "metrics.csv"):
        if pathlib.Path(filename).name in ("metrics.jsonl", "config.yaml", "train.log"):
            raise ValueError(f"logger.csv.filename={filename!r} would overwrite the run's own record")
        self.path = run_dir / filename
        self.rows = [dict(r) for r in previous_rows]
        self.columns: list[str] = []
        for row in self.rows:
            self._add_columns(row)
        self._rewrite()

    def _add_columns(self, row: Mapping) -> bool:
        new = [k for k in row if k not in self.columns]
        self.columns.extend(new)
        return bool(new)

    def _rewrite(self) -> None:
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=self.columns, restval="")
        writer.writeheader()
        writer.writerows(self.rows)
        tmp = self.path.with_name(self.path.name + ".tmp")
        tmp.write_text(buffer.getvalue())
        os.replace(tmp, self.path)

    def log(self, row: dict) -> None:
        self.rows.append(row)
        if self._add_columns(row):
            self._rewrite()
            return
        with self.path.open("a", newline="") as f:
            csv.DictWriter(f, fieldnames=self.columns, restval="").writerow(row)

    def close(self, failed: bool = False) -> None:
        pass


class TensorBoardSink:
    """Scalar summaries in ``<run_dir>/<log_dir>/events.out.tfevents.*``."""

    def __init__(self, run_dir: pathlib.Path, previous_rows: Iterable[dict], log_dir: str = "tensorboard",
                 flush_secs: float = 30.0):
        from tensorboard.compat.proto.event_pb2 import Event
        from tensorboard.compat.proto.summary_pb2 import Summary
        from tensorboard.summary.writer.event_file_writer import EventFileWriter

        self._event, self._summary = Event, Summary
        self.directory = run_dir / log_dir
        # a derived view of metrics.jsonl, like the CSV: rebuilt from the record on every (re)start, so rows the
        # killed run logged past its checkpoint, or never flushed, neither stay nor go missing
        old = sorted(self.directory.glob("events.out.tfevents.*")) if self.directory.is_dir() else []
        self._writer = EventFileWriter(str(self.directory), flush_secs=flush_secs)
        for row in previous_rows:
            self.log(row)
        self._writer.flush()
        for path in old:
            path.unlink(missing_ok=True)

    def log(self, row: dict) -> None:
        step = int(row["iteration"])
        values = [self._summary.Value(tag=k, simple_value=x) for k, x in _numeric(row).items()]
        self._writer.add_event(self._event(wall_time=time.time(), step=step, summary=self._summary(value=values)))

    def close(self, failed: bool = False) -> None:
        self._writer.close()


def _flat_params(tree: Any, prefix: str = "") -> dict[str, str]:
    if isinstance(tree, Mapping):
        out: dict[str, str] = {}
        for key, value in tree.items():
            out.update(_flat_params(value, f"{prefix}{key}."))
        return out
    return {prefix[:-1]: str(tree)[:500]}  # MLflow's parameter values are strings of bounded length


class MlflowSink:
    """One MLflow run: the config as parameters, every numeric metric with step = iteration."""

    def __init__(self, run_dir: pathlib.Path, params: Mapping, tracking_uri: str | None = None,
                 experiment_name: str = "pydojo", run_name: str | None = None):
        if tracking_uri is None:
            # MLflow >= 3 keeps its file store in maintenance mode behind this switch; it needs no server
            os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
            tracking_uri = (run_dir / "mlruns").resolve().as_uri()
        from mlflow.entities import Param
        from mlflow.tracking import MlflowClient

        self.client = MlflowClient(tracking_uri=tracking_uri)
        self.tracking_uri = tracking_uri
        experiment_id = self._experiment(experiment_name)
        id_file = run_dir / "mlflow_run_id"
        previous = id_file.read_text().strip() if id_file.exists() else ""
        if previous:
            self.run_id = previous
        else:
            self.run_id = self.client.create_run(experiment_id, run_name=run_name).info.run_id
            id_file.write_text(self.run_id)
            items = [Param(k, v) for k, v in _flat_params(params).items()]
            for i in range(0, len(items), 100):  # MLflow takes at most 100 parameters per batch
                self.client.log_batch(self.run_id, params=items[i:i + 100])

    def _experiment(self, name: str) -> str:
        found = self.client.get_experiment_by_name(name)
        if found:
            return found.experiment_id
        try:
            return self.client.create_experiment(name)
        except Exception:  # a parallel job sharing the tracking URI created it first
            found = self.client.get_experiment_by_name(name)
            if found is None:
                raise
            return found.experiment_id

    def log(self, row: dict) -> None:
        from mlflow.entities import Metric

        now, step = int(time.time() * 1000), int(row["iteration"])
        metrics = [Metric(k, x, now, step) for k, x in _numeric(row).items()]
        if metrics:
            self.client.log_batch(self.run_id, metrics=metrics)

    def close(self, failed: bool = False) -> None:
        self.client.set_terminated(self.run_id, status="FAILED" if failed else "FINISHED")


def config_params(cfg) -> dict:
    """The resolved config as a plain dict (what MLflow records as the run's parameters)."""
    from omegaconf import OmegaConf

    return OmegaConf.to_container(cfg, resolve=True) if OmegaConf.is_config(cfg) else dict(cfg)


def selected(logger_cfg: Mapping | None) -> dict[str, dict]:
    """The chosen sinks and their options, checked (names and missing libraries) before any work."""
    from pydojo.options import checked_options

    chosen = {str(k): dict(v or {}) for k, v in (logger_cfg or {}).items()}
    unknown = sorted(set(chosen) - set(LOGGERS))
    if unknown:
        raise ValueError(f"logger: unknown logger(s) {unknown}; choose any of {list(LOGGERS)} "
                         "(e.g. logger=[jsonl,csv,tensorboard])")
    for name, module in _NEEDS.items():
        if name in chosen and importlib.util.find_spec(module) is None:
            raise ValueError(f"logger={name} needs the {module!r} package: pip install \"pydojo[loggers]\"")
    targets = {"csv": CsvSink, "tensorboard": TensorBoardSink, "mlflow": MlflowSink}
    fixed = {"csv": ("run_dir", "previous_rows"), "tensorboard": ("run_dir", "previous_rows"), "mlflow": ("run_dir", "params")}
    for name, options in chosen.items():
        if name in targets:
            checked_options(targets[name], options, f"logger.{name}", skip=fixed[name])
    return chosen


def open_sinks(logger_cfg: Mapping | None, run_dir: pathlib.Path, previous_rows: list[dict], start: int,
               params: Mapping, run_name: str | None = None) -> list:
    """Open the chosen sinks for a run starting (or resuming) at iteration ``start``."""
    sinks = []
    for name, options in selected(logger_cfg).items():
        if name == "csv":
            sinks.append(CsvSink(run_dir, previous_rows, **options))
        elif name == "tensorboard":
            sinks.append(TensorBoardSink(run_dir, previous_rows, **options))
        elif name == "mlflow":
            sinks.append(MlflowSink(run_dir, params, **{**options, "run_name": options.get("run_name") or run_name}))
    return sinks

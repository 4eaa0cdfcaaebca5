"""The DiffOP seed's Fig. 3 from our runs: |V| at buses 2, 7, 9 and the inverters' q over the 100 evaluation
steps, before (θ₀, dashed) and after training (solid), for the first low-voltage and the first high-voltage
evaluation scenario, with the 0.95–1.05 p.u. band and the q limits (grey). One figure per trained method
(seed 0 of runs/voltage/voltage_<method>/; see table2.py for the runs)."""
from __future__ import annotations

import pathlib

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import yaml  # noqa: E402

from pydojo.envs.power import evaluation, voltage  # noqa: E402
from pydojo.figures.saved_runs import save_figure  # noqa: E402
from pydojo.figures.table2 import COMMAND, FOLDER, METHODS, policy_from_config, theta_of  # noqa: E402

BUSES = ("bus 2 (645)", "bus 7 (684)", "bus 9 (692)")


def _scenarios():
    """The first low-voltage and the first high-voltage evaluation seeds."""
    kinds = [bool(np.any(voltage.scenario(s)[3:] != 0)) for s in range(20)]
    return kinds.index(False), kinds.index(True)


def main(out: pathlib.Path, runs: pathlib.Path = pathlib.Path("runs")) -> list[pathlib.Path]:
    folder = pathlib.Path(runs) / FOLDER
    found = {m: folder / f"voltage_{m}" / "seed0" for m in METHODS if (folder / f"voltage_{m}" / "seed0" / "theta.json").exists()}
    if not found:
        raise FileNotFoundError(f"no voltage runs with theta.json under {folder}: make them with: {COMMAND}")
    seeds = _scenarios()
    base = evaluation.evaluation_env(max(seeds) + 1)
    env = type(base)(base.flow, base.scenarios[np.asarray(seeds)], base.limits, base.eval_starts, base.episode_length)
    limits = np.asarray(voltage.LIMITS["evaluation"])
    paths = []
    for method, run_dir in found.items():
        policy = policy_from_config(yaml.safe_load((run_dir / "config.yaml").read_text()), env)
        states, _, ok, failed = evaluation.ocp_policy_rollouts(env, policy, [theta_of(run_dir, w) for w in ("initial", "final")])
        if not bool(np.all(np.asarray(ok))) or int(np.sum(np.asarray(failed))):
            raise RuntimeError(f"{run_dir}: a power flow or a policy solve failed in the Fig. 3 scenarios; not drawn")
        traj = {"initial": np.asarray(states[0]), "final": np.asarray(states[1])}
        fig, axes = plt.subplots(2, 2, figsize=(10, 6.4), sharex=True)
        for row, (seed, kind) in enumerate(zip(seeds, ("low voltage", "high voltage"))):
            ax_v, ax_q = axes[row]
            ax_v.axhspan(0.95, 1.05, color="0.85", zorder=0)
            for j, bus in enumerate(BUSES):
                for which, style in (("initial", "--"), ("final", "-")):
                    x = traj[which][row]
                    ax_v.plot(np.sqrt(x[:, j]), ls=style, color=f"C{j}", label=f"{bus}" if which == "final" else None)
                    ax_q.plot(x[:, 3 + j], ls=style, color=f"C{j}")
                ax_q.axhline(limits[j, 0], color=f"C{j}", lw=0.6, alpha=0.5)
                ax_q.axhline(limits[j, 1], color=f"C{j}", lw=0.6, alpha=0.5)
            ax_v.set(ylabel="|V| [p.u.]", title=f"scenario {seed} ({kind})")
            ax_q.set(ylabel="q [MVAr]", title="reactive power (thin: limits)")
            ax_v.legend(fontsize=7)
        for ax in axes[1]:
            ax.set_xlabel("step")
        fig.suptitle(f"{METHODS[method]} on voltage13, seed 0: dashed before training (θ₀), solid after", fontsize=10)
        paths.append(save_figure(fig, pathlib.Path(out) / f"fig3_voltage_{method}.png"))
    return paths

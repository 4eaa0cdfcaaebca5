"""``python -m pydojo.figures NAME [NAME ...] | all [--out DIR]``: draw figures (and tables: table2) into DIR (default figures_out/)."""
import argparse
import importlib
import pathlib
import pkgutil
import sys

import pydojo.figures as _pkg
from pydojo.progress import heartbeat


def available() -> list[str]:
    return sorted(m.name for m in pkgutil.iter_modules(_pkg.__path__) if m.name.startswith(("fig", "table")))


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m pydojo.figures")
    parser.add_argument("names", nargs="+", help=f"'all' or any of {available()}")
    parser.add_argument("--out", default="figures_out", help="output folder for the PNGs")
    parser.add_argument("--runs", default="runs", help="folder of saved runs (for figures drawn from training runs)")
    args = parser.parse_args(argv)
    names = available() if args.names == ["all"] else args.names
    unknown = sorted(set(names) - set(available()))
    if unknown:
        parser.error(f"unknown figure(s) {unknown}; available: {available()} or 'all'")
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    missing = []
    for name in names:  # a figure without saved runs does not stop the others
        try:  # studies are computed once and cached under <runs>/diagnostics/; progress goes to stderr
            with heartbeat(name, note=f"studies are cached in {pathlib.Path(args.runs) / 'diagnostics'}"):
                paths = importlib.import_module(f"pydojo.figures.{name}").main(out=out, runs=pathlib.Path(args.runs))
        except FileNotFoundError as err:
            missing.append(f"{name}: {err}")
            print(f"{name}: not drawn (no saved runs)", flush=True)
            continue
        for p in paths:
            print(f"{name}: wrote {p}", flush=True)
    if missing:
        print("not drawn:\n  " + "\n  ".join(missing), file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()

"""Reproduced figures: ``python -m pydojo.figures NAME|all [--out DIR]``, one module per figure."""

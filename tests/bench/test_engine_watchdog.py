"""The engine benchmark's guard against XLA:CPU deadlocks: an MJX measurement that does not finish in time
is killed, retried as two half batches, and reported as nan/"hung" rather than blocking the run."""
import math

import pytest

from pydojo.bench.engine import guarded_rate


@pytest.mark.timeout(120)
def test_a_measurement_past_its_timeout_is_killed_twice_and_reported_hung(capsys):
    rate, mark = guarded_rate("mjx.step", "hopper", 2, 2, timeout=0.5)  # far too short to even import jax
    assert math.isnan(rate) and mark == "hung"
    out = capsys.readouterr().out
    assert "batch 2 x 1 did not finish in 0 s: killed" in out
    assert "batch 1 x 2 did not finish in 0 s: killed" in out


@pytest.mark.timeout(120)
def test_an_odd_batch_is_not_split(capsys):
    rate, mark = guarded_rate("terms", "hopper", 3, 2, timeout=0.5)
    assert math.isnan(rate) and mark == "hung"
    assert "x 2" not in capsys.readouterr().out


def test_bad_arguments_are_clear_errors(capsys):
    with pytest.raises(ValueError, match="measures 'mjx.step' or 'terms', got 'mj_step'"):
        guarded_rate("mj_step", "hopper", 2, 2, timeout=10)
    with pytest.raises(ValueError, match="timeout must be > 0 s, got 0"):
        guarded_rate("terms", "hopper", 2, 2, timeout=0)
    from pydojo.bench.engine import main

    with pytest.raises(SystemExit):
        main(["--mjx-timeout", "-1"])
    assert "--mjx-timeout must be > 0 s, got -1.0" in capsys.readouterr().err


@pytest.mark.timeout(400)
def test_mjx_ant_step_at_batch_256_finishes_in_one_batch(capsys):
    """The program that deadlocked (MJX's ant step, batch 256: LAPACK ParallelBatchMap on both XLA:CPU pool
    threads, 6 of 6 runs) finishes in the measuring child, which runs with the concurrency-optimized
    scheduler off; a hang would be killed and retried in halves (mark "*"), failing this test."""
    rate, mark = guarded_rate("mjx.step", "ant", 256, 5, timeout=300)
    assert mark == "" and rate > 0, (rate, mark, capsys.readouterr().out)

"""Run records survive a kill at any moment: a torn metrics line, an empty or dangling ``latest`` pointer."""
import jax.numpy as jnp
import numpy as np
import pytest

from pydojo.training import records


@pytest.mark.timeout(60)
def test_torn_final_metrics_line_is_dropped_and_a_corrupt_middle_line_is_an_error(tmp_path):
    log = records.MetricsLog(tmp_path)
    log.write(iteration=0, ret=1.0)
    log.write(iteration=1, ret=2.0)
    with log.path.open("a") as f:
        f.write('{"iteration": 2, "re')  # killed mid-write
    assert [r["iteration"] for r in log.read()] == [0, 1]
    log.truncate_after(1)  # what a resume does: the torn line is gone, the rest kept
    assert log.path.read_text().endswith("\n") and [r["iteration"] for r in log.read()] == [0, 1]
    log.path.write_text('{"iteration": 0}\nnot json\n{"iteration": 2}\n')
    with pytest.raises(ValueError, match="metrics.jsonl: line 2 is not valid JSON"):
        log.read()


@pytest.mark.timeout(60)
def test_latest_pointer_empty_or_dangling_falls_back_to_the_newest_checkpoint(tmp_path):
    assert records.latest_checkpoint(tmp_path) is None
    for it in (5, 10):
        path = records.save_checkpoint(tmp_path, it, {"theta": jnp.full(3, float(it))})
    assert records.latest_checkpoint(tmp_path) == path
    assert not list((tmp_path / "checkpoints").glob("*.tmp"))
    pointer = tmp_path / "checkpoints" / "latest"
    for text in ("", "ckpt_0000099.eqx"):  # killed while writing the pointer; pointer to a removed file
        pointer.write_text(text)
        found = records.latest_checkpoint(tmp_path)
        assert found is not None and found.name == "ckpt_0000010.eqx"
        restored = records.restore_checkpoint(found, {"theta": jnp.zeros(3)})
        np.testing.assert_array_equal(restored["theta"], np.full(3, 10.0))

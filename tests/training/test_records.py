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


def _state(value: float, iteration: int) -> dict:
    return {"theta": jnp.full(4, value), "iteration": jnp.asarray(iteration)}


def _resume(run_dir):
    log = records.MetricsLog(run_dir)
    return records.resume(run_dir, _state(0.0, 0), log, lambda t: t["iteration"]), log


@pytest.mark.timeout(60)
@pytest.mark.parametrize("damage", ["flip_one_byte", "truncate", "garbage"])
def test_a_damaged_newest_checkpoint_falls_back_to_the_previous_one_with_a_warning_naming_it(tmp_path, damage, caplog):
    for it in (10, 20, 30):
        path = records.save_checkpoint(tmp_path, it, _state(float(it), it))
    data = path.read_bytes()
    if damage == "flip_one_byte":  # one bit of θ: without a checksum this would resume silently with other values
        data = data[:-3] + bytes([data[-3] ^ 0x01]) + data[-2:]
    elif damage == "truncate":
        data = data[: len(data) // 2]
    else:
        data = b"\x00garbage" * 10
    path.write_bytes(data)
    log = records.MetricsLog(tmp_path)
    for it in range(30):
        log.write(iteration=it)
    with caplog.at_level("WARNING"):
        (state, start), log = _resume(tmp_path)
    assert start == 20 and float(state["theta"][0]) == 20.0
    assert str(path) in caplog.text and "skipping damaged checkpoint" in caplog.text
    assert [r["iteration"] for r in log.read()] == list(range(20))


@pytest.mark.timeout(60)
def test_only_the_last_three_checkpoints_are_kept(tmp_path):
    for it in range(1, 8):
        records.save_checkpoint(tmp_path, it, _state(float(it), it))
    names = sorted(p.name for p in (tmp_path / "checkpoints").glob("ckpt_*.eqx"))
    assert names == ["ckpt_0000005.eqx", "ckpt_0000006.eqx", "ckpt_0000007.eqx"]
    assert records.latest_checkpoint(tmp_path).name == "ckpt_0000007.eqx"


@pytest.mark.timeout(60)
def test_no_intact_checkpoint_is_an_error_naming_every_file_and_nothing_is_deleted(tmp_path):
    for it in (1, 2):
        records.save_checkpoint(tmp_path, it, _state(float(it), it))
    for path in (tmp_path / "checkpoints").glob("ckpt_*.eqx"):
        path.write_bytes(b"")
    records.MetricsLog(tmp_path).write(iteration=0)
    with pytest.raises(records.CheckpointError, match="no intact checkpoint") as err:
        _resume(tmp_path)
    assert "ckpt_0000001.eqx" in str(err.value) and "ckpt_0000002.eqx" in str(err.value)
    assert (tmp_path / "metrics.jsonl").read_text()  # the log is kept for the user to inspect


@pytest.mark.timeout(60)
def test_a_checkpoint_of_another_structure_names_the_file(tmp_path):
    path = records.save_checkpoint(tmp_path, 1, {"theta": jnp.zeros(2)})
    with pytest.raises(records.CheckpointError, match=str(path)):
        records.restore_checkpoint(path, {"theta": jnp.zeros(5)})


@pytest.mark.timeout(60)
def test_killed_before_the_first_checkpoint_restarts_from_zero_without_duplicate_rows(tmp_path):
    log = records.MetricsLog(tmp_path)
    for it in range(3):
        log.write(iteration=it)
    (state, start), log = _resume(tmp_path)
    assert start == 0 and log.read() == []
    (tmp_path / "checkpoints").mkdir()
    (tmp_path / "checkpoints" / "latest").write_text("ckpt_0000010.eqx")  # names a missing file, no checkpoint
    log.write(iteration=0)
    (state, start), log = _resume(tmp_path)
    assert start == 0 and log.read() == []

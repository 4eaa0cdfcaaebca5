"""Cross-check helpers shared by the tests and the benchmarks (need the `test` extra: lemkelcp, clarabel)."""

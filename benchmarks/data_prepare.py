"""Throughput of `qed data prepare` (normalise, filter, dedup, decontaminate, split) on N rows.

Rows are the Goedel rows bundled with qed, repeated under fresh ids with one constant changed per
copy (so they are distinct statements and survive deduplication), checked against miniF2F v1,
v2s and v2c. Printed: rows per second for the whole pipeline and for the contamination check
alone, against the baseline of reading and converting the rows without any check.

    python benchmarks/data_prepare.py --rows 20000
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, default=20000)
    args = ap.parse_args()

    from qed.data.benchmarks import load_benchmark
    from qed.data.corpora import corpus
    from qed.data.corpora.contamination import ContaminationIndex
    from qed.data.corpora.fetch import Rows, bundled_path
    from qed.data.corpora.prepare import prepare

    c = corpus("goedel_workbook")
    base = [json.loads(x) for x in bundled_path(c).read_text(encoding="utf-8").splitlines()]
    rows = []
    for i in range(args.rows):
        row = dict(base[i % len(base)])
        pid = f"{row['problem_id']}_copy{i}"
        text = row["full_proof"].replace(row["problem_id"], pid, 1)
        rows.append({"problem_id": pid, "full_proof": text.replace(":= by", f"∧ ({i} : ℕ) = {i} := by", 1)})
    names = ("minif2f_v1", "minif2f_v2s", "minif2f_v2c")
    bench = [(b, t.name, t.statement) for b in names for t in load_benchmark(b)]

    t0 = time.perf_counter()
    records = [r for r in c.convert(iter(rows)) if hasattr(r, "formal_statement")]
    convert_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    index = ContaminationIndex(bench)
    hits = sum(index.match(r.formal_statement) is not None for r in records)
    check_s = time.perf_counter() - t0
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        summary = prepare([(c, Rows("bench", iter(rows)))], Path(tmp), benchmarks=bench)
        total_s = time.perf_counter() - t0
    n = args.rows
    print(f"{n} rows, {len(bench)} benchmark statements")
    print(f"convert only (baseline): {n / convert_s:9.0f} rows/s")
    print(f"contamination check:     {n / check_s:9.0f} rows/s ({hits} matches)")
    print(f"whole prepare:           {n / total_s:9.0f} rows/s ({summary.total('kept')} kept, "
          f"{summary.total('duplicate')} duplicates); {total_s / convert_s:.2f}x the baseline's time")


if __name__ == "__main__":
    main()

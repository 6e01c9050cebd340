"""Re-count lemma names in real proofs and compare with the sandbox's lemma table.

    python benchmarks/lemma_frequency.py [FILE.jsonl ...] [--top N] [--missing]

Reads JSON-lines files of real proofs (default: ../shared/data/real/*.jsonl, the Goedel
Lean Workbook proofs, compfiles and the Mathlib Archive; the fields ``full_proof`` and
``proof`` are read), counts every lemma-like name (``qed.env.sandbox.tactics.lemmas.
count_lemma_uses``: names with ``_`` or ``.``, projections ``.mpr``/``.1`` folded into the
lemma) and prints the N most used with whether the table has them (``+``) or not (``-``),
then the share of uses the table covers. ``--missing`` lists only the names it lacks.
This is how the entries of ``qed/env/sandbox/tactics/mathlib_lemmas.txt`` were chosen.
"""

from __future__ import annotations

import argparse
import glob
import json
from pathlib import Path

from qed.env.sandbox.tactics.lemmas import SPECS, count_lemma_uses

DEFAULT = sorted(p for p in glob.glob(str(Path(__file__).resolve().parents[2] / "shared/data/real/*.jsonl"))
                 if "provenance" not in p)


def texts(paths: list[str]):
    for p in paths:
        with open(p, encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    row = json.loads(line)
                    yield "\n".join(str(row.get(k, "")) for k in ("full_proof", "proof"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("files", nargs="*", default=DEFAULT)
    ap.add_argument("--top", type=int, default=150)
    ap.add_argument("--missing", action="store_true")
    a = ap.parse_args()
    counts = count_lemma_uses(texts(a.files))
    shown = 0
    for name, n in counts.most_common():
        if shown >= a.top:
            break
        have = name in SPECS
        if a.missing and have:
            continue
        print(f"{n:6d} {'+' if have else '-'} {name}")
        shown += 1
    total = sum(counts.values())
    covered = sum(n for name, n in counts.items() if name in SPECS)
    print(f"table: {len(SPECS)} entries; covers {covered}/{total} name uses ({covered / max(total, 1):.0%}) "
          f"in {len(a.files)} file(s)")


if __name__ == "__main__":
    main()

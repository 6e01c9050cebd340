"""The proof-rate plot draws rates of 0 and 1, whose Wilson bounds equal the rate up to rounding."""

from qed.eval.report import plot_rates
from qed.eval.summary import rate


def test_plot_rates_at_zero_and_one(tmp_path):
    rows = {"A": rate(12, 12), "B": rate(0, 12), "C": rate(7, 12)}
    plot_rates(rows, tmp_path / "p.png")
    assert (tmp_path / "p.png").stat().st_size > 0

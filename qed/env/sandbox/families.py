"""Theorem families for the generator: each turns a seeded RNG and a difficulty into a
Lean 4 statement with a proof that the sandbox (and Lean + Mathlib) accepts.

Owns the families' mathematics and their Lean text. Knows nothing about verification,
files or parallelism (``generate.py``). Every family is a pure function
``(rng, difficulty) -> Draft``; difficulty 1 (easy) .. 5 (hard) scales the size of the
numbers, the number of variables, distracting hypotheses and the proof length.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

VARS = ("x", "y", "z", "w")
REALS = ("a", "b", "c", "d")


@dataclass(frozen=True)
class Draft:
    """A statement body (binders and goal, no ``theorem NAME``) and its tactic lines."""

    binders: str
    goal: str
    tactics: tuple[str, ...]
    informal: str


def _num(v: Fraction | int) -> str:
    v = Fraction(v)
    if v.denominator == 1:
        return str(v.numerator)
    return f"{v.numerator} / {v.denominator}"


def _coef_term(c: int, atom: str, first: bool) -> str:
    """``c * atom`` as a summand: sign handled by the caller's ``+``/``-``."""
    mag = abs(c)
    body = atom if mag == 1 else f"{mag} * {atom}"
    if first:
        return body if c > 0 else f"-{body}" if mag == 1 else f"-{mag} * {atom}"
    return f" + {body}" if c > 0 else f" - {body}"


def _linear(coefs: list[int], atoms: list[str], const: int = 0) -> str:
    parts: list[str] = []
    for c, a in zip(coefs, atoms, strict=True):
        if c:
            parts.append(_coef_term(c, a, not parts))
    if const or not parts:
        parts.append(str(const) if not parts else (f" + {const}" if const > 0 else f" - {-const}"))
    return "".join(parts)


def _scale(difficulty: int) -> int:
    return (5, 12, 30, 100, 1000)[max(1, min(difficulty, 5)) - 1]


def _distractors(rng: random.Random, difficulty: int, var: str, start: int) -> list[str]:
    """Hypotheses that are true of nothing in particular but clutter the context."""
    out = []
    for k in range(max(0, difficulty - 2)):
        out.append(f"(h{_sub(start + k)} : {rng.randint(1, 9)} * {var} ≠ {rng.randint(100, 999)})")
    return out


def _sub(i: int) -> str:
    return "".join("₀₁₂₃₄₅₆₇₈₉"[int(ch)] for ch in str(i))


def linear_equation(rng: random.Random, d: int) -> Draft:
    s = _scale(d)
    v, a, b = rng.randint(-s, s), rng.choice([i for i in range(-s, s + 1) if i]), rng.randint(-s, s)
    lhs = _linear([a], ["x"], b)
    hyps = [f"(h₀ : {lhs} = {a * v + b})", *_distractors(rng, d, "x", 1)]
    return Draft(f"(x : ℝ) {' '.join(hyps)}", f"x = {v}", ("linarith",), f"Solve {lhs} = {a * v + b} for x.")


def linear_system(rng: random.Random, d: int) -> Draft:
    s = _scale(d)
    n = 2 if d < 4 else 3
    names = list(VARS[:n])
    sol = [rng.randint(-s, s) for _ in names]
    while True:
        rows = [[rng.randint(-5, 5) for _ in names] for _ in names]
        if _det(rows) != 0:
            break
    hyps = []
    for i, row in enumerate(rows):
        rhs = sum(c * x for c, x in zip(row, sol, strict=True))
        hyps.append(f"(h{_sub(i)} : {_linear(row, names)} = {rhs})")
    target = rng.randrange(n)
    return Draft(
        f"({' '.join(names)} : ℝ) {' '.join(hyps)}",
        f"{names[target]} = {sol[target]}",
        ("linarith",),
        "Solve the linear system.",
    )


def _det(m: list[list[int]]) -> int:
    if len(m) == 2:
        return m[0][0] * m[1][1] - m[0][1] * m[1][0]
    return sum((-1) ** j * m[0][j] * _det([row[:j] + row[j + 1 :] for row in m[1:]]) for j in range(len(m)))


def linear_inequality(rng: random.Random, d: int) -> Draft:
    s = _scale(d)
    a, b, c = rng.randint(1, 9), rng.randint(-s, s), rng.randint(-s, s)
    bound = Fraction(c - b, a) + rng.randint(0, 3)  # a weaker bound than the hypothesis gives
    strict = rng.random() < 0.5
    rel = "<" if strict else "≤"
    hyps = [f"(h₀ : {_linear([a], ['x'], b)} {rel} {c})", *_distractors(rng, d, "x", 1)]
    return Draft(f"(x : ℝ) {' '.join(hyps)}", f"x {rel} {_num(bound)}", ("linarith",), "Bound x.")


Poly = dict[tuple[int, ...], int]


def _pmul(p: Poly, q: Poly) -> Poly:
    out: Poly = {}
    for m1, c1 in p.items():
        for m2, c2 in q.items():
            m = tuple(i + j for i, j in zip(m1, m2, strict=True))
            out[m] = out.get(m, 0) + c1 * c2
    return {m: c for m, c in out.items() if c}


def _pstr(p: Poly, names: list[str]) -> str:
    parts: list[str] = []
    for mono in sorted(p, key=lambda m: (-sum(m), [-e for e in m])):
        c = p[mono]
        factors = [n if e == 1 else f"{n} ^ {e}" for n, e in zip(names, mono, strict=True) if e]
        atom = " * ".join(factors)
        if not atom:
            parts.append(str(c) if not parts else (f" + {c}" if c > 0 else f" - {-c}"))
        else:
            parts.append(_coef_term(c, atom, not parts))
    return "".join(parts) or "0"


def polynomial_identity(rng: random.Random, d: int) -> Draft:
    n = 2 if d < 3 else 3
    names = list(REALS[:n])
    factors = []
    prod: Poly = {tuple(0 for _ in names): 1}
    for _ in range(1 + min(d, 3)):
        coefs = [rng.randint(-3, 3) for _ in names]
        if not any(coefs):
            coefs[0] = 1
        const = rng.randint(-3, 3)
        lin: Poly = {tuple(1 if j == i else 0 for j in range(n)): c for i, c in enumerate(coefs) if c}
        if const:
            lin[tuple(0 for _ in names)] = const
        factors.append(f"({_linear(coefs, names, const)})")
        prod = _pmul(prod, lin)
    return Draft(
        f"({' '.join(names)} : ℝ)", f"{' * '.join(factors)} = {_pstr(prod, names)}", ("ring",), "Expand."
    )


def amgm(rng: random.Random, d: int) -> Draft:
    """2uv ≤ u² + v² (and the three-term form) for random linear forms u, v, w."""
    names = ["a", "b", "c"]
    forms = []
    for name in names:
        p, r = rng.randint(1, 2 + d), rng.randint(-d, d) if d > 1 else 0
        forms.append(_linear([p], [name], r))
    u, v, w = (f"({f})" if " " in f else f for f in forms)
    kind = rng.randrange(3 if d >= 2 else 2)
    if kind == 0:
        k = rng.randint(1, 1 + d)
        goal = f"{2 * k} * {u} * {v} ≤ {k} * {u} ^ 2 + {k} * {v} ^ 2"
        hints, binders = f"sq_nonneg ({u} - {v})", "(a b : ℝ)"
    elif kind == 1:
        goal = f"({u} + {v}) ^ 2 ≤ 2 * ({u} ^ 2 + {v} ^ 2)"
        hints, binders = f"sq_nonneg ({u} - {v})", "(a b : ℝ)"
    else:
        goal = f"{u} * {v} + {v} * {w} + {w} * {u} ≤ {u} ^ 2 + {v} ^ 2 + {w} ^ 2"
        hints = f"sq_nonneg ({u} - {v}), sq_nonneg ({v} - {w}), sq_nonneg ({w} - {u})"
        binders = "(a b c : ℝ)"
    if d >= 4:
        binders += " (h₀ : 0 < a) (h₁ : 0 < b)"
    return Draft(binders, goal, (f"nlinarith [{hints}]",), "An AM-GM style inequality.")


def modular(rng: random.Random, d: int) -> Draft:
    m = rng.choice([3, 5, 7, 9, 11, 13][: 2 + d])
    r = rng.randrange(m)
    k = rng.randint(2, 3 + 2 * d)
    c = rng.randint(0, 20)
    kind = rng.randrange(3)
    if kind == 0:
        goal = f"({k} * n + {c}) % {m} = {(k * r + c) % m}"
        return Draft(f"(n : ℕ) (h₀ : n % {m} = {r})", goal, ("omega",), "A remainder.")
    if kind == 1:
        a, b = rng.randint(10, 10 * _scale(d)), rng.randint(10, 10 * _scale(d))
        return Draft("", f"({a} * {b}) % {m} = {(a * b) % m}", ("norm_num",), "A ground remainder.")
    q = rng.randint(2, 5 + d)
    return Draft(
        f"(n : ℤ) (h₀ : {m} ∣ n)", f"{m} ∣ {q} * n + {m * rng.randint(1, 9)}", ("omega",), "Divisibility."
    )


def ground(rng: random.Random, d: int) -> Draft:
    s = _scale(d)
    a, b, c = rng.randint(1, s), rng.randint(1, s), rng.randint(1, 9)
    ty = rng.choice(["ℝ", "ℚ"])
    value = Fraction(a * b + c, 2)
    return Draft("", f"(({a} : {ty}) * {b} + {c}) / 2 = {_num(value)}", ("norm_num",), "Evaluate.")


def existential(rng: random.Random, d: int) -> Draft:
    s = _scale(d)
    v, a, b = rng.randint(-s, s), rng.randint(1, 9), rng.randint(-s, s)
    goal = f"∃ x : ℤ, {_linear([a], ['x'], b)} = {a * v + b}"
    return Draft("", goal, (f"use {v}",), "Find a witness.")


def case_split(rng: random.Random, d: int) -> Draft:
    r1, r2 = rng.sample(range(-_scale(d), _scale(d) + 1), 2)
    s, p = r1 + r2, r1 * r2
    goal = f"x ^ 2 - {s} * x + {p} = 0" if s >= 0 else f"x ^ 2 + {-s} * x + {p} = 0"
    if p < 0:
        goal = goal.replace(f"+ {p} = 0", f"- {-p} = 0")
    return Draft(
        f"(x : ℝ) (h₀ : x = {r1} ∨ x = {r2})",
        goal,
        ("rcases h₀ with h | h", "· rw [h]\n    norm_num", "· rw [h]\n    norm_num"),
        "Both roots satisfy the quadratic.",
    )


def interval(rng: random.Random, d: int) -> Draft:
    """Bounded ℕ variable with a residue condition: finitely many cases."""
    while True:
        lo, width, m = rng.randint(0, 20 * d), rng.randint(3, 5 + d), rng.randint(2, 5)
        r = rng.randrange(m)
        vals = [v for v in range(lo + 1, lo + width) if v % m == r]
        if vals:
            break
    hyps = f"(h₀ : {lo} < n) (h₁ : n < {lo + width}) (h₂ : n % {m} = {r})"
    goal = " ∨ ".join(f"n = {v}" for v in vals)
    return Draft(f"(n : ℕ) {hyps}", goal, ("interval_cases n <;> omega",), "Finitely many cases.")


FAMILIES: dict[str, Callable[[random.Random, int], Draft]] = {
    "linear_equation": linear_equation,
    "linear_system": linear_system,
    "linear_inequality": linear_inequality,
    "polynomial_identity": polynomial_identity,
    "amgm": amgm,
    "modular": modular,
    "ground": ground,
    "existential": existential,
    "case_split": case_split,
    "interval_cases": interval,
}

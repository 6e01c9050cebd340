"""Deep theorem families: proofs of 4-12 tactics with plausible wrong turns that lead nowhere.

Owns the mathematics and the Lean text of the deep benchmark (``qed science deep``). Each
family is a pure function ``(rng, difficulty) -> DeepDraft``: a statement, its proof as a
flat list of tactics (each acts on the first goal, so a search that applies them in order
finds it), and ``decoys``: tactics a policy would plausibly propose that lead to a live
state from which the proof cannot be finished, or only at a cost:

- a ``have`` of a false intermediate claim without a proof (``have e₂ : y = 6``): the claim
  becomes the first goal and is false, so the state is dead;
- ``left``/``right`` towards the wrong disjunct (a false goal: dead);
- a case split on the wrong variable (``rcases hw with h | h`` on a distractor disjunction):
  every later step must be done twice;
- a substitution or rewrite that loses the form the next steps need (``subst hx``,
  ``rw [hx] at ha``, ``subst ha``): the proof's ``rw [hx] at ha`` / ``rw [ha, h]`` steps no
  longer apply.

Distractor hypotheses (true, irrelevant ``≠`` facts and an irrelevant disjunction) clutter
every state. Knows nothing about verification or files (``deep_generate``); the tactics
are ones the sandbox and Lean + Mathlib agree on (``rw``, ``norm_num``, ``rcases``,
``left``/``right``, ``exact``, ``linarith``). ``difficulty`` 1..5 scales the proof length.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from qed.env.sandbox.families import _sub

NAMES = ("a", "b", "c", "d", "f", "g", "k", "m")
LIMIT = 100_000  # largest value in a statement: redraw beyond it (readable numbers)
GENERIC = ("norm_num", "linarith", "ring_nf", "positivity")
"""Menu fillers: generic tactics an LLM proposes everywhere (none closes a deep root goal)."""


@dataclass(frozen=True)
class DeepDraft:
    """A statement body (binders, goal), its flat proof, and the wrong turns next to it."""

    binders: str
    goal: str
    tactics: tuple[str, ...]
    decoys: tuple[str, ...]
    informal: str


@dataclass(frozen=True)
class _Step:
    """``var = rhs`` (or ``scale * var = rhs + shift``) where ``rhs`` mentions ``uses``."""

    var: str
    rhs: str
    uses: tuple[str, ...]
    scale: int = 1
    shift: int = 0

    @property
    def hypothesis(self) -> str:
        if self.scale == 1:
            return f"{self.var} = {self.rhs}"
        tail = f" + {self.shift}" if self.shift > 0 else f" - {-self.shift}" if self.shift < 0 else ""
        return f"{self.scale} * {self.var} = {self.rhs}{tail}"


def _chain(rng: random.Random, names: list[str], start: str) -> list[_Step]:
    """Each variable defined nonlinearly from the one or two before it (so linarith alone fails)."""
    steps: list[_Step] = []
    prev = [start]
    for v in names:
        p = prev[-1]
        kind = rng.randrange(3) if len(prev) > 1 else rng.randrange(2)
        c = rng.randint(1, 6)
        if kind == 0:
            steps.append(_Step(v, f"{p} ^ 2 - {c}", (p,)))
        elif kind == 1:
            steps.append(_Step(v, f"{rng.randint(2, 4)} * {p} * {p} + {c}", (p,)))
        else:
            q = prev[-2]
            steps.append(_Step(v, f"{p} * {q} - {c}", (p, q)))
        prev.append(v)
    return steps


def _rhs(step: _Step, env: dict[str, int]) -> int:
    return eval(step.rhs.replace("^", "**"), {}, dict(env))  # trusted text built above


def _eval(steps: list[_Step], start: str, x: int) -> dict[str, int]:
    env = {start: x}
    for s in steps:
        total = _rhs(s, env) + s.shift
        if total % s.scale:
            raise ValueError(f"{s.hypothesis}: not an integer at {env}")
        env[s.var] = total // s.scale
    return env


def _scaled(rng: random.Random, steps: list[_Step], start: str, x: int) -> list[_Step]:
    """The same chain written ``k * v = rhs + shift`` (k in 2, 3, 5; integer values): ``simp_all``
    can no longer substitute the definitions, so the chain must be walked link by link."""
    env = {start: x}
    out = []
    for s in steps:
        k = rng.choice([2, 3, 5])
        shift = rng.randint(-3, 3)
        shift += -(_rhs(s, env) + shift) % k
        out.append(_Step(s.var, s.rhs, s.uses, k, shift))
        env[s.var] = (_rhs(s, env) + shift) // k
    return out


def _have(name: str, step: _Step, value: int, facts: dict[str, str]) -> str:
    """``have name : var = value := by rw [def, facts of its uses]; norm_num`` (for ``var = rhs``)
    or ``… := by rw [facts] at def; linarith`` (for ``k * var = rhs + shift``)."""
    if step.scale != 1:
        return f"have {name} : {step.var} = {value} := by rw [{', '.join(facts[u] for u in step.uses)}] " \
               f"at h{step.var}; linarith"
    rws = ", ".join([f"h{step.var}", *(facts[u] for u in step.uses)])
    return f"have {name} : {step.var} = {value} := by rw [{rws}]; norm_num"


def _hyps(steps: list[_Step]) -> list[str]:
    return [f"(h{s.var} : {s.hypothesis})" for s in steps]


def _distractors(rng: random.Random, values: dict[str, int], n: int) -> list[str]:
    out = []
    for k, (v, val) in enumerate(rng.sample(sorted(values.items()), min(n, len(values)))):
        out.append(f"(hn{_sub(k)} : {v} ≠ {val + rng.choice([-2, -1, 1, 2, 3])})")
    return out


def chain(rng: random.Random, d: int) -> DeepDraft:
    """Evaluate a chain of ``2 + d`` nonlinear definitions ``k * v = rhs + shift``; the proof
    is one ``have`` per link (rewrite the known values into the definition, then ``linarith``).

    Goal ``last + x = value``: no single tactic of the menu, nor ``simp_all``, proves it; each
    ``have`` needs the one before it. Wrong turns: false ``have``s (dead), ``subst hx`` and
    ``rw [hx] at ha`` (the rewrites the proof's steps need no longer apply), a split on the
    irrelevant ``hw``. Proof length ``3 + d`` (4..8).
    """
    k = 2 + d
    names = list(NAMES[:k])
    while True:
        x0 = rng.choice([-2, -1, 1, 2])
        steps = _scaled(rng, _chain(rng, names, "x"), "x", x0)
        vals = _eval(steps, "x", x0)
        if max(abs(v) for v in vals.values()) <= LIMIT:
            break
    facts = {"x": "hx"}
    tactics = []
    for i, s in enumerate(steps):
        e = f"e{_sub(i)}"
        tactics.append(_have(e, s, vals[s.var], facts))
        facts[s.var] = e
    tactics.append("linarith")
    last = names[-1]
    wrong = rng.randrange(len(steps))
    decoys = (
        f"have e{_sub(wrong)} : {steps[wrong].var} = {vals[steps[wrong].var] + rng.choice([-1, 1])}",
        f"have e{_sub(len(steps))} : {last} = {-vals[last]}" if vals[last] else f"have e₉ : {last} = 1",
        "subst hx",
        f"rw [hx] at h{steps[0].var}",
        "rcases hw with h | h",
    )
    binders = " ".join([f"(x w {' '.join(names)} : ℝ)", f"(hx : x = {x0})", "(hw : w = 1 ∨ w = 2)",
                        *_hyps(steps), *_distractors(rng, vals, max(1, d - 1))])
    return DeepDraft(binders, f"{last} + x = {vals[last] + x0}", tuple(tactics), decoys,
                     "Evaluate a chain of definitions one link at a time.")


def cases(rng: random.Random, d: int) -> DeepDraft:
    """Split ``x`` into its 2 (3 from difficulty 4) possible values and evaluate a chain in each branch.

    Goal ``last = v₁ ∨ last = v₂ (∨ last = v₃)``. Per branch: ``have``s, the right disjunct,
    ``exact``. Proof length 7..12 (difficulty 5 repeats 4's shape with other numbers).
    """
    n_roots, m = ((2, 1), (2, 2), (2, 3), (3, 1), (3, 1))[max(1, min(d, 5)) - 1]
    names = list(NAMES[:m])
    while True:
        roots = rng.sample([-3, -2, -1, 1, 2, 3], n_roots)
        steps = _chain(rng, names, "x")
        finals = [_eval(steps, "x", r)[names[-1]] for r in roots]
        if len(set(finals)) == n_roots and max(abs(v) for v in finals) <= LIMIT:
            break
    last = names[-1]
    tactics = ["rcases h₀ with h | h" + (" | h" if n_roots == 3 else "")]
    picks = (("left",), ("right",)) if n_roots == 2 else (("left",), ("right", "left"), ("right", "right"))
    for r, pick in zip(roots, picks, strict=True):
        vals = _eval(steps, "x", r)
        facts = {"x": "h"}
        for i, s in enumerate(steps):
            e = f"e{_sub(i)}"
            tactics.append(_have(e, s, vals[s.var], facts))
            facts[s.var] = e
        tactics.extend(pick)
        tactics.append(f"exact e{_sub(len(steps) - 1)}")
    v0 = _eval(steps, "x", roots[0])
    decoys = (
        f"have e{_sub(0)} : {steps[0].var} = {v0[steps[0].var] + rng.choice([-1, 1])}",
        "rcases hw with h | h",
        f"subst h{steps[0].var}",
        "exfalso",
    )
    goal = " ∨ ".join(f"{last} = {v}" for v in finals)
    root_text = " ∨ ".join(f"x = {r}" for r in roots)
    binders = " ".join([f"(x w {' '.join(names)} : ℝ)", f"(h₀ : {root_text})", "(hw : w = 1 ∨ w = 2)",
                        *_hyps(steps), *_distractors(rng, {"w": 7}, 1)])
    return DeepDraft(binders, goal, tuple(tactics), decoys,
                     "Split on the possible values of x and evaluate in each case.")


DEEP_FAMILIES: dict[str, Callable[[random.Random, int], DeepDraft]] = {
    "deep_chain": chain,
    "deep_cases": cases,
}

"""``linear_combination e`` / ``linear_combination (exp := n) e`` (Mathlib).

The goal must be an equation ``a = b`` over ℤ, ℚ or ℝ (Mathlib needs a commutative ring).
``e`` is an expression built from proofs of equations (hypothesis names, with
projections such as ``h.1`` or ``h.symm``) and terms with ``+ - * / ^`` and numerals:
``2 * h₁ - h₂``, ``(a + b) * h``, ``h₁ * h₂``, ``h / 3``. Each proof ``hᵢ : lᵢ = rᵢ`` is
read as ``lᵢ`` on one side and ``rᵢ`` on the other, giving ``e.lhs = e.rhs``. The goal
closes iff ``(a - b) ^ n - (e.lhs - e.rhs)`` is ``0`` in ring normal form (``ring1``,
``arith.ring_equal``); ``n = 1`` without ``exp``. No ``e``: ``a - b`` must be ``0``.

Sound: ``e.lhs = e.rhs`` holds because it is one expression evaluated at equal values,
and ``(a - b) ^ n = 0`` implies ``a = b`` in a ring without zero divisors (ℤ, ℚ, ℝ).
Failure: "linear_combination failed: ring failed to prove …" with the residual equation.
Lean's ``(norm := …)`` option is not supported.
"""

from __future__ import annotations

import re
from fractions import Fraction

from qed.env.sandbox.arith import ring_equal, ring_nf_term
from qed.env.sandbox.ast import INT, NAT, RAT, REAL, BinOp, HypDecl, Num, Rel, SGoal, VarDecl
from qed.env.sandbox.tactics.core import Ctx, TacticFailure
from qed.env.sandbox.tactics.proofterm import elab, show_prop, term_of
from qed.env.sandbox.tactics.subst import subst_term

_IDENT = re.compile(r"(?<![\w'.₀-₉])([^\W\d][\w'₀-₉]*(?:\.[\w'₀-₉]+)*)")
_EXP = re.compile(r"^\(\s*exp\s*:=\s*(\d+)\s*\)")
RINGS = (INT, RAT, REAL)


def linear_combination(goal: SGoal, args: str, ctx: Ctx) -> tuple[SGoal, ...]:
    src = args.strip()
    exp = 1
    m = _EXP.match(src)
    if m:
        exp = int(m.group(1))
        src = src[m.end():].strip()
        if exp < 1:
            raise TacticFailure("linear_combination: the exponent must be positive")
    if src.startswith("("):
        inner = src[1:].lstrip()
        if inner.startswith("norm") or inner.startswith("exp"):
            raise TacticFailure("linear_combination: the sandbox supports only the (exp := n) option")
    t = goal.target
    if not isinstance(t, Rel) or t.op != "=":
        raise TacticFailure("linear_combination: the goal must be an equality")
    ty = t.lhs.ty
    if ty not in RINGS:
        raise TacticFailure(f"linear_combination: {ty} is not a commutative ring"
                            if ty == NAT else "linear_combination: unsupported type")
    hyp_names = {d.name for d in goal.context if isinstance(d, HypDecl)}
    lhs_map: dict[str, object] = {}
    rhs_map: dict[str, object] = {}
    decls: list[VarDecl] = []
    pieces: list[str] = []
    last = 0
    for k, m in enumerate(_IDENT.finditer(src)):
        tok = m.group(1)
        if tok.split(".")[0] not in hyp_names:
            continue
        ctx.check()
        p = elab(tok, goal, ctx)
        if not isinstance(p, Rel) or p.op != "=":
            raise TacticFailure(f"linear_combination: '{tok}' is not a proof of an equality: {show_prop(p)}")
        if p.lhs.ty != ty:
            raise TacticFailure(f"linear_combination: '{tok}' is an equality in {p.lhs.ty}, the goal in {ty}")
        ph = f"lcPlaceholder{k}"
        decls.append(VarDecl(ph, ty))
        lhs_map[ph], rhs_map[ph] = p.lhs, p.rhs
        pieces.append(src[last:m.start()] + ph)
        last = m.end()
    pieces.append(src[last:])
    text = "".join(pieces).strip()
    if text:
        ext = SGoal(goal.context + tuple(decls), goal.target, goal.tag)
        e = term_of(text, ext, ty)
        e_lhs, e_rhs = subst_term(e, lhs_map), subst_term(e, rhs_map)  # type: ignore[arg-type]
    else:
        e_lhs = e_rhs = Num(Fraction(0), ty)
    diff = BinOp("-", t.lhs, t.rhs, ty)
    if exp != 1:
        diff = BinOp("^", diff, Num(Fraction(exp), NAT), ty)
    if ring_equal(BinOp("+", diff, e_rhs, ty), e_lhs):
        return ()
    residual = ring_nf_term(BinOp("-", diff, BinOp("-", e_lhs, e_rhs, ty), ty))
    raise TacticFailure(
        f"linear_combination failed: ring failed to prove the goal; remaining\n  "
        f"{show_prop(Rel('=', residual, Num(Fraction(0), ty)))}")

"""Sandbox AST -> text exactly as Lean 4 + Mathlib pretty-prints it.

Owns ``print_term``, ``print_prop``, ``print_type`` and ``print_goal``. Follows Lean's
parenthesizer with Lean's notation levels (``+ -`` 65, ``* / %`` 70, ``^`` 75 right,
prefix ``-`` 75, relations 50, ``∧`` 35, ``∨`` 30, ``→`` 25, ``↔`` 20, ``¬`` max with
argument 40, ``↑``/``√`` max, application leadPrec) and parenthesises a binder
(``∀``/``∃``, whose body extends to the right) whenever text follows it. Matches Lean's
delaborators: ``∀ (x y : ℝ), P`` groups, ``∃ x y, P`` (no types), binder predicates
``∀ n ≥ 5, P`` / ``∃ m > n, P`` whenever the shape allows, ``ℝ → P`` for a ``∀`` whose
variable is unused, ``√x`` for ``Real.sqrt``, ``↑x`` for casts, ``|x|``, ``- -x``.
``print_goal`` shows shadowed names as Lean does (``h₀✝``, ``n✝¹``) and breaks a line
longer than 120 characters after its top-level relation, as Lean's formatter does.

Does not know parsing or arithmetic.
"""

from __future__ import annotations

from qed.core import Goal, Hypothesis
from qed.env.sandbox.ast import (
    Abs,
    And,
    App,
    BinOp,
    Bool_,
    Cast,
    Dvd,
    Exists,
    Forall,
    FunTy,
    HypDecl,
    Iff,
    Imp,
    Neg,
    Not,
    Num,
    Or,
    Prop,
    Rel,
    SGoal,
    Term,
    Ty,
    Var,
)
from qed.env.sandbox.syntax_elab import bounded_shape

__all__ = ["print_goal", "print_prop", "print_term", "print_type"]

MAX = 1024
LEAD = 1022
WIDTH = 120
# op -> (precedence, lhs requirement, rhs requirement)
_BIN = {
    "+": (65, 65, 66),
    "-": (65, 65, 66),
    "*": (70, 70, 71),
    "/": (70, 70, 71),
    "%": (70, 70, 71),
    "^": (75, 76, 75),
}
_CONN = {And: ("∧", 35, 36, 35), Or: ("∨", 30, 31, 30), Imp: ("→", 25, 26, 25), Iff: ("↔", 20, 21, 21)}
_SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")
_NO_NAMES: dict[str, str] = {}


def print_type(ty: Ty) -> str:
    """``ℝ``, ``ℕ → ℝ``, ``ℝ → ℝ → ℝ``."""
    if isinstance(ty, FunTy):
        return " → ".join([print_type(d) for d in ty.dom] + [print_type(ty.cod)])
    return ty.name


def print_term(t: Term, names: dict[str, str] | None = None) -> str:
    """Lean's text for ``t``; ``names`` renames free variables (shadowed ones print as ``x✝``)."""
    return _term(t, names or _NO_NAMES)[0]


def print_prop(p: Prop, names: dict[str, str] | None = None) -> str:
    """Lean's text for ``p``; ``names`` as for ``print_term``."""
    return _prop(p, names or _NO_NAMES)[0]


def print_goal(g: SGoal) -> Goal:
    """The ``qed.core.Goal`` Lean shows for ``g`` (one ``Hypothesis`` per declaration)."""
    shown = _display_names(g)
    names: dict[str, str] = {}
    hyps: list[Hypothesis] = []
    for decl, display in zip(g.context, shown, strict=True):
        if isinstance(decl, HypDecl):
            text = _wrap(display + " : ", decl.prop, names)
        else:
            text = print_type(decl.ty)
        hyps.append(Hypothesis(display, text))
        names = names if display == decl.name and decl.name not in names else {**names, decl.name: display}
    return Goal(tuple(hyps), _wrap("⊢ ", g.target, names), g.tag)


def _display_names(g: SGoal) -> list[str]:
    """Later declarations shadow earlier ones: Lean shows those as ``n✝``, ``n✝¹``, … (newest ✝)."""
    seen: dict[str, int] = {}
    out: list[str] = []
    for decl in reversed(g.context):
        k = seen.get(decl.name, -1)
        seen[decl.name] = k + 1
        if k < 0:
            out.append(decl.name)
        else:
            out.append(decl.name + "✝" + (str(k).translate(_SUPERSCRIPT) if k else ""))
    out.reverse()
    return out


def _wrap(prefix: str, p: Prop, names: dict[str, str]) -> str:
    text = print_prop(p, names)
    if len(prefix) + len(text) <= WIDTH or type(p) not in (Rel, Dvd):
        return text
    op = "∣" if type(p) is Dvd else p.op
    lhs = _term_at(p.lhs, 51, names)
    rhs = _term_at(p.rhs, 51, names)
    return f"{lhs} {op}\n    {rhs}"


# ---- terms ---------------------------------------------------------------------------------


def _term_at(t: Term, req: int, names: dict[str, str]) -> str:
    text, prec = _term(t, names)
    return f"({text})" if prec < req else text


def _term(t: Term, names: dict[str, str]) -> tuple[str, int]:
    k = type(t)
    if k is Var:
        return names.get(t.name, t.name), MAX
    if k is Num:
        return _num(t)
    if k is BinOp:
        prec, lreq, rreq = _BIN[t.op]
        return f"{_term_at(t.lhs, lreq, names)} {t.op} {_term_at(t.rhs, rreq, names)}", prec
    if k is Neg:
        arg = _term_at(t.arg, 75, names)
        return ("- " if arg.startswith("-") else "-") + arg, 75
    if k is Abs:
        return f"|{_term(t.arg, names)[0]}|", MAX
    if k is Cast:
        return "↑" + _term_at(t.arg, MAX, names), MAX
    if k is App:
        if t.fn == "Real.sqrt" and len(t.args) == 1:
            return "√" + _term_at(t.args[0], MAX, names), MAX
        fn = names.get(t.fn, t.fn)
        return fn + "".join(" " + _term_at(a, MAX, names) for a in t.args), LEAD
    raise TypeError(f"not a sandbox term: {t!r}")


def _num(n: Num) -> tuple[str, int]:
    if n.lit is not None:
        return n.lit, MAX
    v = n.value
    if v.denominator == 1:
        return (str(v.numerator), MAX) if v >= 0 else (f"-{-v.numerator}", 75)
    num = str(v.numerator) if v >= 0 else f"-{-v.numerator}"
    return f"{num} / {v.denominator}", 70


# ---- propositions ----------------------------------------------------------------------------


def _prop_at(p: Prop, req: int, trailing: bool, names: dict[str, str]) -> tuple[str, bool]:
    """Text of ``p`` in a slot needing precedence ``req``; ``trailing``: text follows it."""
    text, prec, open_tail = _prop(p, names)
    if prec < req or (trailing and open_tail):
        return f"({text})", False
    return text, open_tail


def _prop(p: Prop, names: dict[str, str]) -> tuple[str, int, bool]:
    """(text, precedence, whether the text ends in an unparenthesised binder body)."""
    k = type(p)
    if k is Rel:
        return f"{_term_at(p.lhs, 51, names)} {p.op} {_term_at(p.rhs, 51, names)}", 50, False
    if k is Dvd:
        return f"{_term_at(p.lhs, 51, names)} ∣ {_term_at(p.rhs, 51, names)}", 50, False
    conn = _CONN.get(k)
    if conn is not None:
        op, prec, lreq, rreq = conn
        lhs, _ = _prop_at(p.lhs, lreq, True, names)
        rhs, open_tail = _prop_at(p.rhs, rreq, False, names)
        return f"{lhs} {op} {rhs}", prec, open_tail
    if k is Not:
        arg, open_tail = _prop_at(p.arg, 40, False, names)
        return "¬" + arg, MAX, open_tail
    if k is Bool_:
        return ("True" if p.value else "False"), MAX, False
    if k is Forall:
        text, prec = _forall(p, names)
        return text, prec, True
    if k is Exists:
        return _exists(p, names), LEAD, True
    raise TypeError(f"not a sandbox proposition: {p!r}")


def _bound_names(names: dict[str, str], bound: list[str]) -> dict[str, str]:
    if not names or not any(b in names for b in bound):
        return names
    return {k: v for k, v in names.items() if k not in bound}


def _binder_pred(p: Forall | Exists, names: dict[str, str]) -> str:
    q = "∀" if type(p) is Forall else "∃"
    cond: Rel = p.body.lhs  # type: ignore[union-attr, assignment]
    inner = _bound_names(names, [p.var])
    rhs = _term_at(cond.rhs, 51, inner)
    body = _prop(p.body.rhs, inner)[0]  # type: ignore[union-attr]
    return f"{q} {p.var} {cond.op} {rhs}, {body}"


def _forall(p: Forall, names: dict[str, str]) -> tuple[str, int]:
    """Text and precedence: leadPrec for ``∀ …, P``; 25 when it prints as an arrow ``T → P``."""
    if bounded_shape(Forall, p.var, p.body):
        return _binder_pred(p, names), LEAD
    binders: list[tuple[str, Ty]] = [(p.var, p.ty)]
    body: Prop = p.body
    while type(body) is Forall and not bounded_shape(Forall, body.var, body.body):
        binders.append((body.var, body.ty))
        body = body.body
    inner = _bound_names(names, [v for v, _ in binders])
    text, body_prec, _ = _prop(body, inner)
    # Build from the innermost group outwards, as Lean's delaborator does.
    groups: list[tuple[list[str], Ty]] = []
    for var, ty in binders:
        if groups and groups[-1][1] == ty:
            groups[-1][0].append(var)
        else:
            groups.append(([var], ty))
    pieces: list[str] = []  # bracketed groups waiting to be joined into one ∀
    out, prec = text, body_prec
    for vars_, ty in reversed(groups):
        used = any(_prop_mentions(body, v) for v in vars_)
        if used:
            pieces.insert(0, f"({' '.join(vars_)} : {print_type(ty)})")
            continue
        if pieces:
            out = f"∀ {' '.join(pieces)}, {out}"
            pieces = []
        arrow = f"({print_type(ty)})" if isinstance(ty, FunTy) else print_type(ty)
        if prec < 25:  # an arrow's body sits at precedence 25
            out = f"({out})"
        for _ in vars_:
            out = f"{arrow} → {out}"
        prec = 25
    if pieces:
        out, prec = f"∀ {' '.join(pieces)}, {out}", LEAD
    return out, prec


def _exists(p: Exists, names: dict[str, str]) -> str:
    if bounded_shape(Exists, p.var, p.body):
        return _binder_pred(p, names)
    vars_ = [p.var]
    body: Prop = p.body
    while type(body) is Exists and not bounded_shape(Exists, body.var, body.body):
        vars_.append(body.var)
        body = body.body
    return f"∃ {' '.join(vars_)}, {_prop(body, _bound_names(names, vars_))[0]}"


def _prop_mentions(p: Prop, var: str) -> bool:
    k = type(p)
    if k is Rel or k is Dvd:
        return _mentions(p.lhs, var) or _mentions(p.rhs, var)
    if k in _CONN:
        return _prop_mentions(p.lhs, var) or _prop_mentions(p.rhs, var)
    if k is Not:
        return _prop_mentions(p.arg, var)
    if k is Forall or k is Exists:
        return p.var != var and _prop_mentions(p.body, var)
    return False


def _mentions(t: Term, var: str) -> bool:
    k = type(t)
    if k is Var:
        return t.name == var
    if k is Num:
        return False
    if k is BinOp:
        return _mentions(t.lhs, var) or _mentions(t.rhs, var)
    if k is App:
        return t.fn == var or any(_mentions(a, var) for a in t.args)
    return _mentions(t.arg, var)

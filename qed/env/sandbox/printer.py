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
    PROP,
    Abs,
    And,
    App,
    BigOp,
    BinOp,
    Bool_,
    Cast,
    Coll,
    Dvd,
    EquivTy,
    Exists,
    ExistsUnique,
    Forall,
    FunTy,
    HypDecl,
    Iff,
    Imp,
    Lam,
    Mem,
    ModEq,
    Neg,
    Not,
    Num,
    Or,
    Pred,
    ProdTy,
    Prop,
    Rel,
    SetOf,
    SetTy,
    SGoal,
    Term,
    Ty,
    Var,
)
from qed.env.sandbox.numerals import int_str
from qed.env.sandbox.syntax_elab import bounded_shape, prop_mentions
from qed.env.sandbox.syntax_ext import TSUB, ZMOD_CAST, ZMOD_NUMERAL, namespace_of

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
    "∪": (65, 65, 66),
    "∩": (70, 70, 71),
    "\\": (70, 71, 71),
    "/.": (70, 70, 71),
    "⁻¹'": (80, 80, 81),
    "''": (80, 80, 81),
}
_CONN = {And: ("∧", 35, 36, 35), Or: ("∨", 30, 31, 30), Imp: ("→", 25, 26, 25), Iff: ("↔", 20, 21, 21)}
_SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")
_NO_NAMES: dict[str, str] = {}


def print_type(ty: Ty) -> str:
    """``ℝ``, ``ℕ → ℝ``, ``ℝ → ℝ → ℝ``."""
    if isinstance(ty, FunTy):
        return " → ".join([print_type(d) for d in ty.dom] + [print_type(ty.cod)])
    if isinstance(ty, EquivTy):
        return f"{print_type(ty.dom)} ≃ {print_type(ty.cod)}"
    if isinstance(ty, ProdTy):
        fst = print_type(ty.fst)
        return (
            f"({fst}) × {print_type(ty.snd)}"
            if isinstance(ty.fst, (ProdTy, FunTy))
            else f"{fst} × {print_type(ty.snd)}"
        )
    if isinstance(ty, SetTy):
        inner = print_type(ty.elem)
        return (
            f"{ty.kind} ({inner})"
            if isinstance(ty.elem, (FunTy, SetTy)) or " " in inner
            else f"{ty.kind} {inner}"
        )
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
        rhs = _exponent(t.rhs, names) if t.op == "^" else _term_at(t.rhs, rreq, names)
        return f"{_term_lhs(t.lhs, lreq, prec, names)} {t.op} {rhs}", prec
    if k is Neg:
        arg = _term_at(t.arg, 75, names)
        return ("- " if arg.startswith("-") else "-") + arg, 75
    if k is Abs:
        return f"|{_term(t.arg, names)[0]}|", MAX
    if k is Cast:
        return "↑" + _arg(t.arg, names), MAX
    if k is App:
        if t.fn == "Real.sqrt" and len(t.args) == 1:
            return "√" + _term_at(t.args[0], MAX, names), MAX
        if t.fn in _GLOBAL_FNS:
            return _global_app(t, names)
        fn = names.get(t.fn, t.fn)
        return fn + "".join(" " + _arg(a, names) for a in t.args), LEAD
    if k is BigOp:
        dom = _term(t.dom, names)[0]
        inner = _bound_names(names, [t.var])
        return f"{t.op} {t.var} ∈ {dom}, {_term_at(t.body, 67, inner)}", MAX
    if k is Lam:
        inner = _bound_names(names, [t.var])
        body = _prop(t.body, inner)[0] if t.ty.cod == PROP else _term(t.body, inner)[0]  # type: ignore[union-attr, arg-type]
        return f"fun {t.var} => {body}", LEAD
    if k is SetOf:
        return f"{{{t.var} | {_prop(t.body, _bound_names(names, [t.var]))[0]}}}", MAX  # type: ignore[arg-type]
    if k is Coll:
        inner = ", ".join(_term(e, names)[0] for e in t.elems)
        return (f"[{inner}]" if t.ty.kind == "List" else f"{{{inner}}}"), MAX  # type: ignore[union-attr]
    raise TypeError(f"not a sandbox term: {t!r}")


def _exponent(t: Term, names: dict[str, str]) -> str:
    """The right operand of ``^``: a negation is parenthesised (``x ^ (-3)``), as Lean does."""
    text = _term_at(t, 75, names)
    return f"({text})" if text.startswith("-") else text


def _tail(t: Term) -> int:
    """The precedence of the part of ``t``'s text that extends to the right (MAX: none)."""
    k = type(t)
    if k is BigOp:
        return 67
    if k is Lam:
        return 0
    if k is BinOp:
        prec, _, rreq = _BIN[t.op]
        rp = _term(t.rhs, _NO_NAMES)[1]
        return _tail(t.rhs) if rp >= rreq else MAX
    if k is App and t.fn in _INFIX_FNS:
        op = _INFIX_FNS[t.fn]
        return _tail(t.args[1]) if _term(t.args[1], _NO_NAMES)[1] >= _BIN[op][2] else MAX
    if k in (Neg, Cast):
        return _tail(t.arg)
    return MAX


def _term_lhs(t: Term, req: int, following: int, names: dict[str, str]) -> str:
    """``t`` on the left of an operator of precedence ``following``: parenthesised when the
    operator would otherwise be read into ``t``'s open tail (``(∑ i ∈ s, f i) % 7``)."""
    text, prec = _term(t, names)
    return f"({text})" if prec < req or _tail(t) <= following else text


def _arg(t: Term, names: dict[str, str]) -> str:
    """An application argument (``MAX``; anything with an open tail is parenthesised)."""
    text, prec = _term(t, names)
    return f"({text})" if prec < MAX or _tail(t) < MAX else text


# Functions the printer knows: notation, infix operators, field notation, opened names.
_INFIX_FNS = {
    "Set.preimage": "⁻¹'",
    "Set.image": "''",
    "Union": "∪",
    "Inter": "∩",
    "SDiff": "\\",
    "Rat.divInt": "/.",
    TSUB: "-",
    "Real.rpow": "^",
    "NNReal.rpow": "^",
    "zpow": "^",
    "Complex.cpow": "^",
}
_BRACKETS = {
    "Int.floor": ("⌊", "⌋"), "Int.ceil": ("⌈", "⌉"), "Nat.floor": ("⌊", "⌋₊"), "Nat.ceil": ("⌈", "⌉₊"),
    "norm": ("‖", "‖"),
}  # fmt: skip
# Names shown as written (bundled homomorphisms, no field notation) and the short names that
# ``open Real Nat`` gives (Lean keeps the full name where the short one is ambiguous).
# ``@[pp_nodot]`` in Mathlib: never printed with field notation (``rexp x``, ``arctan x``).
_NODOT = {"Real.exp", "Real.arctan", "Real.arcsin", "Real.arccos", "Nat.totient"}
_PLAIN = {"Complex.abs", "Complex.normSq", "NNReal.sqrt", "min", "max"}
_SHORT = {
    "Real.logb": "logb", "Nat.digits": "digits", "Nat.choose": "choose", "Nat.divisors": "divisors",
    "Real.sin": "sin", "Real.cos": "cos", "Real.tan": "tan", "Real.exp": "rexp", "Nat.succ": "succ",
    "Real.arctan": "arctan", "Real.arcsin": "arcsin", "Real.arccos": "arccos", "Nat.totient": "φ",
    "Nat.properDivisors": "properDivisors", "Nat.ofDigits": "ofDigits",
}  # fmt: skip
_GLOBAL_FNS = (
    set(_INFIX_FNS) | set(_BRACKETS) | _PLAIN | set(_SHORT)
    | {"Real.pi", "Complex.I", "Nat.factorial", "Inv.inv", ZMOD_NUMERAL, ZMOD_CAST}
    | {"Real.log", "Nat.gcd", "Nat.lcm", "Nat.sqrt", "Nat.pred", "Int.gcd", "Int.lcm", "Int.natAbs",
       "Int.toNat", "Int.fract", "Rat.num", "Rat.den", "Complex.re", "Complex.im", "Real.arcsin",
       "Real.arccos", "Finset.range", "Finset.Icc", "Finset.Ico", "Finset.Ioc", "Finset.Ioo", "Set.Icc",
       "Set.Ico", "Set.Ioc", "Set.Ioo", "Finset.card", "Finset.filter", "Finset.sum", "Finset.prod",
       "List.sum", "List.prod", "List.length", "Equiv.toFun", "Equiv.invFun", "Equiv.coe",
       "Set.toFinset", "Set.range", "Nat.ofDigits", "id", "Prod.mk", "Set.ncard", "Real.cot"}
)  # fmt: skip


def _receiver(t: Term, names: dict[str, str]) -> str:
    text, prec = _term(t, names)
    k = type(t)
    bare = k in (Var, SetOf, Coll, Abs) or (
        k is App and prec == MAX and (t.fn in _BRACKETS or t.fn == "Nat.factorial" or _field_style(t))
    )
    return text if bare else f"({text})"


def _field_style(t: App) -> bool:
    """Lean's generalized field notation: ``x.gcd y`` for ``Nat.gcd x y`` (not for literals)."""
    if t.fn in _PLAIN or t.fn in _BRACKETS or t.fn in _INFIX_FNS or not t.args or "." not in t.fn:
        return False
    if t.fn in _NODOT:
        return False
    ns = t.fn.rsplit(".", 1)[0]
    first = t.args[0]
    return namespace_of(first.ty) == ns and type(first) is not Num


def _global_app(t: App, names: dict[str, str]) -> tuple[str, int]:
    fn, args = t.fn, t.args
    if fn == "Real.pi":
        return "π", MAX
    if fn == "Complex.I":
        return "Complex.I", MAX
    if fn == ZMOD_NUMERAL:
        return _term(args[0], names)
    if fn == "Prod.mk":
        items = [args[0]]
        rest = args[1]
        while type(rest) is App and rest.fn == "Prod.mk":
            items.append(rest.args[0])
            rest = rest.args[1]
        items.append(rest)
        return "(" + ", ".join(_term(x, names)[0] for x in items) + ")", MAX
    if fn == "Equiv.coe":
        return f"{_term(args[0], names)[0]} {_arg(args[1], names)}", LEAD
    if fn == ZMOD_CAST:
        return "↑" + _term_at(args[0], MAX, names), MAX
    if fn in _INFIX_FNS:
        op = _INFIX_FNS[fn]
        prec, lreq, rreq = _BIN[op]
        rhs = _exponent(args[1], names) if op == "^" else _term_at(args[1], rreq, names)
        return f"{_term_lhs(args[0], lreq, prec, names)} {op} {rhs}", prec
    if fn in _BRACKETS:
        left, right = _BRACKETS[fn]
        return f"{left}{_term(args[0], names)[0]}{right}", MAX
    if fn == "Nat.factorial":
        arg = _term_at(args[0], MAX, names)
        ident_end = arg[-1].isalnum() or arg[-1] in "'_!?₀₁₂₃₄₅₆₇₈₉" or arg[-1] in _SUBSCRIPT_CHARS
        return (arg + " !" if ident_end and not arg.isdigit() else arg + "!"), MAX
    if fn == "Inv.inv":
        return _term_at(args[0], MAX, names) + "⁻¹", MAX
    if _field_style(t):
        head = _receiver(args[0], names) + "." + fn.rsplit(".", 1)[1]
        if len(args) == 1:
            return head, MAX
        return head + "".join(" " + _arg(a, names) for a in args[1:]), LEAD
    name = _SHORT.get(fn, fn)
    if not args:
        return name, MAX
    return name + "".join(" " + _arg(a, names) for a in args), LEAD


_SUBSCRIPT_CHARS = "ₐₑₒₓₔₕₖₗₘₙₚₛₜᵢᵣᵤᵥⱼ"


def _num(n: Num) -> tuple[str, int]:
    if n.lit is not None:
        return n.lit, MAX
    v = n.value
    if v.denominator == 1:
        return (int_str(v.numerator), MAX) if v >= 0 else ("-" + int_str(-v.numerator), 75)
    num = int_str(v.numerator) if v >= 0 else "-" + int_str(-v.numerator)
    return f"{num} / {int_str(v.denominator)}", 70


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
        return f"{_term_lhs(p.lhs, 51, 50, names)} {p.op} {_term_at(p.rhs, 51, names)}", 50, _tail(p.rhs) < 36
    if k is Dvd:
        return f"{_term_lhs(p.lhs, 51, 50, names)} ∣ {_term_at(p.rhs, 51, names)}", 50, _tail(p.rhs) < 36
    conn = _CONN.get(k)
    if conn is not None:
        op, prec, lreq, rreq = conn
        lhs, _ = _prop_at(p.lhs, lreq, True, names)
        rhs, open_tail = _prop_at(p.rhs, rreq, False, names)
        return f"{lhs} {op} {rhs}", prec, open_tail
    if k is Not:
        if type(p.arg) is Mem and not p.arg.negated:
            return _prop(Mem(p.arg.elem, p.arg.coll, True), names)
        arg, open_tail = _prop_at(p.arg, 40, False, names)
        return "¬" + arg, MAX, open_tail
    if k is Bool_:
        return ("True" if p.value else "False"), MAX, False
    if k is Forall:
        text, prec = _forall(p, names)
        return text, prec, True
    if k is Exists:
        return _exists(p, names), LEAD, True
    if k is Mem:
        op = "∉" if p.negated else "∈"
        return (
            f"{_term_lhs(p.elem, 51, 50, names)} {op} {_term_at(p.coll, 51, names)}",
            50,
            _tail(p.coll) < 36,
        )
    if k is Pred:
        if p.fn in ("⊆", "⊂"):
            return f"{_term_lhs(p.args[0], 51, 50, names)} {p.fn} {_term_at(p.args[1], 51, names)}", 50, False
        return _pred(p, names), LEAD, False
    if k is ModEq:
        lhs = _term_lhs(p.lhs, 51, 50, names)
        return f"{lhs} ≡ {_term_at(p.rhs, 51, names)} [{p.kind} {_term(p.modulus, names)[0]}]", 50, False
    if k is ExistsUnique:
        return f"∃! {p.var}, {_prop(p.body, _bound_names(names, [p.var]))[0]}", LEAD, True
    raise TypeError(f"not a sandbox proposition: {p!r}")


def _pred(p: Pred, names: dict[str, str]) -> str:
    fn, args = p.fn, p.args
    if fn in ("Fintype", "Nonempty"):
        return f"{fn} ↑{_arg(args[0], names)}"
    if fn in ("Nat.Prime", "Nat.Coprime") and type(args[0]) is not Num:
        head = _receiver(args[0], names) + "." + fn.split(".")[1]
        return head + "".join(" " + _arg(a, names) for a in args[1:])
    return fn + "".join(" " + _arg(a, names) for a in args)


def _bound_names(names: dict[str, str], bound: list[str]) -> dict[str, str]:
    if not names or not any(b in names for b in bound):
        return names
    return {k: v for k, v in names.items() if k not in bound}


def _binder_pred(p: Forall | Exists, names: dict[str, str]) -> str:
    q = "∀" if type(p) is Forall else "∃"
    cond: Rel = p.body.lhs  # type: ignore[union-attr, assignment]
    inner = _bound_names(names, [p.var])
    if type(cond) is Mem:
        rhs, op = _term_at(cond.coll, 51, inner), "∈"
    else:
        rhs, op = _term_at(cond.rhs, 51, inner), cond.op
    body = _prop(p.body.rhs, inner)[0]  # type: ignore[union-attr]
    return f"{q} {p.var} {op} {rhs}, {body}"


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
        used = any(prop_mentions(body, v) for v in vars_)
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

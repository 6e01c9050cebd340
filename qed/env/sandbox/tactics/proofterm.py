"""Elaboration of proof terms (``exact``, ``have … :=``, ``obtain … :=``, hint lists).

A proof term's meaning here is the proposition it proves. Supported forms:

- a hypothesis name ``h``; projections ``h.1``/``h.left``, ``h.2``/``h.right`` (``∧``),
  ``h.1``/``h.mp``, ``h.2``/``h.mpr`` (``↔``), ``h.le`` (``<``/``=`` to ``≤``), ``h.symm``
  (``=``/``≠``), ``h.ne``/``h.ne'`` (``<`` to ``≠``); projections of parenthesised terms;
- application to terms (``h₀ 2`` for ``h₀ : ∀ x, …``) and to proofs (``h hp`` for
  ``h : P → Q``, ``¬P``, ``a ≠ b``), arguments being names, numerals, ``(…)`` or ``⟨…⟩``;
- a lemma of the lemma table applied to its explicit arguments, implicit ones inferred
  by matching (``mul_pos ha hb``, ``sq_nonneg (a - b)``, ``sub_nonneg.mpr h``); with an
  expected type, the conclusion is matched first so ``mul_pos (by …) (by …)`` works;
- ``⟨p, q, …⟩`` against ``∧``, ``↔`` and ``∃`` (witness first), ``True``;
- ``by tacs`` (a nested block that must close its goal), ``(e : P)`` ascription,
  ``rfl``, ``trivial``, ``Or.inl e``/``Or.inr e``, ``And.intro p q``, ``False.elim e``,
  ``absurd h hn``.

Owns this elaboration and its Lean-like errors (``unknown identifier``, ``type mismatch``,
``application type mismatch``). Knows nothing about tactics beyond ``Ctx.run_block``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from qed.env.sandbox.arith import evaluate
from qed.env.sandbox.ast import (
    INT,
    NAT,
    NUMERIC,
    And,
    App,
    BinOp,
    Bool_,
    Cast,
    Dvd,
    Exists,
    Forall,
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
    VarDecl,
)
from qed.env.sandbox.parse import ParseError, parse_prop, parse_term
from qed.env.sandbox.tactics.args import by_block, find_top, is_ident, split_top, top_words
from qed.env.sandbox.tactics.core import Ctx, TacticFailure, find_decl
from qed.env.sandbox.tactics.lemmas import Schema
from qed.env.sandbox.tactics.subst import canon, match_prop, prop_vars, props_match, subst_prop

_FALSE = Bool_(False)
_PROJ_MP = ("1", "mp")
_PROJ_MPR = ("2", "mpr")


def show_prop(p: Prop) -> str:
    from qed.env.sandbox.printer import print_prop

    return print_prop(p)


def term_of(src: str, goal: SGoal, expected: Ty | None = None) -> Term:
    """``parse_term`` with parse errors turned into ``TacticFailure``."""
    try:
        return parse_term(src.strip(), goal.context, expected)
    except ParseError as e:
        raise TacticFailure(str(e)) from None


def prop_of(src: str, goal: SGoal) -> Prop:
    """``parse_prop`` with parse errors turned into ``TacticFailure``."""
    try:
        return parse_prop(src.strip(), goal.context)
    except ParseError as e:
        raise TacticFailure(str(e)) from None


def mismatch(src: str, got: Prop, want: Prop) -> TacticFailure:
    return TacticFailure(
        f"type mismatch\n  {src.strip()}\nhas type\n  {show_prop(got)} : Prop\n"
        f"but is expected to have type\n  {show_prop(want)} : Prop"
    )


def elab(src: str, goal: SGoal, ctx: Ctx, expected: Prop | None = None) -> Prop:
    """The proposition proved by the term ``src`` in ``goal``'s context.

    With ``expected``, the result must match it (``type mismatch`` otherwise) and
    ``expected`` itself is returned.
    """
    ctx.check()
    s = src.strip()
    if not s:
        raise TacticFailure("expected a term")
    block = by_block(s)
    if block is not None:
        if expected is None:
            raise TacticFailure("cannot elaborate 'by' block: the expected type is not known")
        left = ctx.run_block(SGoal(goal.context, expected), block)
        if left:
            raise TacticFailure("unsolved goals\n" + "\n\n".join(ctx.show_goal(g) for g in left))
        return expected
    if s.startswith("⟨") and _closing(s, 0) == len(s) - 1:
        if expected is None:
            raise TacticFailure(f"invalid constructor {s}: the expected type must be known")
        _anonymous(s[1:-1], goal, ctx, expected)
        return expected
    piped = _unpipe(s)
    if piped is not None:
        return elab(piped, goal, ctx, expected)
    if s.startswith("show "):
        asc = ascription(s)
        if asc is None:
            raise TacticFailure("the sandbox supports 'show P by tac' and 'show P from e' terms only")
        want = prop_of(asc[0], goal)
        if expected is not None and not props_match(want, expected):
            raise mismatch(s, want, expected)
        elab(asc[1], goal, ctx, want)
        return expected if expected is not None else want
    words = top_words(s)
    if not words:
        raise TacticFailure("expected a term")
    head, args = words[0], words[1:]
    if head in ("fun", "λ", "show", "calc", "match"):
        raise TacticFailure(f"the sandbox does not support '{head}' terms")
    got = _apply_head(head, args, goal, ctx, expected, s)
    if expected is not None:
        if not props_match(got, expected):
            raise mismatch(s, got, expected)
        return expected
    return got


def _last_top(s: str, token: str) -> int:
    k, found = find_top(s, token), -1
    while k >= 0:
        found = k
        k = find_top(s, token, k + 1)
    return found


def _unpipe(s: str) -> str | None:
    """``f <| x`` is ``f (x)``; ``e |>.f a`` is ``(e).f a`` (Lean's pipelines)."""
    k = find_top(s, " <| ")
    if k >= 0:
        return f"{s[:k].strip()} ({s[k + 4:].strip()})"
    k = _last_top(s, " |>.")
    if k >= 0:
        return f"({s[:k].strip()}).{s[k + 4:].strip()}"
    return None


def _closing(s: str, i: int) -> int:
    depth = 0
    for j in range(i, len(s)):
        if s[j] in "([{⟨":
            depth += 1
        elif s[j] in ")]}⟩":
            depth -= 1
            if depth == 0:
                return j
    raise TacticFailure(f"unbalanced brackets in '{s}'")


def _anonymous(inner: str, goal: SGoal, ctx: Ctx, expected: Prop) -> None:
    items = [x.strip() for x in split_top(inner)] if inner.strip() else []
    rest = "⟨" + ", ".join(items[1:]) + "⟩" if len(items) > 2 else (items[1] if len(items) == 2 else "")
    match expected:
        case Bool_(value=True) if not items:
            return
        case And(lhs=a, rhs=b) if len(items) >= 2:
            elab(items[0], goal, ctx, a)
            elab(rest, goal, ctx, b)
            return
        case Iff(lhs=a, rhs=b) if len(items) == 2:
            elab(items[0], goal, ctx, Imp(a, b))
            elab(items[1], goal, ctx, Imp(b, a))
            return
        case Exists(var=v, ty=ty, body=body) if len(items) >= 2:
            w = term_of(items[0], goal, ty)
            elab(rest, goal, ctx, subst_prop(body, {v: w}))
            return
    raise TacticFailure(
        f"invalid constructor ⟨{inner}⟩: expected type {show_prop(expected)} does not take "
        f"{len(items)} component(s)"
    )


def _apply_head(head: str, args: list[str], goal: SGoal, ctx: Ctx, expected: Prop | None, src: str) -> Prop:
    # parenthesised head, possibly with projections: (h x).1, (e : P)
    if head.startswith("("):
        close = _closing(head, 0)
        inner, projs = head[1:close], head[close + 1:]
        if projs and not projs.startswith("."):
            raise TacticFailure(f"unexpected '{projs}' after '{head[: close + 1]}'")
        from qed.env.sandbox.tactics.args import find_top

        k = find_top(inner, ":")
        plist = [x for x in projs.split(".") if x]
        if k < 0 and plist and plist[0] in _PROJ_MP + _PROJ_MPR:
            # ``(div_lt_one h2).mpr h4``: the ``↔`` lemma's implicit arguments are unified
            # with the later arguments and the expected type, as Lean's metavariables are
            words = top_words(inner)
            local = not words or find_decl(goal, words[0].split(".")[0]) is not None
            lh = None if local else lemma_head(words[0], ctx)
            if lh is not None and lh[1] == "" and not lh[2]:
                return _lemma(lh[0], plist, words[1:] + args, goal, ctx, expected, src)
        if k >= 0:
            want = prop_of(inner[k + 1:], goal)
            p = elab(inner[:k], goal, ctx, want)
        else:
            want_inner = expected if (not projs and not args) else None
            p = elab(inner, goal, ctx, want_inner)
        for i, proj in enumerate(plist):
            if proj == "elim" and p == _FALSE and i == len(plist) - 1 and not args and expected is not None:
                return expected  # ``(h : False).elim``
            dot = _dot_lemma(p, proj)
            if dot is not None:
                return _with_dot_lemma(dot, p, plist[i + 1:], args, goal, ctx, expected, src)
            if proj in ("resolve_left", "resolve_right") and i == len(plist) - 1:
                p, args = _resolve(p, proj, args, goal, ctx, src)
                continue
            p = project(p, proj, src)
        return apply_args(p, args, goal, ctx, src)
    special = _special(head, args, goal, ctx, expected, src)
    if special is not None:
        return special
    parts = head.split(".")
    for k in range(len(parts), 0, -1):
        base, projs = ".".join(parts[:k]), parts[k:]
        decl = find_decl(goal, base)
        if decl is not None:
            if isinstance(decl, VarDecl):
                raise TacticFailure(f"type mismatch: '{base}' is a term of type {decl.ty}, not a proof")
            p = decl.prop
            for i, proj in enumerate(projs):
                if proj == "elim" and p == _FALSE and i == len(projs) - 1 and not args and expected:
                    return expected
                dot = _dot_lemma(p, proj)
                if dot is not None:
                    return _with_dot_lemma(dot, p, projs[i + 1:], args, goal, ctx, expected, src)
                if proj in ("resolve_left", "resolve_right") and i == len(projs) - 1:
                    p, args = _resolve(p, proj, args, goal, ctx, src)
                    continue
                p = project(p, proj, src)
            return apply_args(p, args, goal, ctx, src)
        if base in ctx.lemmas:
            return _lemma(base, projs, args, goal, ctx, expected, src)
    if not is_ident(head):
        raise TacticFailure(f"the sandbox cannot read the term '{src}'")
    raise unknown_identifier(head)


def _special(
    head: str, args: list[str], goal: SGoal, ctx: Ctx, expected: Prop | None, src: str
) -> Prop | None:
    if head == "rfl" and not args:
        if isinstance(expected, Rel) and expected.op == "=" and _refl_eq(expected):
            return expected
        raise TacticFailure("The rfl term failed: the two sides are not definitionally equal")
    if head in ("trivial", "True.intro") and not args:
        return Bool_(True)
    if head in ("Or.inl", "Or.inr") and len(args) == 1:
        if not isinstance(expected, Or):
            raise TacticFailure(f"{head}: the expected type must be a disjunction")
        elab(args[0], goal, ctx, expected.lhs if head == "Or.inl" else expected.rhs)
        return expected
    if head == "And.intro" and len(args) == 2:
        if not isinstance(expected, And):
            raise TacticFailure("And.intro: the expected type must be a conjunction")
        elab(args[0], goal, ctx, expected.lhs)
        elab(args[1], goal, ctx, expected.rhs)
        return expected
    if head == "False.elim" and len(args) == 1:
        elab(args[0], goal, ctx, _FALSE)
        return expected if expected is not None else _FALSE
    if head == "absurd" and len(args) == 2:
        p = elab(args[0], goal, ctx)
        elab(args[1], goal, ctx, Not(p))
        return expected if expected is not None else _FALSE
    return None


def _refl_eq(r: Rel) -> bool:
    """``a = a`` syntactically, or a closed ℕ/ℤ equation that computes (kernel ``rfl``)."""
    if r.lhs == r.rhs:
        return True
    if r.lhs.ty in (NAT, INT):
        a, b = evaluate(r.lhs), evaluate(r.rhs)
        return a is not None and a == b
    return False


# Generalized field notation on a hypothesis ``h : a < b``: ``h.trans_le h'`` is
# ``LT.lt.trans_le h h'``; the table's lemma taking ``h`` as its first hypothesis.
_DOT_LEMMAS = {
    ("<", "trans"): "lt_trans", ("<", "trans_le"): "lt_of_lt_of_le", ("≤", "trans"): "le_trans",
    ("≤", "trans_lt"): "lt_of_le_of_lt", ("<", "not_le"): "not_le_of_lt", ("≤", "not_lt"): "not_lt_of_le",
    ("≤", "antisymm"): "le_antisymm", ("≤", "lt_of_ne"): "lt_of_le_of_ne", ("<", "asymm"): "lt_asymm",
    ("=", "trans"): "eq_trans", ("=", "ge"): "ge_of_eq",
}


def _dot_lemma(p: Prop, proj: str) -> str | None:
    c = canon(p)
    if isinstance(c, Rel):
        return _DOT_LEMMAS.get((c.op, proj))
    return None


def _with_dot_lemma(name: str, p: Prop, projs: list[str], args: list[str], goal: SGoal, ctx: Ctx,
                    expected: Prop | None, src: str) -> Prop:
    if name == "eq_trans":  # ``h.trans h'`` on equations: transitivity, checked directly
        c = canon(p)
        assert isinstance(c, Rel)
        if not args:
            raise TacticFailure(f"{src.strip()}: 'trans' expects an argument")
        q = elab(args[0], goal, ctx)
        if not (isinstance(q, Rel) and q.op == "=" and q.lhs == c.rhs):
            raise TacticFailure(f"application type mismatch in {src.strip()}")
        out: Prop = Rel("=", c.lhs, q.rhs)
        for pr in projs:
            out = project(out, pr, src)
        return apply_args(out, args[1:], goal, ctx, src)
    hname = "_dot✝"
    g2 = SGoal((*goal.context, HypDecl(hname, p)), goal.target, goal.tag)
    return _lemma(name, projs, [hname, *args], g2, ctx, expected, src)


def _resolve(p: Prop, proj: str, args: list[str], goal: SGoal, ctx: Ctx, src: str) -> tuple[Prop, list[str]]:
    """``h.resolve_left hn`` (``h : P ∨ Q``, ``hn : ¬P``) proves ``Q``; ``resolve_right``
    symmetrically."""
    if not isinstance(p, Or) or not args:
        raise TacticFailure(f"invalid field '{proj}': {src.strip()} has type {show_prop(p)}")
    left = proj == "resolve_left"
    elab_arg(args[0], goal, ctx, Not(p.lhs if left else p.rhs), src)
    return (p.rhs if left else p.lhs), args[1:]


def project(p: Prop, proj: str, src: str) -> Prop:
    """``h.proj`` for the supported projections (see the module docstring)."""
    c = canon(p)
    match p:
        case And(lhs=a, rhs=b) if proj in ("1", "left", "2", "right"):
            return a if proj in ("1", "left") else b
        case Iff(lhs=a, rhs=b) if proj in _PROJ_MP + _PROJ_MPR:
            return Imp(a, b) if proj in _PROJ_MP else Imp(b, a)
    if isinstance(c, Rel):
        if proj == "le" and c.op in ("<", "="):
            return Rel("≤", c.lhs, c.rhs)
        if proj == "symm" and c.op == "=":
            return Rel("=", c.rhs, c.lhs)
        if proj == "ne" and c.op == "<":
            return Rel("≠", c.lhs, c.rhs)
        if proj == "ne'" and c.op == "<":
            return Rel("≠", c.rhs, c.lhs)
    if isinstance(p, Rel) and p.op == "≠" and proj == "symm":
        return Rel("≠", p.rhs, p.lhs)
    if isinstance(p, Iff) and proj == "symm":
        return Iff(p.rhs, p.lhs)
    raise TacticFailure(f"invalid field '{proj}': {src.strip()} has type {show_prop(p)}")


def apply_args(p: Prop, args: list[str], goal: SGoal, ctx: Ctx, src: str) -> Prop:
    """Apply a proof of ``p`` to ``args`` (terms for ``∀``, proofs for ``→``/``¬``/``≠``)."""
    for a in args:
        match canon(p) if not isinstance(p, Forall) else p:
            case Forall(var=v, ty=ty, body=body):
                p = subst_prop(body, {v: term_of(a, goal, ty)})
            case Imp(lhs=premise, rhs=concl):
                premise_shown = p.lhs if isinstance(p, Imp) else premise
                elab_arg(a, goal, ctx, premise_shown, src)
                p = p.rhs if isinstance(p, Imp) else concl
            case _:
                raise TacticFailure(f"function expected: {src.strip()} has type {show_prop(p)} "
                                    f"and cannot be applied to '{a}'")
    return p


def elab_arg(a: str, goal: SGoal, ctx: Ctx, want: Prop, src: str) -> None:
    try:
        elab(a, goal, ctx, want)
    except TacticFailure as e:
        if e.message.startswith("type mismatch"):
            raise TacticFailure("application type mismatch in " + src.strip() + "\n" + e.message) from None
        raise


def first_numeric_type(x: Prop | Term) -> Ty | None:
    """The type of the first number-typed term in ``x`` (to pick a lemma's instance)."""
    match x:
        case Rel(lhs=a, rhs=b) | Dvd(lhs=a, rhs=b):
            return first_numeric_type(a) or first_numeric_type(b)
        case And(lhs=a, rhs=b) | Or(lhs=a, rhs=b) | Imp(lhs=a, rhs=b) | Iff(lhs=a, rhs=b):
            return first_numeric_type(a) or first_numeric_type(b)
        case Not(arg=a):
            return first_numeric_type(a)
        case Forall(body=b) | Exists(body=b):
            return first_numeric_type(b)
        case BinOp() | Neg() | Cast() | App():
            return x.ty if x.ty in NUMERIC else None
    ty = getattr(x, "ty", None)
    return ty if ty in NUMERIC else None


# ---- lemma applications: one unification mechanism for exact/have/apply/rw/hints ------


@dataclass
class Pending:
    """A hypothesis argument of a lemma not yet proved: ``src`` is the deferred argument
    (``by …``, ``_``, ``?_``) or ``None`` when it was not supplied; ``prop`` mentions the
    lemma's pattern variables until they are bound."""

    name: str
    prop: Prop
    src: str | None


@dataclass
class LemmaApp:
    """A lemma applied to (some of) its explicit arguments at one number type: the
    pattern variables bound so far, the hypotheses still to prove (in order), arguments
    beyond the lemma's own (applied to its conclusion) and projections to apply after."""

    schema: Schema
    binds: dict[str, Term]
    pending: list[Pending]
    rest: list[str] = field(default_factory=list)
    projs: list[str] = field(default_factory=list)

    @property
    def unbound(self) -> frozenset[str]:
        return self.schema.metas - self.binds.keys()

    def inst(self, p: Prop, binds: dict[str, Term] | None = None) -> Prop:
        return subst_prop(p, self.binds if binds is None else binds)


def _unparen(a: str) -> str:
    return strip_parens(a)


def strip_parens(a: str, *, strict: bool = True) -> str:
    """``a`` (stripped) without the parentheses that enclose all of it, any number of layers,
    in one pass over the text (peeling layer by layer, each found by a scan, was quadratic).
    An opening parenthesis never closed is a ``TacticFailure`` when ``strict``, else the
    peeling stops there."""
    a = a.strip()
    if not a.startswith("("):
        return a
    match: dict[int, int] = {}
    opened: list[int] = []
    for j, c in enumerate(a):
        if c in "([{⟨":
            opened.append(j)
        elif c in ")]}⟩" and opened:
            match[opened.pop()] = j
    lo, hi = 0, len(a) - 1
    while lo < hi and a[lo] == "(":
        if lo not in match:
            if not strict:
                break
            raise TacticFailure(f"unbalanced brackets in '{a[lo:hi + 1]}'")
        if match[lo] != hi:
            break
        lo, hi = lo + 1, hi - 1
        while lo <= hi and a[lo].isspace():
            lo += 1
        while hi >= lo and a[hi].isspace():
            hi -= 1
    return a[lo:hi + 1]


def deferred_arg(a: str) -> str | None:
    """``a`` if it is elaborated after unification (``by …``, ``_``, ``?_``), else None.
    An ascribed block ``(by tac : P)`` states its type and is not deferred."""
    inner = _unparen(a)
    if inner in ("_", "?_"):
        return inner
    if by_block(inner) is not None and ascription(a) is None:
        return inner
    return None


def ascription(a: str) -> tuple[str, str] | None:
    """``(e : P)`` or ``show P by …``/``show P from e`` -> ``(P, proof text)``."""
    s = a.strip()
    if s.startswith("(") and _closing(s, 0) == len(s) - 1:
        inner = s[1:-1]
        k = find_top(inner, ":")
        if k >= 0 and not inner.lstrip().startswith("show "):
            return inner[k + 1:].strip(), inner[:k].strip()
        s = inner.strip()
    if s.startswith("show "):
        k = find_top(s, "from", 5, word=True)
        if k >= 0:
            return s[5:k].strip(), s[k + 4:].strip()
        k = find_top(s, "by", 5, word=True)
        if k >= 0:
            return s[5:k].strip(), s[k:]
    return None


def _retype_term(t: Term, ty: Ty) -> Term | None:
    match t:
        case Num(value=v, lit=lit):
            return Num(v, ty, lit)
        case BinOp(op=op, lhs=a, rhs=b):
            na = _retype_term(a, ty)
            nb = b if op == "^" else _retype_term(b, ty)
            return None if na is None or nb is None else BinOp(op, na, nb, ty)
        case Neg(arg=a):
            na = _retype_term(a, ty)
            return None if na is None else Neg(na, ty)
    return None


def retype_numerals(p: Prop, ty: Ty) -> Prop | None:
    """A closed numeral proposition (``0 ≤ 2``, elaborated at ℕ by default) at type
    ``ty``, as Lean's unification against the expected type types the literals."""
    if prop_vars(p) or not isinstance(p, Rel):
        return None
    a, b = _retype_term(p.lhs, ty), _retype_term(p.rhs, ty)
    return None if a is None or b is None else Rel(p.op, a, b)


def lemma_head(head: str, ctx: Ctx) -> tuple[str, str, list[str]] | None:
    """``(lemma name, "mp"/"mpr"/"", other projections)`` if ``head`` names a lemma of the
    table, possibly with projections (``sub_nonneg.mpr``, ``two_pos.le``)."""
    parts = head.split(".")
    for k in range(len(parts), 0, -1):
        base = ".".join(parts[:k])
        if base in ctx.lemmas:
            projs = parts[k:]
            proj = ""
            if projs and projs[0] in _PROJ_MP + _PROJ_MPR:
                proj = "mp" if projs[0] in _PROJ_MP else "mpr"
                projs = projs[1:]
            return base, proj, projs
    return None


def unknown_identifier(name: str) -> TacticFailure:
    return TacticFailure(f"unknown identifier '{name}' (not a local hypothesis, and not in the sandbox's "
                         f"lemma table)")


def _elab_cached(a: str, goal: SGoal, ctx: Ctx, cache: dict[str, Prop]) -> Prop:
    if a not in cache:
        cache[a] = elab(a, goal, ctx)
    return cache[a]


def candidate_types(name: str, proj: str, args: list[str], goal: SGoal, ctx: Ctx,
                    expected: Prop | None, cache: dict[str, Prop], prefer: Ty | None = None) -> list[Ty]:
    """The lemma's declared types, those suggested by the expected type and the arguments
    first (Lean infers the type from them; here each candidate is tried in order)."""
    spec = ctx.lemmas.spec(name)
    if len(spec.types) == 1:
        return list(spec.types)
    prefs: list[Ty | None] = [prefer]
    if expected is not None:
        prefs.append(first_numeric_type(expected))
    try:
        shape = ctx.lemmas.instance(name, spec.types[-1], proj)
    except ValueError as e:
        raise TacticFailure(str(e)) from None
    for param, a in zip(shape.params, args, strict=False):
        if deferred_arg(a) is not None:
            continue
        try:
            if param.ty is not None:
                if param.ty == shape.ty:
                    prefs.append(term_of(a, goal).ty)
            else:
                prefs.append(first_numeric_type(_elab_cached(a, goal, ctx, cache)))
        except TacticFailure:
            continue
    out: list[Ty] = []
    for t in prefs + list(spec.types):
        if t in spec.types and t not in out:
            out.append(t)
    return out


def instantiate(name: str, proj: str, projs: list[str], args: list[str], goal: SGoal, ctx: Ctx, ty: Ty,
                cache: dict[str, Prop], target: Prop | None = None) -> LemmaApp:
    """Unify the lemma's explicit parameters with ``args`` at type ``ty`` (first-order
    matching of its hypotheses against the arguments' propositions; ``by``/``_`` arguments
    and missing trailing hypotheses become ``pending``). With ``target``, the conclusion is
    matched against it first (Lean elaborates against the expected type)."""
    try:
        schema: Schema = ctx.lemmas.instance(name, ty, proj)
    except ValueError as e:
        raise TacticFailure(str(e)) from None
    label = schema.name
    binds: dict[str, Term] = {}
    if target is not None and len(args) <= len(schema.params) and not projs:
        trial: dict[str, Term] = {}
        if match_prop(schema.concl, target, schema.metas, trial):
            binds = trial
    pending: list[Pending] = []
    for i, param in enumerate(schema.params):
        a = args[i] if i < len(args) else None
        if param.ty is not None:
            assert param.meta is not None
            if a is None or deferred_arg(a) is not None:
                continue
            t = term_of(a, goal, param.ty)
            if param.meta in binds and binds[param.meta] != t:
                raise TacticFailure(f"application type mismatch: argument '{a.strip()}' of {label}")
            binds[param.meta] = t
            continue
        assert param.prop is not None
        if a is None:
            pending.append(Pending(param.name, param.prop, None))
            continue
        d = deferred_arg(a)
        if d is not None:
            pending.append(Pending(param.name, param.prop, d))
            continue
        if prop_vars(param.prop) & schema.metas <= binds.keys():
            elab_arg(a, goal, ctx, subst_prop(param.prop, binds), label)
            continue
        got = _elab_cached(a, goal, ctx, cache)
        trial = dict(binds)
        asc = ascription(a)
        if not match_prop(param.prop, got, schema.metas, trial):
            retyped = _lemma_at_type(a, goal, ctx, ty)  # ``zero_lt_one`` elaborated at ``ty``
            if retyped is not None and match_prop(param.prop, retyped, schema.metas, trial):
                got = retyped
        if not match_prop(param.prop, got, schema.metas, trial) and asc is not None:
            re = retype_numerals(got, ty)
            if re is not None and match_prop(param.prop, re, schema.metas, trial):
                elab(asc[1], goal, ctx, re)
                got = re
        if not match_prop(param.prop, got, schema.metas, trial):
            raise TacticFailure(
                f"application type mismatch: argument '{a.strip()}' of {label} has type "
                f"{show_prop(got)} but is expected to have type {show_prop(subst_prop(param.prop, binds))}"
            )
        binds = trial
    return LemmaApp(schema, binds, pending, list(args[len(schema.params):]), list(projs))


def _lemma_at_type(a: str, goal: SGoal, ctx: Ctx, ty: Ty) -> Prop | None:
    """A lemma-headed argument elaborated preferring the number type ``ty`` (Lean types it
    from the expected type of the argument's position)."""
    words = top_words(_unparen(a))
    if not words or find_decl(goal, words[0].split(".")[0]) is not None:
        return None
    lh = lemma_head(words[0], ctx)
    if lh is None:
        return None
    try:
        return _lemma(lh[0], words[0][len(lh[0]) + 1:].split(".") if words[0] != lh[0] else [],
                      words[1:], goal, ctx, None, a, prefer=ty)
    except TacticFailure:
        return None


def discharge_pending(app: LemmaApp, goal: SGoal, ctx: Ctx, holes_become_goals: bool) -> list[SGoal]:
    """Prove the supplied deferred hypotheses (``by`` blocks run through ``ctx.run_block``)
    now that the pattern variables are bound; return the goals left for the others
    (missing or ``?_``/``_`` when ``holes_become_goals``), in order."""
    goals: list[SGoal] = []
    for p in app.pending:
        want = app.inst(p.prop)
        if p.src is None or p.src in ("_", "?_"):
            if p.src is not None and not holes_become_goals:
                shown = ctx.show_goal(SGoal(goal.context, want))
                raise TacticFailure(f"don't know how to synthesize placeholder for argument '{p.name}' of "
                                    f"{app.schema.name}\ncontext:\n{shown}")
            tag = None if p.name == "h" and "." in app.schema.name else p.name
            goals.append(SGoal(goal.context, want, tag))
            continue
        elab(p.src, goal, ctx, want)
    return goals


def _require_bound(app: LemmaApp) -> None:
    if app.unbound:
        raise TacticFailure(f"{app.schema.name}: cannot infer implicit argument(s) "
                            f"{', '.join(sorted(m.lstrip('?') for m in app.unbound))}")


def _lemma(name: str, projs: list[str], args: list[str], goal: SGoal, ctx: Ctx,
           expected: Prop | None, src: str, prefer: Ty | None = None) -> Prop:
    head = lemma_head(".".join([name, *projs]), ctx)
    assert head is not None
    base, proj, projs = head
    cache: dict[str, Prop] = {}
    first: TacticFailure | None = None
    for ty in candidate_types(base, proj, args, goal, ctx, expected, cache, prefer):
        try:
            app = instantiate(base, proj, projs, args, goal, ctx, ty, cache, expected)
            if expected is not None and not app.rest and not app.projs and app.unbound:
                shape = app.schema.concl
                for p in reversed([p for p in app.pending if p.src is None]):
                    shape = Imp(p.prop, shape)  # ``mul_pos ha : 0 < b → 0 < a * b``
                trial = dict(app.binds)
                if match_prop(shape, expected, app.schema.metas, trial):
                    app.binds = trial
            _require_bound(app)
        except TacticFailure as e:
            first = first or e
            continue
        # committed: the instance is determined; its hypotheses are proved now
        supplied = [p for p in app.pending if p.src is not None]
        missing = [p for p in app.pending if p.src is None]
        app.pending = supplied
        discharge_pending(app, goal, ctx, holes_become_goals=False)
        result = app.inst(app.schema.concl)
        for p in reversed(missing):
            result = Imp(app.inst(p.prop), result)
        rest = app.rest
        # ``zero_lt_one.trans h``: the projection applies to the lemma, the arguments to it
        for i, pr in enumerate(app.projs):
            dot = _dot_lemma(result, pr)
            if dot is not None:
                return _with_dot_lemma(dot, result, app.projs[i + 1:], rest, goal, ctx, expected, src)
            if pr in ("resolve_left", "resolve_right"):
                result, rest = _resolve(result, pr, rest, goal, ctx, src)
                continue
            result = project(result, pr, src)
        return apply_args(result, rest, goal, ctx, src)
    assert first is not None
    raise first


def fused_iff_head(src: str, goal: SGoal, ctx: Ctx) -> tuple[str, list[str]] | None:
    """``(lemma args).mpr rest`` -> ``("lemma.mpr", args + rest)`` (the ``↔`` lemma's
    implicit arguments are then unified with the goal), else None."""
    words = top_words(src.strip())
    if not words or not words[0].startswith("("):
        return None
    close = _closing(words[0], 0)
    inner, projs = words[0][1:close], words[0][close + 1:]
    plist = [x for x in projs.split(".") if x]
    if len(plist) != 1 or plist[0] not in _PROJ_MP + _PROJ_MPR or find_top(inner, ":") >= 0:
        return None
    iw = top_words(inner)
    if not iw or find_decl(goal, iw[0].split(".")[0]) is not None:
        return None
    lh = lemma_head(iw[0], ctx)
    if lh is None or lh[1] or lh[2]:
        return None
    return f"{iw[0]}.{plist[0]}", iw[1:] + words[1:]


def apply_lemma(goal: SGoal, head: str, args: list[str], ctx: Ctx) -> tuple[SGoal, ...]:
    """``apply lemma args``: unify the conclusion with the target (also after taking the
    conclusion's own ``∀``/``→`` premises); hypotheses not supplied become new goals in
    order (Lean's non-dependent premises), ``by`` arguments are run."""
    lh = lemma_head(head, ctx)
    assert lh is not None
    base, proj, projs = lh
    if projs:  # ``apply zero_lt_one.trans_le``: the lemma, then its projection applied
        ty = first_numeric_type(goal.target)
        dot = None
        try:
            pre = _lemma(base, [proj] if proj else [], [], goal, ctx, None, head, prefer=ty)
            dot = _dot_lemma(pre, projs[0]) if len(projs) == 1 else None
        except TacticFailure:
            pass
        if dot is not None:
            hname = "_dot✝"
            g2 = SGoal((*goal.context, HypDecl(hname, pre)), goal.target, goal.tag)
            new = apply_lemma(g2, dot, [hname, *args], ctx)
            return tuple(SGoal(tuple(d for d in g.context if d.name != hname), g.target, g.tag) for g in new)
        prop = elab(" ".join([head, *args]), goal, ctx)
        premises: list[Prop] = []
        for _ in range(4):
            if props_match(prop, goal.target):
                return tuple(SGoal(goal.context, p) for p in premises)
            c = prop if isinstance(prop, Imp) else canon(prop)
            if not isinstance(c, Imp):
                break
            premises.append(c.lhs)
            prop = c.rhs
        raise TacticFailure(f"tactic 'apply' failed, could not unify the conclusion of '{head}' with "
                            f"the goal\n{ctx.show_goal(goal)}")
    cache: dict[str, Prop] = {}
    first: TacticFailure | None = None
    for ty in candidate_types(base, proj, args, goal, ctx, goal.target, cache):
        try:
            app = instantiate(base, proj, projs, args, goal, ctx, ty, cache)
            concl = app.schema.concl
            extra: list[Prop] = []
            if app.rest or app.projs:
                raise TacticFailure(f"apply {head}: too many arguments for the sandbox")
            for _ in range(4):
                trial = dict(app.binds)
                if match_prop(concl, goal.target, app.schema.metas, trial):
                    app.binds = trial
                    break
                c = concl if isinstance(concl, (Forall, Imp)) else canon(concl)
                if isinstance(c, Forall):
                    fresh = f"?{c.var}#{len(extra)}"
                    app.schema = Schema(app.schema.name, app.schema.metas | {fresh}, app.schema.params,
                                        app.schema.concl, app.schema.ty)
                    concl = subst_prop(c.body, {c.var: Var(fresh, c.ty)})
                elif isinstance(c, Imp):
                    extra.append(c.lhs)
                    concl = c.rhs
                else:
                    shown = show_prop(subst_prop(app.schema.concl, app.binds))
                    raise TacticFailure(
                        f"tactic 'apply' failed, could not unify the conclusion of '{head}'\n  "
                        f"{shown}\nwith the goal\n{ctx.show_goal(goal)}")
            else:
                raise TacticFailure(f"tactic 'apply' failed, could not unify the conclusion of '{head}'")
            app.pending += [Pending(f"a{i}", p, None) for i, p in enumerate(extra)]
            if app.unbound:
                raise TacticFailure(f"apply {head}: cannot infer implicit argument(s) "
                                    f"{', '.join(sorted(m.lstrip('?').split('#')[0] for m in app.unbound))}; "
                                    f"the sandbox cannot leave metavariables as goals")
        except TacticFailure as e:
            first = first or e
            continue
        return tuple(discharge_pending(app, goal, ctx, holes_become_goals=True))
    assert first is not None
    raise first


def _lemma_call(src: str, goal: SGoal, ctx: Ctx) -> tuple[str, str, list[str], list[str]] | None:
    """``(base, proj, projs, args)`` when ``src`` applies a lemma of the table (not a local
    name), else ``None``."""
    words = top_words(src.strip())
    if not words or find_decl(goal, words[0].split(".")[0]) is not None:
        return None
    lh = lemma_head(words[0], ctx)
    if lh is None:
        return None
    base, proj, projs = lh
    return base, proj, projs, words[1:]


def refine_lemma(src: str, goal: SGoal, want: Prop, ctx: Ctx, prime: bool) -> list[SGoal] | None:
    """``refine lemma args`` with ``?_`` holes (``refine'``: also ``_``): the lemma's
    conclusion is unified with ``want``; each hole for a hypothesis becomes a new goal, in
    order. ``None`` if ``src`` is not an application of a lemma of the table."""
    call = _lemma_call(src, goal, ctx)
    if call is None:
        return None
    base, proj, projs, args = call
    cache: dict[str, Prop] = {}
    first: TacticFailure | None = None
    for ty in candidate_types(base, proj, args, goal, ctx, want, cache):
        try:
            app = instantiate(base, proj, projs, args, goal, ctx, ty, cache, None if projs else want)
            if app.rest or app.projs:
                raise TacticFailure(f"refine: the sandbox cannot fill holes in '{src.strip()}'")
            if any(p.src is None for p in app.pending):
                raise TacticFailure(f"type mismatch: {app.schema.name} is missing explicit arguments")
            trial = dict(app.binds)
            if not match_prop(app.schema.concl, want, app.schema.metas, trial):
                raise mismatch(src, app.inst(app.schema.concl), want)
            app.binds = trial
            _require_bound(app)
            if not prime and any(p.src == "_" for p in app.pending):
                raise TacticFailure(f"refine: don't know how to synthesize placeholder in '{src.strip()}'")
        except TacticFailure as e:
            first = first or e
            continue
        return [SGoal(g.context, g.target, None) for g in discharge_pending(app, goal, ctx, True)]
    assert first is not None
    raise first


def lemma_apps(src: str, goal: SGoal, ctx: Ctx) -> list[LemmaApp] | None:
    """If ``src`` is a lemma of the table applied to arguments, its partial applications
    (one per feasible number type, preferred first; pattern variables may stay unbound,
    for ``rw``/``simp`` to instantiate by matching). ``None`` if ``src`` is not a lemma."""
    call = _lemma_call(src, goal, ctx)
    if call is None:
        return None
    base, proj, projs, args = call
    cache: dict[str, Prop] = {}
    out: list[LemmaApp] = []
    first: TacticFailure | None = None
    for ty in candidate_types(base, proj, args, goal, ctx, None, cache):
        try:
            out.append(instantiate(base, proj, projs, args, goal, ctx, ty, cache))
        except TacticFailure as e:
            first = first or e
    if not out:
        assert first is not None
        raise first
    return out


@dataclass(frozen=True)
class RewriteRule:
    """A rewrite rule from a lemma or a hypothesis, for ``simp``/``norm_num``/``field_simp``.

    - ``lhs``/``rhs``: terms (``is_iff`` false: an equation ``lhs = rhs``) or propositions
      (``is_iff`` true: ``lhs ↔ rhs``); a conclusion ``P`` that is neither is given as
      ``P ↔ True`` (and ``¬P`` as ``P ↔ False``), as simp uses it.
    - ``metas``: the names of the pattern variables (``Var`` nodes named ``?a`` …) that
      occur in ``lhs``/``rhs``/``side``; a use must bind every one of them by matching
      ``lhs`` (``subst.match_term``/``match_prop``) and substitute (``subst_term``/
      ``subst_prop``). A rule whose ``rhs`` has a variable not in ``lhs`` must not be used
      left to right.
    - ``side``: side conditions (over the metas), which the caller MUST prove for the
      instance (e.g. with its own discharger) before rewriting; if it cannot, it must not
      use the instance. Soundness depends on this.
    - ``name``: the source text, for messages.
    """

    lhs: Term | Prop
    rhs: Term | Prop
    metas: frozenset[str]
    side: tuple[Prop, ...]
    is_iff: bool
    name: str


def lemma_rewrite_rules(src: str, goal: SGoal, ctx: Ctx) -> list[RewriteRule]:
    """The rewrite rules a simp-like tactic may use for the hint ``src`` (a lemma of the
    table, applied or not, or any proof term such as a hypothesis ``h``/``h₀ 2``): one
    rule per number type the lemma holds at (the caller picks the one that matches), with
    pattern variables for the arguments not given and side conditions for the hypotheses
    not given (or given as ``by …``/``_``). Raises ``TacticFailure`` (naming the lemma)
    for an unknown identifier or an ill-typed application. See ``RewriteRule``."""
    apps = lemma_apps(src, goal, ctx)
    out: list[RewriteRule] = []
    if apps is None:
        prop = elab(src, goal, ctx)
        metas: list[str] = []
        while isinstance(prop, Forall):
            v = f"?{prop.var}{len(metas)}"
            metas.append(v)
            prop = subst_prop(prop.body, {prop.var: Var(v, prop.ty)})
        r = _as_rule(prop, frozenset(metas), (), src)
        return [r] if r is not None else []
    for app in apps:
        concl = app.inst(app.schema.concl)
        side = tuple(app.inst(p.prop) for p in app.pending)
        r = _as_rule(concl, app.unbound, side, src)
        if r is not None:
            out.append(r)
    return out


def _as_rule(p: Prop, metas: frozenset[str], side: tuple[Prop, ...], name: str) -> RewriteRule | None:
    if isinstance(p, Rel) and p.op == "=":
        return RewriteRule(p.lhs, p.rhs, metas, side, False, name)
    if isinstance(p, Iff):
        return RewriteRule(p.lhs, p.rhs, metas, side, True, name)
    if isinstance(p, Not):
        return RewriteRule(p.arg, _FALSE, metas, side, True, name)
    if isinstance(p, (Forall, Exists, Imp)):
        return None
    return RewriteRule(p, Bool_(True), metas, side, True, name)


def hyp_decl(name: str, prop: Prop) -> HypDecl:
    return HypDecl(name, prop)

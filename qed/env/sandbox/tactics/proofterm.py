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
    Or,
    Prop,
    Rel,
    SGoal,
    Term,
    Ty,
    VarDecl,
)
from qed.env.sandbox.parse import ParseError, parse_prop, parse_term
from qed.env.sandbox.tactics.args import by_block, is_ident, split_top, top_words
from qed.env.sandbox.tactics.core import Ctx, TacticFailure, find_decl
from qed.env.sandbox.tactics.lemmas import Schema
from qed.env.sandbox.tactics.subst import canon, match_prop, props_match, subst_prop

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
        if k >= 0:
            want = prop_of(inner[k + 1:], goal)
            p = elab(inner[:k], goal, ctx, want)
        else:
            want_inner = expected if (not projs and not args) else None
            p = elab(inner, goal, ctx, want_inner)
        for proj in [x for x in projs.split(".") if x]:
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
            for proj in projs:
                p = project(p, proj, src)
            return apply_args(p, args, goal, ctx, src)
        if base in ctx.lemmas:
            return _lemma(base, projs, args, goal, ctx, expected, src)
    if not is_ident(head):
        raise TacticFailure(f"the sandbox cannot read the term '{src}'")
    raise TacticFailure(f"unknown identifier '{head}'")


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


def _lemma(name: str, projs: list[str], args: list[str], goal: SGoal, ctx: Ctx,
           expected: Prop | None, src: str) -> Prop:
    proj = ""
    if projs and projs[0] in _PROJ_MP + _PROJ_MPR:
        proj = "mp" if projs[0] in _PROJ_MP else "mpr"
        projs = projs[1:]
    if projs:
        raise TacticFailure(f"invalid field '{projs[0]}' of lemma {name}")
    spec = ctx.lemmas.spec(name)
    ty = first_numeric_type(expected) if expected is not None else None
    explicit = [b for b in spec.binders if b[0]]
    if ty is None:
        ty = _infer_type(explicit, args, goal, ctx)
    if ty is None:
        raise TacticFailure(f"{name}: cannot infer the number type; give an argument or an expected type")
    try:
        schema: Schema = ctx.lemmas.instance(name, ty, proj)
    except ValueError as e:
        raise TacticFailure(str(e)) from None
    if len(args) < len(schema.params):
        raise TacticFailure(f"{schema.name} expects {len(schema.params)} explicit argument(s), "
                            f"got {len(args)}")
    binds: dict[str, Term] = {}
    if expected is not None and len(args) == len(schema.params):
        trial: dict[str, Term] = {}
        if match_prop(schema.concl, expected, schema.metas, trial):
            binds = trial
    for param, a in zip(schema.params, args, strict=False):
        if param.ty is not None:
            t = term_of(a, goal, param.ty)
            if param.name in binds and binds[param.name] != t:
                raise TacticFailure(f"application type mismatch: argument '{a.strip()}' of {schema.name}")
            binds[param.name] = t
            continue
        assert param.prop is not None
        pending = schema.metas - set(binds)
        want = subst_prop(param.prop, binds) if not (pending & _schema_vars(param.prop, schema)) else None
        got = elab(a, goal, ctx, want) if want is not None else elab(a, goal, ctx)
        if not match_prop(param.prop, got, schema.metas, binds):
            raise TacticFailure(
                f"application type mismatch: argument '{a.strip()}' of {schema.name} has type "
                f"{show_prop(got)} but is expected to have type {show_prop(subst_prop(param.prop, binds))}"
            )
    missing = schema.metas - set(binds)
    if missing:
        raise TacticFailure(f"{schema.name}: cannot infer implicit argument(s) {', '.join(sorted(missing))}")
    result = subst_prop(schema.concl, binds)
    return apply_args(result, args[len(schema.params):], goal, ctx, src)


def _schema_vars(p: Prop, schema: Schema) -> set[str]:
    from qed.env.sandbox.tactics.subst import prop_vars

    return prop_vars(p) & schema.metas


def _infer_type(explicit, args: list[str], goal: SGoal, ctx: Ctx) -> Ty | None:
    flat: list[str] = []
    for _, names, what in explicit:
        flat += [what] * len(names)
    for what, a in zip(flat, args, strict=False):
        if what == "α":
            return term_of(a, goal).ty
        if what == "ℕ":
            continue
        if by_block(a) is None:
            ty = first_numeric_type(elab(a, goal, ctx))
            if ty is not None:
                return ty
    return None


def hyp_decl(name: str, prop: Prop) -> HypDecl:
    return HypDecl(name, prop)

"""Introduction and elimination of binders: ``intro``, ``intros``, ``rintro``, ``cases``,
``cases'``, ``rcases``, ``obtain`` and ``subst`` (also used by the ``rfl`` pattern).

Lean's naming is kept: ``intro`` without a name makes ``x✝`` (binder name) or ``a✝``
(implication); a name already in context is shadowed (the old one becomes ``x✝``);
``cases`` names components inaccessibly and tags goals ``intro``/``inl``/``inr``;
``rcases`` patterns name them (``⟨x, hx⟩``, ``h | h``, ``rfl``, ``_``, ``-``) and tag the
goals of ``|`` with ``inl``/``inr``. The destructed hypothesis is removed.

Knows the shape of propositions (``∧ ∨ ∃ ↔ → ∀ ¬ ≠``); no arithmetic.
"""

from __future__ import annotations

from fractions import Fraction

from qed.env.sandbox.ast import (
    NAT,
    And,
    BinOp,
    Bool_,
    Exists,
    Forall,
    HypDecl,
    Iff,
    Imp,
    Not,
    Num,
    Or,
    Pred,
    Prop,
    Rel,
    SGoal,
    Var,
    VarDecl,
)
from qed.env.sandbox.tactics.args import (
    PAlts,
    Pat,
    PClear,
    PName,
    PRfl,
    PTuple,
    PWild,
    find_top,
    parse_pattern,
    require_ident,
    split_assign,
    top_words,
)
from qed.env.sandbox.tactics.core import (
    Ctx,
    TacticFailure,
    add_decls,
    find_decl,
    find_hyp,
    inaccessible,
    remove_decls,
    replace_hyp,
    shadow,
)
from qed.env.sandbox.tactics.proofterm import elab, prop_of
from qed.env.sandbox.tactics.subst import rename_vars_prop, subst_prop, term_vars

_PLACEHOLDER = "\x00new"


# ---- intro ----------------------------------------------------------------------------


def intro_one(goal: SGoal, name: str | None) -> SGoal:
    """Introduce one binder of the target as ``name`` (``None``/``_``: inaccessible)."""
    t = goal.target
    anon = name is None or name == "_"
    match t:
        case Forall(var=v, ty=ty, body=body):
            n = inaccessible(v, goal.context, t) if anon else name
            tmp = subst_prop(body, {v: Var(_PLACEHOLDER, ty)})
            g = add_decls(goal, [VarDecl(n, ty)], target=tmp)
            return SGoal(g.context, rename_vars_prop(g.target, {_PLACEHOLDER: n}), g.tag)
        case Imp(lhs=a, rhs=b):
            n = inaccessible("a", goal.context, t) if anon else name
            return add_decls(goal, [HypDecl(n, a)], target=b)
        case Not(arg=a):
            n = inaccessible("a", goal.context, t) if anon else name
            return add_decls(goal, [HypDecl(n, a)], target=Bool_(False))
        case Rel(op="≠", lhs=a, rhs=b):
            n = inaccessible("a", goal.context, t) if anon else name
            return add_decls(goal, [HypDecl(n, Rel("=", a, b))], target=Bool_(False))
    raise TacticFailure("tactic 'introN' failed, insufficient number of binders")


def intro(goal: SGoal, args: str, ctx: Ctx) -> tuple[SGoal, ...]:
    words = top_words(args)
    if not words:
        return (intro_one(goal, None),)
    goals: tuple[SGoal, ...] = (goal,)
    for w in words:
        pat = parse_pattern(w)
        goals = tuple(g2 for g in goals for g2 in _intro_pattern(g, pat, ctx))
    return goals


def intros(goal: SGoal, args: str, ctx: Ctx) -> tuple[SGoal, ...]:
    words = top_words(args)
    if words:
        for w in words:
            goal = intro_one(goal, require_ident(w, "a name") if w != "_" else None)
        return (goal,)
    while isinstance(goal.target, (Forall, Imp)):
        ctx.check()
        goal = intro_one(goal, None)
    return (goal,)


def rintro(goal: SGoal, args: str, ctx: Ctx) -> tuple[SGoal, ...]:
    words = top_words(args)
    if not words:
        raise TacticFailure("rintro: expected at least one pattern")
    goals: tuple[SGoal, ...] = (goal,)
    for w in words:
        pat = parse_pattern(w)
        goals = tuple(g2 for g in goals for g2 in _intro_pattern(g, pat, ctx))
    return goals


def _intro_pattern(goal: SGoal, pat: Pat, ctx: Ctx) -> tuple[SGoal, ...]:
    if isinstance(pat, PName):
        return (intro_one(goal, pat.name),)
    if isinstance(pat, PWild):
        return (intro_one(goal, None),)
    tmp = _fresh_internal(goal)
    g = intro_one(goal, tmp)
    if isinstance(g.context[-1], VarDecl):
        raise TacticFailure("rintro: a pattern cannot destruct a variable")
    return tuple(destruct(g, tmp, pat, ctx))


# ---- rcases machinery -----------------------------------------------------------------


def _fresh_internal(goal: SGoal) -> str:
    used = {d.name for d in goal.context}
    k = 0
    while f"\x00h{k}" in used:
        k += 1
    return f"\x00h{k}"


def _tagged(goal: SGoal, tag: str) -> SGoal:
    return SGoal(goal.context, goal.target, tag)


def destruct(goal: SGoal, name: str, pat: Pat, ctx: Ctx, tag_alts: bool = True) -> list[SGoal]:
    """Apply rcases pattern ``pat`` to hypothesis ``name`` (removed) of ``goal``."""
    ctx.check()
    prop = find_hyp(goal, name).prop
    base = remove_decls(goal, {name})
    match pat:
        case PName(name=n):
            return [add_decls(base, [HypDecl(n, prop)])]
        case PWild(base=b):
            return [add_decls(base, [HypDecl(inaccessible(b or "h", base.context, base.target), prop)])]
        case PClear():
            return [base]
        case PRfl():
            return [subst_hyp(goal, name)]
        case PTuple(items=items):
            if not items:
                return [base]
            if len(items) == 1:
                return destruct(goal, name, items[0], ctx, tag_alts)
            rest: Pat = items[1] if len(items) == 2 else PTuple(items[1:])
            return _split_tuple(base, unfold_definition(prop), items[0], rest, ctx, tag_alts)
        case PAlts(alts=alts):
            if len(alts) == 1:
                return destruct(goal, name, alts[0], ctx, tag_alts)
            if not isinstance(prop, Or):
                raise TacticFailure("rcases: a '|' pattern needs a disjunction ('∨') hypothesis")
            rest_alt: Pat = alts[1] if len(alts) == 2 else PAlts(alts[1:])
            h1, h2 = _fresh_internal(base), _fresh_internal(base)
            left = destruct(add_decls(base, [HypDecl(h1, prop.lhs)]), h1, alts[0], ctx, tag_alts)
            right = destruct(add_decls(base, [HypDecl(h2, prop.rhs)]), h2, rest_alt, ctx, tag_alts)
            if tag_alts:
                left = [_tagged(g, "inl") for g in left]
                right = [_tagged(g, "inr") for g in right]
            return left + right
    raise TacticFailure("rcases: unsupported pattern")


def _split_tuple(base: SGoal, prop: Prop, first: Pat, rest: Pat, ctx: Ctx, tag_alts: bool) -> list[SGoal]:
    match prop:
        case And(lhs=a, rhs=b) | Iff(lhs=a, rhs=b):
            if isinstance(prop, Iff):
                a, b = Imp(prop.lhs, prop.rhs), Imp(prop.rhs, prop.lhs)
            h1 = _fresh_internal(base)
            g = add_decls(base, [HypDecl(h1, a)])
            h2 = _fresh_internal(g)
            g = add_decls(g, [HypDecl(h2, b)])
            out = []
            for g1 in destruct(g, h1, first, ctx, tag_alts):
                out += destruct(g1, h2, rest, ctx, tag_alts)
            return out
        case Exists(var=v, ty=ty, body=body):
            if isinstance(first, PName):
                n = first.name
            elif isinstance(first, (PWild, PClear)):
                n = inaccessible(getattr(first, "base", None) or v, base.context, base.target)
            else:
                raise TacticFailure("rcases: the witness of '∃' must be named by an identifier or '_'")
            tmp = subst_prop(body, {v: Var(_PLACEHOLDER, ty)})
            g, renaming = shadow(base, n)
            body2 = rename_vars_prop(rename_vars_prop(tmp, renaming), {_PLACEHOLDER: n})
            g = SGoal(g.context + (VarDecl(n, ty),), g.target, g.tag)
            h = _fresh_internal(g)
            g = add_decls(g, [HypDecl(h, body2)])
            return destruct(g, h, rest, ctx, tag_alts)
    raise TacticFailure("rcases: the hypothesis is not a conjunction, '↔' or '∃', so a tuple pattern "
                        "with several components does not apply")


def rcases(goal: SGoal, args: str, ctx: Ctx) -> tuple[SGoal, ...]:
    k = find_top(args, "with", word=True)
    if k < 0:
        raise TacticFailure("rcases: expected 'with' and a pattern (rcases h with ⟨a, b⟩)")
    term, pat_src = args[:k], args[k + 4:]
    return tuple(_destruct_term(goal, term, parse_pattern(pat_src), ctx))


def obtain(goal: SGoal, args: str, ctx: Ctx) -> tuple[SGoal, ...]:
    lhs, rhs = split_assign(args)
    k = find_top(lhs, ":")
    pat = parse_pattern(lhs[:k] if k >= 0 else lhs)
    if k >= 0:
        prop = prop_of(lhs[k + 1:], goal)
        if rhs is None:
            tmp = _fresh_internal(goal)
            g = add_decls(goal, [HypDecl(tmp, prop)])
            return (SGoal(goal.context, prop),) + tuple(destruct(g, tmp, pat, ctx))
        elab(rhs, goal, ctx, prop)
        tmp = _fresh_internal(goal)
        return tuple(destruct(add_decls(goal, [HypDecl(tmp, prop)]), tmp, pat, ctx))
    if rhs is None:
        raise TacticFailure("obtain: expected ':= term' or ': type'")
    return tuple(_destruct_term(goal, rhs, pat, ctx))


def _destruct_term(goal: SGoal, term: str, pat: Pat, ctx: Ctx) -> list[SGoal]:
    """rcases/obtain on a term: a bare hypothesis is consumed; other terms are added."""
    t = term.strip()
    decl = find_decl(goal, t)
    if isinstance(decl, HypDecl):
        return destruct(goal, t, pat, ctx)
    if isinstance(decl, VarDecl) and decl.ty == NAT and isinstance(pat, PAlts) and len(pat.alts) == 2:
        second = pat.alts[1]
        zero, succ = nat_cases(goal, t, second.name if isinstance(second, PName) else None)
        return [zero, succ]
    if isinstance(decl, VarDecl):
        raise TacticFailure(f"rcases: '{t}' is a variable; the sandbox destructs proofs, and ℕ variables "
                            "with the pattern '_ | k'")
    prop = elab(t, goal, ctx)
    tmp = _fresh_internal(goal)
    return destruct(add_decls(goal, [HypDecl(tmp, prop)]), tmp, pat, ctx)


def _is_nat_var(goal: SGoal, name: str) -> bool:
    decl = find_decl(goal, name)
    return isinstance(decl, VarDecl) and decl.ty == NAT


def nat_cases(goal: SGoal, n: str, name: str | None = None) -> tuple[SGoal, SGoal]:
    from qed.env.sandbox.tactics.structural import nat_cases as split

    return split(goal, n, name)


def cases(goal: SGoal, args: str, ctx: Ctx) -> tuple[SGoal, ...]:
    """Lean 4 ``cases h``: components become inaccessible; goals tagged ``intro``/``inl``/``inr``."""
    if find_top(args, "with", word=True) >= 0:
        raise TacticFailure("the sandbox does not support 'cases … with | …' syntax; use rcases or cases'")
    h = require_ident(args.strip(), "a hypothesis name")
    if _is_nat_var(goal, h):
        return nat_cases(goal, h)
    prop = find_hyp(goal, h).prop
    return tuple(_cases_named(goal, h, prop, [], ctx))


def cases_prime(goal: SGoal, args: str, ctx: Ctx) -> tuple[SGoal, ...]:
    """Mathlib ``cases' h with a b``."""
    k = find_top(args, "with", word=True)
    src = (args[:k] if k >= 0 else args).strip()
    given = args[k + 4:].split() if k >= 0 else []
    names = [require_ident(n, "a name") if n != "_" else "_" for n in given]
    if _is_nat_var(goal, src):
        return nat_cases(goal, src, names[0] if names and names[0] != "_" else None)
    if not isinstance(find_decl(goal, src), HypDecl):
        # a proof term (``cases' le_total 0 a with h h``): added as a hypothesis first
        if isinstance(find_decl(goal, src), VarDecl):
            raise TacticFailure(f"cases': '{src}' is a variable; the sandbox only destructs proofs")
        prop = elab(src, goal, ctx)
        tmp = _fresh_internal(goal)
        goal = add_decls(goal, [HypDecl(tmp, prop)])
        return tuple(_cases_named(goal, tmp, prop, names, ctx))
    prop = find_hyp(goal, src).prop
    return tuple(_cases_named(goal, src, prop, names, ctx))


def unfold_definition(prop: Prop) -> Prop:
    """``Even n`` / ``Odd n`` as Mathlib defines them (``∃ r, n = r + r``, ``∃ m, n = 2 * m + 1``),
    so that ``cases``/``rcases``/``obtain`` destruct them as Lean does; other props unchanged."""
    if isinstance(prop, Pred) and prop.fn in ("Even", "Odd") and len(prop.args) == 1:
        n = prop.args[0]
        ty = n.ty
        if prop.fn == "Even":
            v = "r" if "r" not in term_vars(n) else "r'"
            body = Rel("=", n, BinOp("+", Var(v, ty), Var(v, ty), ty))
        else:
            v = "m" if "m" not in term_vars(n) else "m'"
            two_m = BinOp("*", Num(Fraction(2), ty), Var(v, ty), ty)
            body = Rel("=", n, BinOp("+", two_m, Num(Fraction(1), ty), ty))
        return Exists(v, ty, body)
    return prop


def _cases_named(goal: SGoal, h: str, prop: Prop, names: list[str], ctx: Ctx) -> list[SGoal]:
    prop = unfold_definition(prop)
    if prop is not find_hyp(goal, h).prop:
        goal = replace_hyp(goal, h, prop)
    bases = {Or: ("h", "h"), And: ("left", "right"), Iff: ("mp", "mpr"), Exists: ("w", "h")}.get(
        type(prop), ("h", "h"))

    def pat(i: int) -> Pat:
        return PName(names[i]) if i < len(names) and names[i] != "_" else PWild(bases[i])

    match prop:
        case Or():
            return destruct(goal, h, PAlts((pat(0), pat(1))), ctx)
        case And() | Iff() | Exists():
            tag = "intro" if not isinstance(prop, Iff) else None
            out = destruct(goal, h, PTuple((pat(0), pat(1))), ctx)
            return [_tagged(g, tag) if tag else g for g in out]
        case Bool_(value=False):
            return []
    raise TacticFailure("tactic 'induction' failed, major premise type is not an inductive type")


# ---- subst ----------------------------------------------------------------------------


def subst_hyp(goal: SGoal, name: str) -> SGoal:
    """Eliminate ``name : a = b`` where ``b`` (else ``a``) is a local variable."""
    prop = find_hyp(goal, name).prop
    if not (isinstance(prop, Rel) and prop.op == "="):
        raise TacticFailure(f"tactic 'subst' failed, '{name}' is not an equality")
    for var, other in ((prop.rhs, prop.lhs), (prop.lhs, prop.rhs)):
        if isinstance(var, Var) and isinstance(find_decl(goal, var.name), VarDecl):
            if var.name in term_vars(other):
                continue
            return eliminate_var(remove_decls(goal, {name}), var.name, other)
    raise TacticFailure(
        "tactic 'subst' failed, invalid equality proof, it is not of the form (x = t) or (t = x)"
    )


def eliminate_var(goal: SGoal, var: str, value) -> SGoal:
    """Replace the variable ``var`` by ``value`` everywhere and drop its declaration."""
    ctx_out = []
    for d in goal.context:
        if isinstance(d, VarDecl) and d.name == var:
            continue
        if isinstance(d, HypDecl):
            d = HypDecl(d.name, subst_prop(d.prop, {var: value}))
        ctx_out.append(d)
    # A hypothesis that now mentions a variable declared after it moves after that
    # variable, as Lean's ``subst`` reverts and reintroduces it (order otherwise kept).
    moved: list = []
    for _ in range(len(ctx_out)):
        declared: set[str] = set()
        for i, d in enumerate(ctx_out):
            if isinstance(d, HypDecl) and _mentions_later(d, declared, ctx_out[i + 1:]):
                moved.append(d)
                ctx_out = ctx_out[:i] + ctx_out[i + 1:]
                break
            declared.add(d.name)
        else:
            break
    return SGoal(tuple(ctx_out + moved), subst_prop(goal.target, {var: value}), goal.tag)


def _mentions_later(d: HypDecl, declared: set[str], later: list) -> bool:
    from qed.env.sandbox.tactics.subst import prop_vars

    later_vars = {x.name for x in later if isinstance(x, VarDecl)}
    return bool(prop_vars(d.prop) & later_vars - declared)


def subst(goal: SGoal, args: str, ctx: Ctx) -> tuple[SGoal, ...]:
    words = args.split()
    if not words:
        raise TacticFailure("subst: expected a hypothesis or variable name")
    for w in words:
        decl = find_decl(goal, w)
        if decl is None:
            raise TacticFailure(f"unknown identifier '{w}'")
        if isinstance(decl, HypDecl):
            goal = subst_hyp(goal, w)
            continue
        for d in reversed(goal.context):
            if isinstance(d, HypDecl) and isinstance(d.prop, Rel) and d.prop.op == "=" and (
                d.prop.lhs == Var(w, decl.ty) or d.prop.rhs == Var(w, decl.ty)
            ):
                goal = subst_hyp(goal, d.name)
                break
        else:
            raise TacticFailure(f"tactic 'subst' failed, did not find equation for eliminating '{w}'")
    return (goal,)

"""Syntactic operations on sandbox terms and propositions used by the tactics.

Owns: free variables, capture-avoiding substitution of terms for variables, simultaneous
renaming, replacing every occurrence of a sub-term (or sub-proposition) as ``rw`` does,
Lean's "definitional" matching of propositions used by ``exact``/``assumption`` (up to
``>``/``≥`` being notation for ``<``/``≤`` flipped, ``a ≠ b`` and ``¬P`` unfolding to
``… → False``, and renaming of bound variables), and first-order matching of lemma
patterns. It knows nothing about goals, tactics or arithmetic.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

from qed.env.sandbox.ast import (
    Abs,
    And,
    App,
    BigOp,
    BinOp,
    Bool_,
    Cast,
    Coll,
    Dvd,
    Exists,
    ExistsUnique,
    Forall,
    FunTy,
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
    Prop,
    Rel,
    SetOf,
    Term,
    Var,
)

_FALSE = Bool_(False)


# ---- free variables -------------------------------------------------------------------


def term_vars(t: Term, out: set[str] | None = None) -> set[str]:
    """Names of the variables (and applied local functions) occurring free in ``t``."""
    out = set() if out is None else out
    match t:
        case Var(name=n):
            out.add(n)
        case BinOp(lhs=a, rhs=b):
            term_vars(a, out)
            term_vars(b, out)
        case Neg(arg=a) | Abs(arg=a) | Cast(arg=a):
            term_vars(a, out)
        case App(fn=f, args=args):
            out.add(f)
            for a in args:
                term_vars(a, out)
        case Coll(elems=elems):
            for a in elems:
                term_vars(a, out)
        case BigOp(var=v, dom=d, body=b):
            term_vars(d, out)
            out |= _any_vars(b) - {v}
        case Lam(var=v, body=b) | SetOf(var=v, body=b):
            out |= _any_vars(b) - {v}
    return out


def _any_vars(x) -> set[str]:
    return term_vars(x) if hasattr(x, "ty") else prop_vars(x)


def prop_vars(p: Prop, out: set[str] | None = None) -> set[str]:
    """Free variable names of ``p``."""
    out = set() if out is None else out
    match p:
        case Rel(lhs=a, rhs=b) | Dvd(lhs=a, rhs=b):
            term_vars(a, out)
            term_vars(b, out)
        case And(lhs=a, rhs=b) | Or(lhs=a, rhs=b) | Imp(lhs=a, rhs=b) | Iff(lhs=a, rhs=b):
            prop_vars(a, out)
            prop_vars(b, out)
        case Not(arg=a):
            prop_vars(a, out)
        case Forall(var=v, body=b) | Exists(var=v, body=b) | ExistsUnique(var=v, body=b):
            inner = prop_vars(b)
            inner.discard(v)
            out |= inner
        case Mem(elem=a, coll=c):
            term_vars(a, out)
            term_vars(c, out)
        case Pred(args=args):
            for a in args:
                term_vars(a, out)
        case ModEq(lhs=a, rhs=b, modulus=m):
            term_vars(a, out)
            term_vars(b, out)
            term_vars(m, out)
    return out


# ---- generic maps ---------------------------------------------------------------------


def _under(v: str, f: Callable[[Term], Term | None]) -> Callable[[Term], Term | None]:
    """``f`` under a binder of ``v``: subterms mentioning the bound ``v`` are not replaced
    (they are not the outer terms), nor is a replacement that would capture ``v``."""

    def g(x: Term) -> Term | None:
        if v in term_vars(x):
            return None
        r = f(x)
        if r is not None and v in term_vars(r):
            return None
        return r

    return g


def map_term(t: Term, f: Callable[[Term], Term | None]) -> Term:
    """Rebuild ``t`` top-down: ``f`` may replace a node (return a term) or decline
    (``None``), in which case the children are mapped. Unchanged subtrees are shared.
    Under a binder (``∑ k ∈ s, …``, ``fun k => …``, ``{k | …}``) nothing mentioning the
    bound variable is replaced."""
    r = f(t)
    if r is not None:
        return r
    match t:
        case BinOp(op=op, lhs=a, rhs=b, ty=ty):
            na, nb = map_term(a, f), map_term(b, f)
            return t if (na is a and nb is b) else BinOp(op, na, nb, ty)
        case Neg(arg=a, ty=ty):
            na = map_term(a, f)
            return t if na is a else Neg(na, ty)
        case Abs(arg=a, ty=ty):
            na = map_term(a, f)
            return t if na is a else Abs(na, ty)
        case Cast(arg=a, ty=ty):
            na = map_term(a, f)
            return t if na is a else Cast(na, ty)
        case App(fn=fn, args=args, ty=ty):
            nargs = tuple(map_term(a, f) for a in args)
            return t if all(x is y for x, y in zip(nargs, args, strict=True)) else App(fn, nargs, ty)
        case Coll(elems=elems, ty=ty):
            nel = tuple(map_term(a, f) for a in elems)
            return t if all(x is y for x, y in zip(nel, elems, strict=True)) else Coll(nel, ty)
        case BigOp(op=op, var=v, vty=vty, dom=d, body=b, ty=ty):
            nd, nb = map_term(d, f), map_term(b, _under(v, f))
            return t if (nd is d and nb is b) else BigOp(op, v, vty, nd, nb, ty)
        case Lam(var=v, vty=vty, body=b, ty=ty) | SetOf(var=v, vty=vty, body=b, ty=ty):
            g = _under(v, f)
            nb = map_term(b, g) if hasattr(b, "ty") else map_prop_terms(b, lambda x: map_term(x, g))
            return t if nb == b else type(t)(v, vty, nb, ty)
    return t


def map_prop_terms(p: Prop, f: Callable[[Term], Term]) -> Prop:
    """Apply ``f`` to every maximal term of ``p`` (both sides of each relation).

    Binders are not renamed, so use it only for maps that cannot capture a variable
    (normal forms, evaluation); ``subst_prop`` is the capture-avoiding substitution.
    """
    match p:
        case Rel(op=op, lhs=a, rhs=b):
            return Rel(op, f(a), f(b))
        case Dvd(lhs=a, rhs=b):
            return Dvd(f(a), f(b))
        case And(lhs=a, rhs=b):
            return And(map_prop_terms(a, f), map_prop_terms(b, f))
        case Or(lhs=a, rhs=b):
            return Or(map_prop_terms(a, f), map_prop_terms(b, f))
        case Imp(lhs=a, rhs=b):
            return Imp(map_prop_terms(a, f), map_prop_terms(b, f))
        case Iff(lhs=a, rhs=b):
            return Iff(map_prop_terms(a, f), map_prop_terms(b, f))
        case Not(arg=a):
            return Not(map_prop_terms(a, f))
        case Forall(var=v, ty=ty, body=b, bounded=bd):
            return Forall(v, ty, map_prop_terms(b, f), bd)
        case Exists(var=v, ty=ty, body=b, bounded=bd):
            return Exists(v, ty, map_prop_terms(b, f), bd)
        case ExistsUnique(var=v, ty=ty, body=b):
            return ExistsUnique(v, ty, map_prop_terms(b, f))
        case Mem(elem=a, coll=c, negated=neg):
            return Mem(f(a), f(c), neg)
        case Pred(fn=fn, args=args):
            return Pred(fn, tuple(f(a) for a in args))
        case ModEq(kind=k, lhs=a, rhs=b, modulus=m):
            return ModEq(k, f(a), f(b), f(m))
    return p


# ---- substitution ---------------------------------------------------------------------


def subst_term(t: Term, mapping: dict[str, Term]) -> Term:
    """Simultaneously replace free variables ``Var(name)`` by ``mapping[name]``
    (capture-avoiding under the term binders ``∑``/``∏``, ``fun``, ``{x | …}``)."""
    if not mapping:
        return t
    match t:
        case Var(name=n):
            return mapping.get(n, t)
        case Num():
            return t
        case BinOp(op=op, lhs=a, rhs=b, ty=ty):
            na, nb = subst_term(a, mapping), subst_term(b, mapping)
            return t if (na is a and nb is b) else BinOp(op, na, nb, ty)
        case Neg(arg=a, ty=ty) | Abs(arg=a, ty=ty) | Cast(arg=a, ty=ty):
            na = subst_term(a, mapping)
            return t if na is a else type(t)(na, ty)
        case App(fn=fn, args=args, ty=ty):
            nargs = tuple(subst_term(a, mapping) for a in args)
            lam = mapping.get(fn)
            if isinstance(lam, Lam) and len(nargs) == 1 and hasattr(lam.body, "ty"):
                return subst_term(lam.body, {lam.var: nargs[0]})  # β-reduce ``?f n``
            return t if all(x is y for x, y in zip(nargs, args, strict=True)) else App(fn, nargs, ty)
        case Coll(elems=elems, ty=ty):
            return Coll(tuple(subst_term(a, mapping) for a in elems), ty)
        case BigOp(op=op, var=v, vty=vty, dom=d, body=App(fn=fn, args=(Var(name=x),)), ty=ty) if (
                x == v and isinstance(mapping.get(fn), Lam) and mapping[fn].vty == vty):
            lam = mapping[fn]  # ``∑ x ∈ s, ?f x`` with ``?f := fun i => e``: the sum of that function
            return BigOp(op, lam.var, vty, subst_term(d, mapping), lam.body, ty)  # type: ignore[arg-type]
        case BigOp(op=op, var=v, vty=vty, dom=d, body=b, ty=ty):
            v2, b2 = _bind(v, vty, b, mapping)
            return BigOp(op, v2, vty, subst_term(d, mapping), b2, ty)
        case Lam(var=v, vty=vty, body=b, ty=ty) | SetOf(var=v, vty=vty, body=b, ty=ty):
            v2, b2 = _bind(v, vty, b, mapping)
            return type(t)(v2, vty, b2, ty)
    return t


def _subst_any(x, mapping: dict[str, Term]):
    return subst_term(x, mapping) if hasattr(x, "ty") else subst_prop(x, mapping)


def _bind(v: str, vty, body, mapping: dict[str, Term]):
    """Substitute under a binder of ``v``: ``v`` itself is not replaced, and is renamed
    when a replacement mentions it (capture avoidance)."""
    inner = {k: x for k, x in mapping.items() if k != v}
    if not inner:
        return v, body
    repl_vars: set[str] = set()
    for x in inner.values():
        term_vars(x, repl_vars)
    if v in repl_vars:
        nv = _fresh(v, repl_vars | _any_vars(body) | set(inner))
        body = _subst_any(body, {v: Var(nv, vty)})
        v = nv
    return v, _subst_any(body, inner)


def _fresh(name: str, avoid: set[str]) -> str:
    cand = name + "'"
    while cand in avoid:
        cand += "'"
    return cand


def subst_prop(p: Prop, mapping: dict[str, Term]) -> Prop:
    """Capture-avoiding simultaneous substitution of terms for free variables in ``p``."""
    if not mapping:
        return p
    match p:
        case Rel(op=op, lhs=a, rhs=b):
            return Rel(op, subst_term(a, mapping), subst_term(b, mapping))
        case Dvd(lhs=a, rhs=b):
            return Dvd(subst_term(a, mapping), subst_term(b, mapping))
        case And(lhs=a, rhs=b):
            return And(subst_prop(a, mapping), subst_prop(b, mapping))
        case Or(lhs=a, rhs=b):
            return Or(subst_prop(a, mapping), subst_prop(b, mapping))
        case Imp(lhs=a, rhs=b):
            return Imp(subst_prop(a, mapping), subst_prop(b, mapping))
        case Iff(lhs=a, rhs=b):
            return Iff(subst_prop(a, mapping), subst_prop(b, mapping))
        case Not(arg=a):
            return Not(subst_prop(a, mapping))
        case Forall(var=v, ty=ty, body=b) | Exists(var=v, ty=ty, body=b) | ExistsUnique(var=v, ty=ty, body=b):
            inner = {k: t for k, t in mapping.items() if k != v}
            if not inner:
                return p
            repl_vars: set[str] = set()
            for t in inner.values():
                term_vars(t, repl_vars)
            if v in repl_vars:
                nv = _fresh(v, repl_vars | prop_vars(b) | set(inner))
                b = subst_prop(b, {v: Var(nv, ty)})
                v = nv
            nb = subst_prop(b, inner)
            if isinstance(p, Forall):
                return Forall(v, ty, nb, p.bounded)
            if isinstance(p, Exists):
                return Exists(v, ty, nb, p.bounded)
            return ExistsUnique(v, ty, nb)
        case Mem(elem=a, coll=c, negated=neg):
            return Mem(subst_term(a, mapping), subst_term(c, mapping), neg)
        case Pred(fn=fn, args=args):
            return Pred(fn, tuple(subst_term(a, mapping) for a in args))
        case ModEq(kind=k, lhs=a, rhs=b, modulus=m):
            return ModEq(k, subst_term(a, mapping), subst_term(b, mapping), subst_term(m, mapping))
    return p


def rename_term(t: Term, mapping: dict[str, str]) -> Term:
    """Simultaneous renaming of free variables and applied local functions in ``t``
    (a binder's own variable is not renamed inside it)."""
    if not mapping:
        return t
    match t:
        case Var(name=n, ty=ty):
            return Var(mapping[n], ty) if n in mapping else t
        case App(fn=fn, args=args, ty=ty):
            return App(mapping.get(fn, fn), tuple(rename_term(a, mapping) for a in args), ty)
        case BinOp(op=op, lhs=a, rhs=b, ty=ty):
            return BinOp(op, rename_term(a, mapping), rename_term(b, mapping), ty)
        case Neg(arg=a, ty=ty) | Abs(arg=a, ty=ty) | Cast(arg=a, ty=ty):
            return type(t)(rename_term(a, mapping), ty)
        case Coll(elems=elems, ty=ty):
            return Coll(tuple(rename_term(a, mapping) for a in elems), ty)
        case BigOp(op=op, var=v, vty=vty, dom=d, body=b, ty=ty):
            inner = {k: x for k, x in mapping.items() if k != v}
            return BigOp(op, v, vty, rename_term(d, mapping), rename_term(b, inner), ty)
        case Lam(var=v, vty=vty, body=b, ty=ty) | SetOf(var=v, vty=vty, body=b, ty=ty):
            inner = {k: x for k, x in mapping.items() if k != v}
            nb = rename_term(b, inner) if hasattr(b, "ty") else rename_vars_prop(b, inner)
            return type(t)(v, vty, nb, ty)
    return t


def rename_vars_prop(p: Prop, mapping: dict[str, str]) -> Prop:
    """Simultaneous renaming of free variables (and applied local functions) in ``p``."""
    if not mapping:
        return p

    def f(x: Term) -> Term | None:
        return rename_term(x, mapping)

    return _map_free(p, f, mapping)


def _map_free(p: Prop, f: Callable[[Term], Term | None], keys: dict[str, str]) -> Prop:
    match p:
        case Forall(var=v, ty=ty, body=b, bounded=bd) if v in keys:
            sub = {k: x for k, x in keys.items() if k != v}
            nb = rename_vars_prop(b, sub)
            return Forall(v, ty, nb, bd)
        case Exists(var=v, ty=ty, body=b, bounded=bd) if v in keys:
            sub = {k: x for k, x in keys.items() if k != v}
            return Exists(v, ty, rename_vars_prop(b, sub), bd)
        case Forall(var=v, ty=ty, body=b, bounded=bd):
            return Forall(v, ty, _map_free(b, f, keys), bd)
        case Exists(var=v, ty=ty, body=b, bounded=bd):
            return Exists(v, ty, _map_free(b, f, keys), bd)
        case Rel(op=op, lhs=a, rhs=b):
            return Rel(op, map_term(a, f), map_term(b, f))
        case Dvd(lhs=a, rhs=b):
            return Dvd(map_term(a, f), map_term(b, f))
        case And(lhs=a, rhs=b):
            return And(_map_free(a, f, keys), _map_free(b, f, keys))
        case Or(lhs=a, rhs=b):
            return Or(_map_free(a, f, keys), _map_free(b, f, keys))
        case Imp(lhs=a, rhs=b):
            return Imp(_map_free(a, f, keys), _map_free(b, f, keys))
        case Iff(lhs=a, rhs=b):
            return Iff(_map_free(a, f, keys), _map_free(b, f, keys))
        case Not(arg=a):
            return Not(_map_free(a, f, keys))
        case ExistsUnique(var=v, ty=ty, body=b):
            sub = {k: x for k, x in keys.items() if k != v}
            return ExistsUnique(v, ty, rename_vars_prop(b, sub) if v in keys else _map_free(b, f, keys))
        case Mem() | Pred() | ModEq():
            return map_prop_terms(p, lambda t: map_term(t, f))
    return p


# ---- α-equivalence of terms with binders ---------------------------------------------


@lru_cache(maxsize=8192)
def _has_binder(t) -> bool:
    match t:
        case BigOp() | Lam() | SetOf():
            return True
        case BinOp(lhs=a, rhs=b):
            return _has_binder(a) or _has_binder(b)
        case Neg(arg=a) | Abs(arg=a) | Cast(arg=a):
            return _has_binder(a)
        case App(args=args) | Coll(elems=args):
            return any(_has_binder(a) for a in args)
    return False


@lru_cache(maxsize=4096)
def alpha(t: Term, depth: int = 0) -> Term:
    """``t`` with the variables bound by ``∑``/``fun``/``{x | …}`` renamed canonically, so
    α-equivalent terms are equal (Lean compares bound variables by position)."""
    if not _has_binder(t):
        return t
    match t:
        case BigOp(op=op, var=v, vty=vty, dom=d, body=b, ty=ty):
            nv = f"#b{depth}"
            nb = subst_term(b, {v: Var(nv, vty)}) if v != nv else b
            return BigOp(op, nv, vty, alpha(d, depth), alpha(nb, depth + 1), ty)
        case Lam(var=v, vty=vty, body=b, ty=ty) | SetOf(var=v, vty=vty, body=b, ty=ty):
            nv = f"#b{depth}"
            if hasattr(b, "ty"):
                nb = alpha(subst_term(b, {v: Var(nv, vty)}), depth + 1)
            else:
                nb = map_prop_terms(subst_prop(b, {v: Var(nv, vty)}), lambda x: alpha(x, depth + 1))
            return type(t)(nv, vty, nb, ty)
        case BinOp(op=op, lhs=a, rhs=b, ty=ty):
            return BinOp(op, alpha(a, depth), alpha(b, depth), ty)
        case Neg(arg=a, ty=ty) | Abs(arg=a, ty=ty) | Cast(arg=a, ty=ty):
            return type(t)(alpha(a, depth), ty)
        case App(fn=fn, args=args, ty=ty):
            return App(fn, tuple(alpha(a, depth) for a in args), ty)
        case Coll(elems=elems, ty=ty):
            return Coll(tuple(alpha(a, depth) for a in elems), ty)
    return t


def terms_equal(a: Term, b: Term) -> bool:
    """Syntactic equality up to the names of bound variables."""
    return a == b or (_has_binder(a) and _has_binder(b) and alpha(a) == alpha(b))


# ---- replacing occurrences (rw) -------------------------------------------------------


def replace_in_term(t: Term, pattern: Term, repl: Term) -> tuple[Term, int]:
    """Replace every occurrence of ``pattern`` in ``t``; return the result and the count."""
    count = 0

    def f(x: Term) -> Term | None:
        nonlocal count
        if terms_equal(x, pattern):
            count += 1
            return repl
        return None

    out = map_term(t, f)
    return out, count


def replace_in_prop(p: Prop, pattern: Term, repl: Term) -> tuple[Prop, int]:
    """Replace occurrences of the term ``pattern`` in ``p``, except under a binder that
    binds one of the pattern's variables (those are different variables there)."""
    pvars = term_vars(pattern)
    return _replace(p, pattern, repl, pvars)


def _replace(p: Prop, pat: Term, repl: Term, pvars: set[str]) -> tuple[Prop, int]:
    match p:
        case Rel(op=op, lhs=a, rhs=b):
            na, ca = replace_in_term(a, pat, repl)
            nb, cb = replace_in_term(b, pat, repl)
            return Rel(op, na, nb), ca + cb
        case Dvd(lhs=a, rhs=b):
            na, ca = replace_in_term(a, pat, repl)
            nb, cb = replace_in_term(b, pat, repl)
            return Dvd(na, nb), ca + cb
        case And(lhs=a, rhs=b) | Or(lhs=a, rhs=b) | Imp(lhs=a, rhs=b) | Iff(lhs=a, rhs=b):
            na, ca = _replace(a, pat, repl, pvars)
            nb, cb = _replace(b, pat, repl, pvars)
            return type(p)(na, nb), ca + cb
        case Not(arg=a):
            na, ca = _replace(a, pat, repl, pvars)
            return Not(na), ca
        case Forall(var=v, body=b) | Exists(var=v, body=b):
            if v in pvars or v in term_vars(repl):
                return p, 0
            nb, cb = _replace(b, pat, repl, pvars)
            return type(p)(v, p.ty, nb, p.bounded), cb
        case Mem() | Pred() | ModEq():
            count = 0

            def f(t: Term) -> Term:
                nonlocal count
                nt, c = replace_in_term(t, pat, repl)
                count += c
                return nt

            return map_prop_terms(p, f), count
    return p, 0


def replace_prop(p: Prop, pattern: Prop, repl: Prop) -> tuple[Prop, int]:
    """Replace occurrences of the proposition ``pattern`` inside ``p`` (``rw`` with ``↔``)."""
    if p == pattern:
        return repl, 1
    match p:
        case And(lhs=a, rhs=b) | Or(lhs=a, rhs=b) | Imp(lhs=a, rhs=b) | Iff(lhs=a, rhs=b):
            na, ca = replace_prop(a, pattern, repl)
            nb, cb = replace_prop(b, pattern, repl)
            return type(p)(na, nb), ca + cb
        case Not(arg=a):
            na, ca = replace_prop(a, pattern, repl)
            return Not(na), ca
        case Forall(var=v, body=b) | Exists(var=v, body=b):
            if v in prop_vars(pattern):
                return p, 0
            nb, cb = replace_prop(b, pattern, repl)
            return type(p)(v, p.ty, nb, p.bounded), cb
    return p, 0


# ---- Lean's (reducible) definitional matching -----------------------------------------


def canon(p: Prop, depth: int = 0, alpha_terms: bool = True) -> Prop:
    """A canonical form for comparing propositions as Lean's ``exact`` does.

    ``a > b`` ↦ ``b < a``, ``a ≥ b`` ↦ ``b ≤ a``, ``a ≠ b`` ↦ ``a = b → False``,
    ``¬P`` ↦ ``P → False``, bound variables renamed by depth (also those of ``∑``/``fun``
    inside terms, unless ``alpha_terms`` is false: matching keeps the goal's names),
    ``bounded`` dropped.
    """
    if alpha_terms and isinstance(p, (Rel, Dvd, Mem, Pred, ModEq)) and _prop_has_binder(p):
        p = map_prop_terms(p, alpha)
    match p:
        case Rel(op=">", lhs=a, rhs=b):
            return Rel("<", b, a)
        case Rel(op="≥", lhs=a, rhs=b):
            return Rel("≤", b, a)
        case Rel(op="≠", lhs=a, rhs=b):
            return Imp(Rel("=", a, b), _FALSE)
        case Not(arg=a):
            return Imp(canon(a, depth, alpha_terms), _FALSE)
        case Mem(elem=a, coll=c, negated=True):
            return Imp(Mem(a, c), _FALSE)
        case And(lhs=a, rhs=b) | Or(lhs=a, rhs=b) | Imp(lhs=a, rhs=b) | Iff(lhs=a, rhs=b):
            return type(p)(canon(a, depth, alpha_terms), canon(b, depth, alpha_terms))
        case Forall(var=v, ty=ty, body=b) | Exists(var=v, ty=ty, body=b):
            nv = f"#{depth}"
            nb = subst_prop(b, {v: Var(nv, ty)}) if v != nv else b
            return type(p)(nv, ty, canon(nb, depth + 1, alpha_terms), False)
    return p


@lru_cache(maxsize=8192)
def _prop_has_binder(p: Prop) -> bool:
    found = False

    def f(t: Term) -> Term:
        nonlocal found
        found = found or _has_binder(t)
        return t

    map_prop_terms(p, f)
    return found


def props_match(a: Prop, b: Prop) -> bool:
    """``a`` and ``b`` are the same proposition up to ``canon`` and up to closed ℕ/ℤ
    literal arithmetic (``a (0 + 1)`` is ``a 1``: Lean's ``isDefEq`` evaluates it)."""
    if a == b:
        return True
    ca, cb = canon(a), canon(b)
    return ca == cb or (type(ca) is type(cb) and _closed_ints(ca) == _closed_ints(cb))


@lru_cache(maxsize=4096)
def _closed_ints(p: Prop) -> Prop:
    from qed.env.sandbox.arith.evaluate import evaluate

    def f(t: Term) -> Term | None:
        if isinstance(t, (BinOp, Neg)) and getattr(t.ty, "name", "") in ("ℕ", "ℤ") and not term_vars(t):
            v = evaluate(t)
            if v is not None and abs(v) < 10 ** 30:
                if v < 0:
                    return Neg(Num(-v, t.ty), t.ty)
                return Num(v, t.ty)
        return None

    return map_prop_terms(p, lambda t: map_term(t, f))


# ---- first-order matching of lemma patterns -------------------------------------------


def match_term(pat: Term, t: Term, metas: frozenset[str], binds: dict[str, Term]) -> bool:
    """Match ``pat`` (whose variables named in ``metas`` are pattern variables) against
    ``t``, extending ``binds``. Numerals match by value and type; other nodes structurally."""
    if isinstance(pat, Var) and pat.name in metas:
        if pat.name in binds:
            return binds[pat.name] == t
        if pat.ty != t.ty:
            return False
        binds[pat.name] = t
        return True
    if isinstance(pat, App) and pat.fn in metas:
        return _match_ho(pat, t, metas, binds)
    if type(pat) is not type(t):
        return _match_numeral(pat, t, metas, binds)
    if isinstance(pat, (BigOp, Lam, SetOf, Coll)):
        return _match_binder_term(pat, t, metas, binds)

    match pat:
        case Num(value=v, ty=ty):
            return v == t.value and ty == t.ty  # type: ignore[union-attr]
        case Var():
            return pat == t
        case BinOp(op=op, lhs=a, rhs=b, ty=ty):
            return (op == t.op and ty == t.ty  # type: ignore[union-attr]
                    and match_term(a, t.lhs, metas, binds)  # type: ignore[union-attr]
                    and match_term(b, t.rhs, metas, binds))  # type: ignore[union-attr]
        case Neg(arg=a) | Abs(arg=a) | Cast(arg=a):
            return pat.ty == t.ty and match_term(a, t.arg, metas, binds)  # type: ignore[union-attr]
        case App(fn=fn, args=args):
            return (fn == t.fn and len(args) == len(t.args)  # type: ignore[union-attr]
                    and all(match_term(x, y, metas, binds) for x, y in zip(args, t.args, strict=True)))  # type: ignore[union-attr]
    return False


def _match_ho(pat: App, t: Term, metas: frozenset[str], binds: dict[str, Term]) -> bool:
    """``?f x`` (``x`` a variable, in practice a ``∑``'s bound variable) matches any term
    ``t`` by binding ``?f := fun x => t`` (a higher-order pattern); once ``?f`` is bound,
    the β-reduced pattern is matched instead (``?f ?n`` against ``↑n``)."""
    if pat.fn in binds:
        return match_term(subst_term(pat, binds), t, metas, binds)
    if len(pat.args) != 1 or not isinstance(pat.args[0], Var) or pat.args[0].name in metas:
        return False
    x = pat.args[0]
    if t.ty != pat.ty:
        return False
    binds[pat.fn] = Lam(x.name, x.ty, t, FunTy((x.ty,), t.ty))
    return True


def _match_binder_term(pat: Term, t: Term, metas: frozenset[str], binds: dict[str, Term]) -> bool:
    """``∑``/``fun``/set-builder/collection patterns: equal when they have no pattern
    variables; ``∑ k ∈ ?s, body`` matches up to the bound variable's name, and a pattern
    variable is never bound to a term mentioning the bound variable."""
    if not (term_vars(pat) & metas):
        return terms_equal(pat, t)
    if isinstance(pat, Coll):
        return (pat.ty == t.ty and len(pat.elems) == len(t.elems)  # type: ignore[union-attr]
                and all(match_term(a, b, metas, binds) for a, b in zip(pat.elems, t.elems, strict=True)))  # type: ignore[union-attr]
    if isinstance(pat, BigOp) and isinstance(t, BigOp):
        if (pat.op, pat.vty, pat.ty) != (t.op, t.vty, t.ty) or not match_term(pat.dom, t.dom, metas, binds):
            return False
        # the pattern's bound variable takes the term's name (kept by ``?f := fun i => …``)
        pbody = pat.body if t.var == pat.var else subst_term(pat.body, {pat.var: Var(t.var, t.vty)})
        trial = dict(binds)
        if not match_term(pbody, t.body, metas, trial):
            return False
        if any(t.var in term_vars(trial[m]) for m in trial.keys() - binds.keys()):
            return False
        binds.update(trial)
        return True
    return False


def match_prop_exact(pat: Prop, p: Prop, metas: frozenset[str], binds: dict[str, Term]) -> bool:
    """Match a lemma pattern against a proposition syntactically (``a > b`` does not match
    ``b < a``), as ``rw``'s keyed matching does."""
    return _match_canon(pat, p, metas, binds)


def _match_numeral(pat: Term, t: Term, metas: frozenset[str], binds: dict[str, Term]) -> bool:
    """Lean's unifier on literals: ``?n + k`` matches the ℕ numeral ``m ≥ k`` (``?n := m -
    k``, Nat offset unification)."""
    if not isinstance(t, Num) or t.value.denominator != 1:
        return False
    if (isinstance(pat, BinOp) and pat.op == "+" and isinstance(pat.rhs, Num) and pat.ty == t.ty
            and getattr(pat.ty, "name", "") == "ℕ" and t.value >= pat.rhs.value):
        return match_term(pat.lhs, Num(t.value - pat.rhs.value, t.ty), metas, binds)
    return False


def match_prop(pat: Prop, p: Prop, metas: frozenset[str], binds: dict[str, Term]) -> bool:
    """Match a lemma pattern against a proposition (both taken in ``canon`` form)."""
    return _match_canon(canon(pat, alpha_terms=False), canon(p, alpha_terms=False), metas, binds)


def _match_canon(pat: Prop, p: Prop, metas: frozenset[str], binds: dict[str, Term]) -> bool:
    if type(pat) is not type(p):
        return False
    match pat:
        case Rel(op=op, lhs=a, rhs=b):
            return op == p.op and match_term(a, p.lhs, metas, binds) and match_term(b, p.rhs, metas, binds)  # type: ignore[union-attr]
        case Dvd(lhs=a, rhs=b):
            return match_term(a, p.lhs, metas, binds) and match_term(b, p.rhs, metas, binds)  # type: ignore[union-attr]
        case And(lhs=a, rhs=b) | Or(lhs=a, rhs=b) | Imp(lhs=a, rhs=b) | Iff(lhs=a, rhs=b):
            return _match_canon(a, p.lhs, metas, binds) and _match_canon(b, p.rhs, metas, binds)  # type: ignore[union-attr]
        case Not(arg=a):
            return _match_canon(a, p.arg, metas, binds)  # type: ignore[union-attr]
        case Mem(elem=a, coll=c, negated=neg):
            return (neg == p.negated and match_term(a, p.elem, metas, binds)  # type: ignore[union-attr]
                    and match_term(c, p.coll, metas, binds))  # type: ignore[union-attr]
        case Pred(fn=fn, args=args):
            return (fn == p.fn and len(args) == len(p.args)  # type: ignore[union-attr]
                    and all(match_term(x, y, metas, binds) for x, y in zip(args, p.args, strict=True)))  # type: ignore[union-attr]
        case ModEq(kind=k, lhs=a, rhs=b, modulus=m):
            return (k == p.kind and match_term(a, p.lhs, metas, binds)  # type: ignore[union-attr]
                    and match_term(b, p.rhs, metas, binds) and match_term(m, p.modulus, metas, binds))  # type: ignore[union-attr]
    return pat == p


def var_types(props) -> dict:
    """Name -> type of every variable occurring (free) in ``props`` (terms or props)."""
    out: dict = {}

    def f(t: Term) -> Term | None:
        if isinstance(t, Var):
            out.setdefault(t.name, t.ty)
        return None

    for p in props:
        if hasattr(p, "ty"):
            map_term(p, f)
        else:
            map_prop_terms(p, lambda t: map_term(t, f))
    return out

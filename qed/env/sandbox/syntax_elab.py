"""Elaboration of raw syntax into the typed sandbox AST, following Lean 4's rules.

Owns ``Elaborator``: names are resolved in a local context, numerals are polymorphic
(defaulting to ℕ only when nothing fixes their type), and arithmetic trees behave like
Lean's ``binop%``: the leaves (maximal non-arithmetic subterms, elaborated without an
expected type) take the "maximal" type among them and the expected type, and ``↑``
coercions are inserted at the leaves (ℕ→ℤ→ℚ→ℝ). Relations unify both sides the same way;
``^`` keeps its base in the tree and elaborates the exponent on its own (ℕ by default,
Monoid.npow); ``(e : T)`` elaborates ``e`` against ``T``; ``↑e`` takes its target type
from context; ``∣`` elaborates like an ordinary application (first argument fixes the type).
Binder types left out (``∀ x, …``) are inferred by unification.

Knows the AST and the raw syntax; does not know surface text (``syntax_raw``) or printing.
Errors are ``ParseError`` with the source position and, for constructs outside the
sandbox's fragment, a short ``category``.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from qed.env.sandbox.ast import (
    INT,
    NAT,
    RAT,
    REAL,
    Abs,
    And,
    App,
    BaseTy,
    BinOp,
    Bool_,
    Cast,
    Decl,
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
    Term,
    Ty,
    Var,
    VarDecl,
)
from qed.env.sandbox.lexer import ParseError, error_at
from qed.env.sandbox.syntax_names import KNOWN_GLOBALS
from qed.env.sandbox.syntax_raw import RAbs, RApp, RAscr, Raw, RBin, RBinder, RName, RNum, RPre, RTy

_RANK = {NAT: 0, INT: 1, RAT: 2, REAL: 3}
_BASE = {"ℕ": NAT, "ℤ": INT, "ℚ": RAT, "ℝ": REAL}
_ARITH = ("+", "-", "*", "/", "%")
_RELS = ("=", "≠", "<", ">", "≤", "≥")
_LOGIC = ("∧", "∨", "→", "↔")
SQRT = "Real.sqrt"


@dataclass(frozen=True, slots=True)
class _MV:
    """A type metavariable (an index into the elaborator's union-find)."""

    id: int


class _Leaf:
    __slots__ = ("term", "pos")

    def __init__(self, term: Term, pos: int):
        self.term = term
        self.pos = pos


class Elaborator:
    """Elaborates raw syntax in one local context; create one per proposition or term.

    ``decls`` is the context in order (later declarations shadow earlier ones). Call
    ``prop``/``term`` once, then ``finish`` to apply defaults, run the deferred checks and
    return the AST with every metavariable resolved.
    """

    def __init__(self, src: str, decls: tuple[Decl, ...] | dict[str, Decl]):
        self.src = src
        if isinstance(decls, dict):
            self.names = decls
        else:
            self.names = {d.name: d for d in decls}
        self.scope: list[tuple[str, Ty | _MV]] = []
        self.parent: list[int] = []
        self.val: list[BaseTy | None] = []
        self.num_mvs: list[int] = []
        self.binder_mvs: list[tuple[_MV, str, int]] = []
        self.coes: list[tuple[Ty | _MV, _MV, int]] = []
        self.exps: list[tuple[Ty | _MV, int]] = []
        self.checks: list[tuple[str, Ty | _MV, int]] = []

    # ---- metavariables ----------------------------------------------------------------

    def fresh(self) -> _MV:
        i = len(self.parent)
        self.parent.append(i)
        self.val.append(None)
        return _MV(i)

    def find(self, i: int) -> int:
        parent = self.parent
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def resolve(self, ty: Ty | _MV) -> Ty | _MV:
        if type(ty) is _MV:
            root = self.find(ty.id)
            v = self.val[root]
            return v if v is not None else _MV(root)
        return ty

    def unify(self, a: Ty | _MV, b: Ty | _MV, pos: int) -> None:
        a, b = self.resolve(a), self.resolve(b)
        if a == b:
            return
        if type(a) is _MV and type(b) is _MV:
            self.parent[a.id] = b.id
        elif type(a) is _MV:
            self.val[a.id] = self._base(b, pos)
        elif type(b) is _MV:
            self.val[b.id] = self._base(a, pos)
        else:
            raise self.err(pos, f"type mismatch: {_show(a)} and {_show(b)}")

    def _base(self, ty: Ty | _MV, pos: int) -> BaseTy:
        if isinstance(ty, BaseTy):
            return ty
        raise self.err(pos, f"type mismatch: expected a number, found a function of type {_show(ty)}")

    def err(self, pos: int, message: str, category: str | None = None) -> ParseError:
        return error_at(self.src, pos, message, category)

    # ---- propositions -------------------------------------------------------------------

    def prop(self, raw: Raw) -> Prop:
        t = type(raw)
        if t is RBin:
            op = raw.op
            if op in _LOGIC:
                lhs, rhs = self.prop(raw.lhs), self.prop(raw.rhs)
                if op == "∧":
                    return And(lhs, rhs)
                if op == "∨":
                    return Or(lhs, rhs)
                if op == "→":
                    return Imp(lhs, rhs)
                return Iff(lhs, rhs)
            if op in _RELS:
                return self.rel(op, raw.lhs, raw.rhs, raw.pos)
            if op == "∣":
                return self.dvd(raw)
        elif t is RPre and raw.op == "¬":
            return Not(self.prop(raw.arg))
        elif t is RName:
            if raw.name in ("True", "False"):
                return Bool_(raw.name == "True")
            self.lookup(raw.name, raw.pos)  # unknown identifiers are reported as such
            raise self.err(raw.pos, f"type mismatch: '{raw.name}' is not a proposition")
        elif t is RBinder:
            return self.binder(raw)
        elif t is RApp:
            self.global_or_none(raw.fn, raw.pos)
        raise self.err(_pos(raw), "type mismatch: expected a proposition, found a term")

    def rel(self, op: str, lhs: Raw, rhs: Raw, pos: int) -> Rel:
        leaves: list[_Leaf] = []
        lt = self.tree(lhs, leaves)
        rt = self.tree(rhs, leaves)
        ty = self.analyze(leaves, None, pos)
        return Rel(op, self.build(lt, ty), self.build(rt, ty))

    def dvd(self, raw: RBin) -> Dvd:
        lhs = self.elab_tree(raw.lhs, None)
        lt = self.resolve(lhs.ty)
        if type(lt) is _MV:
            rhs = self.elab_tree(raw.rhs, None)
            lhs = self.ensure(lhs, rhs.ty, raw.pos)
        else:
            rhs = self.ensure(self.elab_tree(raw.rhs, lt), lt, _pos(raw.rhs))
        self.checks.append(("dvd", lhs.ty, raw.pos))
        return Dvd(lhs, rhs)

    def binder(self, raw: RBinder) -> Prop:
        if raw.ty is not None:
            ty: Ty | _MV = to_ty(raw.ty)
        else:
            ty = self.fresh()
            self.binder_mvs.append((ty, raw.name, raw.pos))
        self.scope.append((raw.name, ty))
        try:
            if raw.pred is not None:
                op, rhs = raw.pred
                cond = self.rel(op, RName(raw.name, raw.pos), rhs, raw.pos)
                body = self.prop(raw.body)
                inner: Prop = Imp(cond, body) if raw.q == "∀" else And(cond, body)
            else:
                inner = self.prop(raw.body)
        finally:
            self.scope.pop()
        if raw.q == "∀":
            return Forall(raw.name, ty, inner, raw.pred is not None)  # type: ignore[arg-type]
        return Exists(raw.name, ty, inner, raw.pred is not None)  # type: ignore[arg-type]

    # ---- terms ----------------------------------------------------------------------------

    def term(self, raw: Raw, expected: Ty | None) -> Term:
        return self.ensure(self.elab_tree(raw, expected), expected, _pos(raw))

    def elab_tree(self, raw: Raw, expected: Ty | _MV | None) -> Term:
        leaves: list[_Leaf] = []
        tree = self.tree(raw, leaves)
        ty = self.analyze(leaves, expected, _pos(raw))
        return self.build(tree, ty)

    def ensure(self, t: Term, expected: Ty | _MV | None, pos: int) -> Term:
        if expected is None:
            return t
        a, e = self.resolve(t.ty), self.resolve(expected)
        if a == e:
            return t
        if type(a) is _MV or type(e) is _MV:
            self.unify(a, e, pos)
            return t
        if a in _RANK and e in _RANK and _RANK[a] < _RANK[e]:
            return Cast(t, e)
        raise self.err(
            pos, f"type mismatch: term has type {_show(a)} but is expected to have type {_show(e)}"
        )

    def tree(self, raw: Raw, leaves: list[_Leaf]) -> tuple:
        t = type(raw)
        if t is RBin:
            op = raw.op
            if op in _ARITH:
                lt = self.tree(raw.lhs, leaves)
                rt = self.tree(raw.rhs, leaves)
                return ("bin", op, lt, rt, raw.pos)
            if op == "^":
                base = self.tree(raw.lhs, leaves)
                exp = self.elab_tree(raw.rhs, None)
                self.exps.append((exp.ty, _pos(raw.rhs)))
                return ("pow", base, exp, raw.pos)
        elif t is RPre and raw.op == "-":
            return ("neg", self.tree(raw.arg, leaves), raw.pos)
        leaf = _Leaf(self.leaf(raw), _pos(raw))
        leaves.append(leaf)
        return ("leaf", leaf)

    def analyze(self, leaves: list[_Leaf], expected: Ty | _MV | None, pos: int) -> Ty | _MV:
        resolve = self.resolve
        top = resolve(expected) if expected is not None else None
        if isinstance(top, FunTy):
            raise self.err(pos, f"type mismatch: expected a function of type {_show(top)}")
        best = top if isinstance(top, BaseTy) else None
        for leaf in leaves:
            ty = resolve(leaf.term.ty)
            if type(ty) is _MV:
                continue
            if isinstance(ty, FunTy):
                raise self.err(leaf.pos, f"type mismatch: function of type {_show(ty)} used as a number")
            if best is None or _RANK[ty] > _RANK[best]:
                best = ty
        if best is None:
            m = top if type(top) is _MV else self.fresh()
            for leaf in leaves:
                self.unify(leaf.term.ty, m, leaf.pos)
            return m
        for leaf in leaves:
            ty = resolve(leaf.term.ty)
            if type(ty) is _MV:
                self.unify(ty, best, leaf.pos)
            elif ty != best:
                leaf.term = Cast(leaf.term, best)
        return best

    def build(self, tree: tuple, ty: Ty | _MV) -> Term:
        kind = tree[0]
        if kind == "leaf":
            return tree[1].term
        if kind == "bin":
            _, op, lt, rt, pos = tree
            if op == "%":
                self.checks.append(("mod", ty, pos))
            return BinOp(op, self.build(lt, ty), self.build(rt, ty), ty)  # type: ignore[arg-type]
        if kind == "neg":
            self.checks.append(("neg", ty, tree[2]))
            return Neg(self.build(tree[1], ty), ty)  # type: ignore[arg-type]
        _, base, exp, pos = tree
        return BinOp("^", self.build(base, ty), exp, ty)  # type: ignore[arg-type]

    def leaf(self, raw: Raw) -> Term:
        t = type(raw)
        if t is RNum:
            return self.numeral(raw)
        if t is RName:
            return self.lookup(raw.name, raw.pos)
        if t is RApp:
            return self.app(raw)
        if t is RAbs:
            inner = self.elab_tree(raw.arg, None)
            self.checks.append(("abs", inner.ty, raw.pos))
            return Abs(inner, inner.ty)  # type: ignore[arg-type]
        if t is RPre and raw.op == "↑":
            inner = self.elab_tree(raw.arg, None)
            target = self.fresh()
            self.coes.append((inner.ty, target, raw.pos))
            return Cast(inner, target)  # type: ignore[arg-type]
        if t is RAscr:
            return self.term(raw.expr, to_ty(raw.ty))
        raise self.err(_pos(raw), "type mismatch: expected a term, found a proposition")

    def numeral(self, raw: RNum) -> Num:
        text = raw.text
        mv = self.fresh()
        self.num_mvs.append(mv.id)
        if text.isdigit():
            return Num(Fraction(int(text)), mv)  # type: ignore[arg-type]
        self.checks.append(("decimal", mv, raw.pos))
        return Num(Fraction(text), mv, text)  # type: ignore[arg-type]

    def lookup(self, name: str, pos: int) -> Var:
        for n, ty in reversed(self.scope):
            if n == name:
                return Var(name, ty)  # type: ignore[arg-type]
        decl = self.names.get(name)
        if decl is not None:
            if isinstance(decl, HypDecl):
                raise self.err(pos, f"type mismatch: '{name}' is a proof of a proposition, not a number")
            if isinstance(decl.ty, FunTy):
                raise self.err(
                    pos,
                    f"function '{name}' expects {len(decl.ty.dom)} argument(s), got 0 "
                    "(partial application is not supported)",
                )
            return Var(name, decl.ty)
        self.global_or_none(name, pos)
        if "." in name:
            head = name.split(".", 1)[0]
            if head in self.names or any(n == head for n, _ in self.scope):
                raise self.err(pos, f"unsupported field notation '{name}'", "field notation")
        raise self.err(pos, f"unknown identifier '{name}'")

    def global_or_none(self, name: str, pos: int) -> None:
        cat = KNOWN_GLOBALS.get(name)
        if cat is None and (name[:1].isupper() and "." in name):
            cat = f"function {name}"
        if cat is not None:
            raise self.err(pos, f"unsupported constant '{name}' ({cat})", cat)

    def app(self, raw: RApp) -> Term:
        name, args = raw.fn, raw.args
        if name == SQRT:
            if len(args) != 1:
                raise self.err(raw.pos, f"function '{SQRT}' expects 1 argument, got {len(args)}")
            return App(SQRT, (self.term(args[0], REAL),), REAL)
        local = None
        if name == "abs" and name not in self.names and all(n != name for n, _ in self.scope):
            if len(args) != 1:
                raise self.err(raw.pos, f"function 'abs' expects 1 argument, got {len(args)}")
            return self.leaf(RAbs(args[0], raw.pos))
        for n, ty in reversed(self.scope):
            if n == name:
                local = ty
                break
        if local is None:
            decl = self.names.get(name)
            if decl is None:
                self.global_or_none(name, raw.pos)
                raise self.err(raw.pos, f"unknown identifier '{name}'")
            if isinstance(decl, HypDecl):
                raise self.err(raw.pos, f"unsupported application of the proof '{name}'")
            local = decl.ty
        if not isinstance(local, FunTy):
            raise self.err(raw.pos, f"function expected: '{name}' has type {_show(self.resolve(local))}")
        if len(args) != len(local.dom):
            raise self.err(
                raw.pos, f"function '{name}' expects {len(local.dom)} argument(s), got {len(args)}"
            )
        elab = tuple(self.term(a, d) for a, d in zip(args, local.dom, strict=True))
        return App(name, elab, local.cod)

    # ---- defaults, checks and the final AST --------------------------------------------------

    def finish_prop(self, p: Prop) -> Prop:
        self._settle()
        return self._zprop(p)

    def finish_term(self, t: Term) -> Term:
        self._settle()
        return self._zterm(t)

    def _settle(self) -> None:
        resolve = self.resolve
        for src, dst, pos in self.coes:
            if type(resolve(src)) is _MV and type(resolve(dst)) is not _MV:
                self.unify(src, dst, pos)
        for ty, pos in self.exps:
            if type(resolve(ty)) is _MV:
                self.unify(ty, NAT, pos)
        for i in self.num_mvs:
            if type(resolve(_MV(i))) is _MV:
                self.unify(_MV(i), NAT, 0)
        for src, dst, pos in self.coes:
            s, d = resolve(src), resolve(dst)
            if type(d) is _MV:
                if type(s) is _MV:
                    raise self.err(pos, "cannot infer the target type of '↑'")
                self.unify(d, s, pos)
            elif isinstance(s, BaseTy) and _RANK[s] > _RANK[d]:  # type: ignore[index]
                raise self.err(pos, f"type mismatch: cannot coerce {_show(s)} to {_show(d)}")
        for mv, name, pos in self.binder_mvs:
            if type(resolve(mv)) is _MV:
                raise self.err(pos, f"failed to infer the type of binder '{name}'")
        for ty, pos in self.exps:
            t = resolve(ty)
            if t != NAT:
                kind = "real powers (rpow)" if t in (RAT, REAL) else "integer powers (zpow)"
                raise self.err(
                    pos,
                    f"unsupported exponent of type {_show(t)} ({kind}): the sandbox "
                    "supports natural-number exponents only",
                    "real/integer exponents",
                )
        for kind, ty, pos in self.checks:
            t = resolve(ty)
            if kind in ("neg", "abs") and t == NAT:
                what = "negation" if kind == "neg" else "|·|"
                raise self.err(pos, f"failed to synthesize Neg ℕ ({what} on natural numbers)")
            if kind == "mod" and t in (RAT, REAL):
                raise self.err(pos, f"failed to synthesize HMod {_show(t)} {_show(t)} {_show(t)}")
            if kind == "decimal" and t in (NAT, INT):
                raise self.err(pos, f"failed to synthesize OfScientific {_show(t)}")
            if kind == "dvd" and t in (RAT, REAL):
                raise self.err(
                    pos, f"'∣' on {_show(t)} is not supported (only ℕ and ℤ)", "divisibility on ℝ/ℚ"
                )

    def _zty(self, ty: Ty | _MV) -> Ty:
        t = self.resolve(ty)
        assert not isinstance(t, _MV), "unresolved metavariable after settle"
        return t

    def _zterm(self, t: Term) -> Term:
        k = type(t)
        if k is Var:
            return Var(t.name, self._zty(t.ty)) if type(t.ty) is _MV else t
        if k is Num:
            return Num(t.value, self._zty(t.ty), t.lit) if type(t.ty) is _MV else t
        if k is BinOp:
            return BinOp(t.op, self._zterm(t.lhs), self._zterm(t.rhs), self._zty(t.ty))
        if k is Neg:
            return Neg(self._zterm(t.arg), self._zty(t.ty))
        if k is Abs:
            return Abs(self._zterm(t.arg), self._zty(t.ty))
        if k is Cast:
            arg = self._zterm(t.arg)
            ty = self._zty(t.ty)
            return arg if arg.ty == ty else Cast(arg, ty)
        return App(t.fn, tuple(self._zterm(a) for a in t.args), t.ty)

    def _zprop(self, p: Prop) -> Prop:
        k = type(p)
        if k is Rel:
            return Rel(p.op, self._zterm(p.lhs), self._zterm(p.rhs))
        if k is Dvd:
            return Dvd(self._zterm(p.lhs), self._zterm(p.rhs))
        if k is And:
            return And(self._zprop(p.lhs), self._zprop(p.rhs))
        if k is Or:
            return Or(self._zprop(p.lhs), self._zprop(p.rhs))
        if k is Imp:
            return Imp(self._zprop(p.lhs), self._zprop(p.rhs))
        if k is Iff:
            return Iff(self._zprop(p.lhs), self._zprop(p.rhs))
        if k is Not:
            return Not(self._zprop(p.arg))
        if k is Forall or k is Exists:
            body = self._zprop(p.body)
            return k(p.var, self._zty(p.ty), body, bounded_shape(k, p.var, body))
        return p


def bounded_shape(kind: type, var: str, body: Prop) -> bool:
    """Whether Lean shows ``∀ var, var op e → P`` / ``∃ var, var op e ∧ P`` as ``∀ var op e, P``.

    Lean 4 + Mathlib (v4.9) does so for ``< ≤ > ≥`` (not ``≠``), when ``e`` does not mention
    ``var``.
    """
    inner = (
        body.lhs if (kind is Forall and type(body) is Imp) or (kind is Exists and type(body) is And) else None
    )
    if type(inner) is not Rel or inner.op not in ("<", "≤", ">", "≥"):
        return False
    lhs = inner.lhs
    return type(lhs) is Var and lhs.name == var and not _mentions(inner.rhs, var)


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


def to_ty(raw: RTy) -> Ty:
    cod = _BASE[raw.name]
    if raw.dom:
        return FunTy(tuple(_BASE[d] for d in raw.dom), cod)
    return cod


def _show(ty: object) -> str:
    if isinstance(ty, BaseTy):
        return ty.name
    if isinstance(ty, FunTy):
        return " → ".join([_show(d) for d in ty.dom] + [_show(ty.cod)])
    return "?"


def _pos(raw: Raw) -> int:
    while type(raw) is RBin:
        raw = raw.lhs
    return raw.pos


__all__ = ["Elaborator", "bounded_shape", "to_ty", "ParseError", "VarDecl"]

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
    CPLX,
    INT,
    NAT,
    NNREAL,
    PNAT,
    PROP,
    RAT,
    REAL,
    Abs,
    And,
    App,
    BaseTy,
    BigOp,
    BinOp,
    Bool_,
    Cast,
    Coll,
    Decl,
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
    Term,
    Ty,
    Var,
    VarDecl,
    zmod,
)
from qed.env.sandbox.lexer import ParseError, error_at
from qed.env.sandbox.numerals import parse_int
from qed.env.sandbox.syntax_ext import (
    ALIASES,
    FUNS,
    ORDERED,
    PREDS,
    TRUNCATED,
    TSUB,
    TYVAR_CLASSES,
    ZMOD_CAST,
    ZMOD_NUMERAL,
    coercible,
    is_zmod,
    namespace_of,
    rank,
)
from qed.env.sandbox.syntax_names import KNOWN_GLOBALS
from qed.env.sandbox.syntax_raw import (
    RAbs,
    RApp,
    RAscr,
    Raw,
    RBig,
    RBin,
    RBinder,
    RBrack,
    RColl,
    RLam,
    RModEq,
    RName,
    RNum,
    RPost,
    RPre,
    RSetOf,
    RTy,
)

_BASE = {"ℕ": NAT, "ℤ": INT, "ℚ": RAT, "ℝ": REAL, "ℂ": CPLX, "NNReal": NNREAL, "ℕ+": PNAT, "Prop": PROP}
_CONSTS = {"Real.pi": REAL, "Complex.I": CPLX}
_SET_OPS = {"∪": "Union", "∩": "Inter", "\\": "SDiff"}
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

    def __init__(self, src: str, decls: tuple[Decl, ...] | dict[str, Decl], auto_bound: bool = False):
        self.src = src
        # unknown atomic names -> their type (``auto_bound=True``: a theorem's header)
        self.auto_bound: dict[str, _MV] | None = {} if auto_bound else None
        self.seen_binders: set[str] = set()
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
        self.pows: list[tuple[Ty | _MV, Ty | _MV, int]] = []
        self.tyvar_checks: list[tuple[str, Ty | _MV, int, str]] = []

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
            self.val[a.id] = b  # type: ignore[assignment]
        elif type(b) is _MV:
            self.val[b.id] = a  # type: ignore[assignment]
        elif type(a) is SetTy and type(b) is SetTy and a.kind == b.kind:
            self.unify(a.elem, b.elem, pos)
        elif type(a) is ProdTy and type(b) is ProdTy:
            self.unify(a.fst, b.fst, pos)
            self.unify(a.snd, b.snd, pos)
        elif type(a) is FunTy and type(b) is FunTy and len(a.dom) == len(b.dom):
            for x, y in zip(a.dom, b.dom, strict=True):
                self.unify(x, y, pos)
            self.unify(a.cod, b.cod, pos)
        else:
            raise self.err(pos, f"type mismatch: {_show(self.deep(a))} and {_show(self.deep(b))}")

    def deep(self, ty: Ty | _MV) -> Ty | _MV:
        """``ty`` with metavariables inside sets and functions resolved where known."""
        t = self.resolve(ty)
        if type(t) is SetTy:
            return SetTy(t.kind, self.deep(t.elem))  # type: ignore[arg-type]
        if type(t) is ProdTy:
            return ProdTy(self.deep(t.fst), self.deep(t.snd))  # type: ignore[arg-type]
        if type(t) is FunTy:
            return FunTy(tuple(self.deep(d) for d in t.dom), self.deep(t.cod))  # type: ignore[arg-type, misc]
        return t

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
            if op in ("∈", "∉"):
                mem = self.mem(raw.lhs, raw.rhs, raw.pos)
                return Not(mem) if op == "∉" else mem
            if op in ("⊆", "⊂"):
                a = self.structural_term(raw.lhs, None)
                b = self.structural_term(raw.rhs, a.ty)
                if type(self.resolve(a.ty)) is not SetTy:
                    raise self.err(raw.pos, f"'{op}' between non-sets", "sets")
                return Pred(op, (a, b))
        elif t is RModEq:
            return self.modeq(raw)
        elif t is RPre and raw.op == "¬":
            return Not(self.prop(raw.arg))
        elif t is RName:
            if raw.name in ("True", "False"):
                return Bool_(raw.name == "True")
            if "." in raw.name:
                pred = self.pred(RApp(raw.name, (), raw.pos))
                if pred is not None:
                    return pred
            self.lookup(raw.name, raw.pos)  # unknown identifiers are reported as such
            raise self.err(raw.pos, f"type mismatch: '{raw.name}' is not a proposition")
        elif t is RBinder:
            return self.binder(raw)
        elif t is RApp:
            pred = self.pred(raw)
            if pred is not None:
                return pred
            self.global_or_none(raw.fn, raw.pos)
            fn = raw.fn
            if not self.is_local(fn) and (fn[:1].isupper() or fn.startswith(".")):
                raise self.err(raw.pos, f"unsupported predicate '{fn}'", f"predicate {fn}")
        raise self.err(_pos(raw), "type mismatch: expected a proposition, found a term")

    def rel(self, op: str, lhs: Raw, rhs: Raw, pos: int) -> Rel:
        if self._structural(lhs) or self._structural(rhs):
            # sets, lists and functions: both sides of one type, no coercions
            first, second = (rhs, lhs) if type(lhs) in (RLam, RSetOf, RColl) else (lhs, rhs)
            a = self.structural_term(first, None)
            b = self.structural_term(second, a.ty)
            if op not in ("=", "≠"):
                raise self.err(pos, f"unsupported '{op}' between sets or functions", "sets")
            return Rel(op, a, b) if first is lhs else Rel(op, b, a)
        leaves: list[_Leaf] = []
        lt = self.tree(lhs, leaves)
        rt = self.tree(rhs, leaves)
        ty = self.analyze(leaves, None, pos)
        if op not in ("=", "≠"):
            self.checks.append(("order", ty, pos))
        return Rel(op, self.build(lt, ty), self.build(rt, ty))

    def _structural(self, raw: Raw) -> bool:
        if type(raw) in (RLam, RSetOf, RColl):
            return True
        if type(raw) is RName and not any(n == raw.name for n, _ in self.scope):
            decl = self.names.get(raw.name)
            return isinstance(decl, VarDecl) and isinstance(decl.ty, FunTy)
        return False

    def structural_term(self, raw: Raw, expected: Ty | _MV | None) -> Term:
        if type(raw) is RName:
            v = self.lookup(raw.name, raw.pos, allow_fun=True)
            if expected is not None:
                self.unify(v.ty, expected, raw.pos)
            return v
        if type(raw) in (RLam, RSetOf, RColl):
            t = self.ext_leaf(raw, expected)
            if expected is not None:
                self.unify(t.ty, expected, raw.pos)
            return t
        return self.elab_tree(raw, expected)

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

    def mem(self, elem: Raw, coll: Raw, pos: int) -> Mem:
        c = self.elab_tree(coll, None)
        cty = self.resolve(c.ty)
        if type(cty) is not SetTy:
            raise self.err(
                _pos(coll), f"failed to synthesize Membership: {_show(self.deep(cty))} is not a set"
            )
        e = self.term(elem, cty.elem)  # type: ignore[arg-type]
        return Mem(e, c)

    def modeq(self, raw: RModEq) -> ModEq:
        ty = NAT if raw.kind == "MOD" else INT
        return ModEq(raw.kind, self.term(raw.lhs, ty), self.term(raw.rhs, ty), self.term(raw.modulus, ty))

    def pred(self, raw: RApp) -> Prop | None:
        """A predicate application (``Nat.Prime p``, ``p.Prime``, ``Even n``, ``IsLeast S x``)."""
        name, args = raw.fn, list(raw.args)
        if self.is_local(name):
            fty = self.resolve(self.lookup(name, raw.pos, allow_fun=True).ty)
            if type(fty) is not FunTy or fty.cod != PROP:
                return None
            if len(args) != len(fty.dom):
                raise self.err(raw.pos, f"'{name}' expects {len(fty.dom)} argument(s), got {len(args)}")
            return Pred(name, tuple(self.term(a, d) for a, d in zip(args, fty.dom, strict=True)))
        if name.startswith("."):
            obj = self.elab_tree(args[0], None)
            ns = namespace_of(self.resolve(obj.ty))
            full = f"{ns}.{name[1:]}"
            if ns is None or full not in PREDS:
                return None
            return self.pred_app(full, [obj, *args[1:]], raw.pos)
        head, _, field = name.rpartition(".")
        if head and self.is_local(head.split(".")[0]) and "." not in head:
            obj = self.lookup(head, raw.pos)
            full = f"{namespace_of(self.resolve(obj.ty))}.{field}"
            if full not in PREDS:
                return None
            return self.pred_app(full, [obj, *args], raw.pos)
        name = ALIASES.get(name, name)
        if name not in PREDS:
            return None
        return self.pred_app(name, args, raw.pos)

    def pred_app(self, name: str, args: list, pos: int) -> Pred:
        sig = PREDS[name]
        if len(args) != len(sig):
            raise self.err(pos, f"'{name}' expects {len(sig)} argument(s), got {len(args)}")
        tyvars: dict[str, _MV] = {}
        out = tuple(
            self.arg_against(a, self.spec_ty(spec, tyvars, pos), pos)
            for a, spec in zip(args, sig, strict=True)
        )
        for v, mv in tyvars.items():
            if v == "A" and name in ("Even", "Odd", "Prime", "IsSquare"):
                self.tyvar_checks.append(("numeric", mv, pos, name))
        return Pred(name, out)

    def binder(self, raw: RBinder) -> Prop:
        if raw.ty is not None:
            ty: Ty | _MV = to_ty(raw.ty)
        else:
            ty = self.fresh()
            self.binder_mvs.append((ty, raw.name, raw.pos))
        self._push((raw.name, ty))
        try:
            if raw.pred is not None:
                op, rhs = raw.pred
                if op in ("∈", "∉"):
                    cond: Prop = self.mem(RName(raw.name, raw.pos), rhs, raw.pos)
                    cond = Not(cond) if op == "∉" else cond
                else:
                    cond = self.rel(op, RName(raw.name, raw.pos), rhs, raw.pos)
                body = self.prop(raw.body)
                inner: Prop = Imp(cond, body) if raw.q == "∀" else And(cond, body)
            else:
                inner = self.prop(raw.body)
        finally:
            self.scope.pop()
        if raw.q == "∃!":
            if raw.pred is not None:
                raise self.err(raw.pos, "unsupported binder predicate in '∃!'", "unique existence ∃!")
            return ExistsUnique(raw.name, ty, inner)  # type: ignore[arg-type]
        if raw.q == "∀":
            return Forall(raw.name, ty, inner, raw.pred is not None)  # type: ignore[arg-type]
        return Exists(raw.name, ty, inner, raw.pred is not None)  # type: ignore[arg-type]

    # ---- terms ----------------------------------------------------------------------------

    def term(self, raw: Raw, expected: Ty | None) -> Term:
        return self.ensure(self.elab_tree(raw, expected), expected, _pos(raw))

    def elab_tree(self, raw: Raw, expected: Ty | _MV | None) -> Term:
        if expected is not None and type(raw) in (RBig, RLam, RColl, RSetOf):
            return self.ext_leaf(raw, expected)
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
        if type(a) is type(e) and type(a) in (SetTy, FunTy, ProdTy):
            self.unify(a, e, pos)
            return t
        if rank(a) is not None and rank(e) is not None and coercible(a, e):
            return _coe(t, e)
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
        if isinstance(top, (SetTy, ProdTy)) or any(
            type(resolve(lf.term.ty)) in (SetTy, ProdTy) for lf in leaves
        ):
            m = top if top is not None else self.fresh()
            for leaf in leaves:
                self.unify(leaf.term.ty, m, leaf.pos)
            return m
        best = top if isinstance(top, BaseTy) else None
        for leaf in leaves:
            ty = resolve(leaf.term.ty)
            if type(ty) is _MV:
                continue
            if isinstance(ty, FunTy):
                raise self.err(leaf.pos, f"type mismatch: function of type {_show(ty)} used as a number")
            if rank(ty) is None:
                raise self.err(leaf.pos, f"type mismatch: {_show(ty)} used as a number")
            if best is None or rank(ty) > rank(best):  # type: ignore[operator]
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
                if not coercible(ty, best):
                    raise self.err(
                        leaf.pos, f"type mismatch: cannot coerce {_show(ty)} to {_show(best)}", "coercions"
                    )
                leaf.term = _coe(leaf.term, best)
        return best

    def build(self, tree: tuple, ty: Ty | _MV) -> Term:
        kind = tree[0]
        if kind == "leaf":
            return tree[1].term
        if kind == "bin":
            _, op, lt, rt, pos = tree
            if op == "%":
                self.checks.append(("mod", ty, pos))
            if op == "/":
                self.checks.append(("div", ty, pos))
            return BinOp(op, self.build(lt, ty), self.build(rt, ty), ty)  # type: ignore[arg-type]
        if kind == "neg":
            self.checks.append(("neg", ty, tree[2]))
            return Neg(self.build(tree[1], ty), ty)  # type: ignore[arg-type]
        _, base, exp, pos = tree
        self.pows.append((ty, exp.ty, pos))
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
        if t in (RBig, RLam, RSetOf, RColl, RPost, RBrack):
            return self.ext_leaf(raw, None)
        if t is RBin and raw.op in _SET_OPS:
            a = self.structural_term(raw.lhs, None)
            b = self.structural_term(raw.rhs, a.ty)
            if type(self.resolve(a.ty)) is not SetTy:
                raise self.err(raw.pos, f"'{raw.op}' between non-sets", "sets")
            return App(_SET_OPS[raw.op], (a, b), a.ty)
        if t is RBin and raw.op in ("⁻¹'", "''"):
            f = self.structural_term(raw.lhs, None)
            fty = self.resolve(f.ty)
            if type(fty) is not FunTy or len(fty.dom) != 1:
                raise self.err(raw.pos, f"'{raw.op}' needs a function on its left", "set image/preimage")
            pre = raw.op == "⁻¹'"
            s = self.structural_term(raw.rhs, SetTy("Set", fty.cod if pre else fty.dom[0]))
            res = SetTy("Set", fty.dom[0] if pre else fty.cod)
            return App("Set.preimage" if pre else "Set.image", (f, s), res)
        if t is RBin and raw.op == "/.":
            return self.global_call("Rat.divInt", [raw.lhs, raw.rhs], raw.pos)
        raise self.err(_pos(raw), "type mismatch: expected a term, found a proposition")

    def numeral(self, raw: RNum) -> Num:
        text = raw.text
        mv = self.fresh()
        self.num_mvs.append(mv.id)
        if text.isdigit():
            return Num(Fraction(parse_int(text)), mv)  # type: ignore[arg-type]
        self.checks.append(("decimal", mv, raw.pos))
        return Num(Fraction(text), mv, text)  # type: ignore[arg-type]

    def is_local(self, name: str) -> bool:
        return name in self.names or any(n == name for n, _ in self.scope)

    def lookup(self, name: str, pos: int, allow_fun: bool = False) -> Term:
        for n, ty in reversed(self.scope):
            if n == name:
                return Var(name, ty)  # type: ignore[arg-type]
        decl = self.names.get(name)
        if decl is not None and allow_fun and isinstance(decl, VarDecl):
            return Var(name, decl.ty)
        if decl is None:
            ext = self.ext_name(name, pos)
            if ext is not None:
                return ext
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
        elif self.auto_bound is not None and name in self.seen_binders:
            # Lean's auto-bound implicit (``autoImplicit``, on in the miniF2F environment): an
            # unknown atomic name in a theorem's header becomes a variable at the front of the
            # context. The sandbox does so only for a name that a binder of the statement also
            # uses (``(∑ k in s, a + k)``: the body stops before ``+``, so the last ``k`` is
            # free); any other unknown name stays an error, as in Mathlib-style projects.
            mv = self.auto_bound.get(name)
            if mv is None:
                mv = self.auto_bound[name] = self.fresh()
                self.binder_mvs.append((mv, name, pos))
            return Var(name, mv)  # type: ignore[arg-type]
        raise self.err(pos, f"unknown identifier '{name}'")

    def global_or_none(self, name: str, pos: int) -> None:
        if ALIASES.get(name, name) in FUNS or ALIASES.get(name, name) in PREDS:
            return
        cat = KNOWN_GLOBALS.get(name)
        if cat is None and (name[:1].isupper() and "." in name):
            cat = f"function {name}"
        if cat is not None:
            raise self.err(pos, f"unsupported constant '{name}' ({cat})", cat)

    # ---- competition mathematics: globals, field notation, big operators, sets --------------

    def ext_name(self, name: str, pos: int) -> Term | None:
        """A global constant (``π``, ``Complex.I``) or field notation ``x.f`` without arguments."""
        full = ALIASES.get(name, name)
        if full in _CONSTS:
            return App(full, (), _CONSTS[full])
        head, _, field = name.partition(".")
        if field and self.is_local(head):
            return self.field_call(self.lookup(head, pos), field, [], pos)
        return None

    def field_call(self, obj: Term, field: str, rest: list, pos: int) -> Term:
        """``obj.field rest…``: the function ``NS.field`` where ``NS`` is the namespace of ``obj``'s type."""
        ety = self.resolve(obj.ty)
        if type(ety) is EquivTy and field in ("1", "2", "toFun", "invFun"):
            forward = field in ("1", "toFun")
            dom, cod = (ety.dom, ety.cod) if forward else (ety.cod, ety.dom)
            fn = "Equiv.toFun" if forward else "Equiv.invFun"
            if len(rest) != 1:
                raise self.err(
                    pos, f"'{fn}' applied to {len(rest)} arguments (partial application is not supported)"
                )
            return App(fn, (obj, self.arg_against(rest[0], dom, pos)), cod)
        fields = field.split(".")
        for j, f in enumerate(fields):
            ns = namespace_of(self.resolve(obj.ty))
            full = f"{ns}.{f}"
            if ns is None or full not in FUNS:
                if full in PREDS:
                    raise self.err(pos, f"type mismatch: '{full}' is a proposition, not a number")
                raise self.err(
                    pos,
                    f"unsupported field notation '.{f}' on {_show(self.deep(obj.ty))}",
                    f"field notation .{f}",
                )
            obj = self.global_call(full, [obj, *(rest if j == len(fields) - 1 else [])], pos)
        return obj

    def spec_ty(self, spec: object, tyvars: dict[str, _MV], pos: int) -> Ty | _MV:
        if isinstance(spec, str):
            mv = tyvars.get(spec)
            if mv is None:
                mv = tyvars[spec] = self.fresh()
                if spec in TYVAR_CLASSES:
                    self.tyvar_checks.append(("class", mv, pos, spec))
            return mv
        if isinstance(spec, tuple):
            if spec[0] == "fun":
                return FunTy((self.spec_ty(spec[1], tyvars, pos),), self.spec_ty(spec[2], tyvars, pos))  # type: ignore[arg-type]
            return SetTy(spec[0], self.spec_ty(spec[1], tyvars, pos))  # type: ignore[arg-type]
        return spec  # type: ignore[return-value]

    def arg_against(self, arg: object, ety: Ty | _MV, pos: int) -> Term:
        if not isinstance(arg, _RAW_TYPES):
            return self.ensure(arg, ety, pos)  # type: ignore[arg-type]
        if type(arg) is RLam:
            return self.ext_leaf(arg, ety)
        if type(arg) is RAscr and arg.ty.dom:
            ascribed = to_ty(arg.ty)
            self.unify(ascribed, ety, arg.pos)
            return self.arg_against(arg.expr, ascribed, pos)
        if type(arg) is RName and type(self.resolve(ety)) is FunTy:
            fty = self.resolve(ety)
            if arg.name == "id" and not self.is_local("id") and len(fty.dom) == 1:
                self.unify(fty.dom[0], fty.cod, arg.pos)
                return App("id", (), fty)  # type: ignore[arg-type]
            v = self.lookup(arg.name, arg.pos, allow_fun=True)
            self.unify(v.ty, ety, arg.pos)
            return v
        return self.term(arg, ety)  # type: ignore[arg-type]

    def global_call(self, name: str, args: list, pos: int) -> Term:
        sig, res = FUNS[name]
        if len(args) != len(sig):
            raise self.err(pos, f"function '{name}' expects {len(sig)} argument(s), got {len(args)}")
        tyvars: dict[str, _MV] = {}
        out = tuple(
            self.arg_against(a, self.spec_ty(sp, tyvars, pos), pos) for a, sp in zip(args, sig, strict=True)
        )
        return App(name, out, self.spec_ty(res, tyvars, pos))  # type: ignore[arg-type]

    def ext_leaf(self, raw: Raw, expected: Ty | _MV | None) -> Term:
        t = type(raw)
        exp = self.resolve(expected) if expected is not None else None
        if t is RBig:
            dom = self.elab_tree(raw.dom, None)
            dty = self.resolve(dom.ty)
            if type(dty) is not SetTy or dty.kind != "Finset":
                raise self.err(
                    _pos(raw.dom), f"'{raw.op}' ranges over a Finset, found {_show(self.deep(dty))}"
                )
            vty = dty.elem
            if raw.ty is not None:
                self.unify(vty, to_ty(raw.ty), raw.pos)
            self._push((raw.name, vty))
            try:
                body = self.elab_tree(raw.body, exp if isinstance(exp, BaseTy) else None)
            finally:
                self.scope.pop()
            self.checks.append(("bigop", body.ty, raw.pos))
            return BigOp(raw.op, raw.name, vty, dom, body, body.ty)  # type: ignore[arg-type]
        if t is RLam:
            if len(raw.binders) != 1:
                raise self.err(raw.pos, "unsupported 'fun' with several binders", "lambda (fun)")
            name, bty = raw.binders[0]
            fty = exp if type(exp) is FunTy and len(exp.dom) == 1 else None
            vty: Ty | _MV = to_ty(bty) if bty is not None else (fty.dom[0] if fty else self.fresh())
            if fty is not None and bty is not None:
                self.unify(vty, fty.dom[0], raw.pos)
            cod = self.resolve(fty.cod) if fty is not None else None
            self._push((name, vty))
            try:
                if cod == PROP or (cod is None and _is_prop_raw(raw.body)):
                    body: object = self.prop(raw.body)
                    cod = PROP
                else:
                    body = self.elab_tree(raw.body, cod if isinstance(cod, BaseTy) else None)
                    cod = body.ty  # type: ignore[attr-defined]
            finally:
                self.scope.pop()
            lam_ty = FunTy((vty,), cod)  # type: ignore[arg-type]
            if fty is not None:
                self.unify(lam_ty, fty, raw.pos)
            return Lam(name, vty, body, lam_ty)  # type: ignore[arg-type]
        if t is RSetOf:
            if raw.ty is not None:
                vty = to_ty(raw.ty)
            elif type(exp) is SetTy:
                vty = exp.elem
            else:
                vty = self.fresh()
                self.binder_mvs.append((vty, raw.name, raw.pos))
            self._push((raw.name, vty))
            try:
                body = self.prop(raw.body)
            finally:
                self.scope.pop()
            return SetOf(raw.name, vty, body, SetTy("Set", vty))  # type: ignore[arg-type]
        if t is RColl and raw.kind == "(":
            return self.tuple_term(list(raw.elems), exp)
        if t is RColl:
            if raw.kind == "[":
                kind = "List"
            else:
                kind = exp.kind if type(exp) is SetTy and exp.kind != "List" else "Set"
            ety: Ty | _MV = exp.elem if type(exp) is SetTy else self.fresh()
            elems = tuple(self.term(e, ety) for e in raw.elems)  # type: ignore[arg-type]
            return Coll(elems, SetTy(kind, ety))  # type: ignore[arg-type]
        if t is RPost:
            if raw.op == "!":
                return App("Nat.factorial", (self.term(raw.arg, NAT),), NAT)
            inner = self.elab_tree(raw.arg, None)
            self.checks.append(("inv", inner.ty, raw.pos))
            return App("Inv.inv", (inner,), inner.ty)
        if t is RBrack:
            fn = {"⌊⌋": "Int.floor", "⌈⌉": "Int.ceil", "⌊⌋₊": "Nat.floor", "⌈⌉₊": "Nat.ceil"}.get(raw.kind)
            if fn is not None:
                return self.global_call(fn, [raw.arg], raw.pos)
            inner = self.elab_tree(raw.arg, None)
            self.checks.append(("norm", inner.ty, raw.pos))
            return App("norm", (inner,), REAL)
        raise self.err(_pos(raw), "type mismatch: expected a term, found a proposition")

    def tuple_term(self, items: list, expected: Ty | _MV | None) -> Term:
        """``(a, b, c)`` = ``(a, (b, c))``: ``App("Prod.mk", …)`` of type ``ProdTy``."""
        exp = self.resolve(expected) if expected is not None else None
        fst_ty = exp.fst if type(exp) is ProdTy else None
        snd_ty = exp.snd if type(exp) is ProdTy else None
        a = self.term(items[0], fst_ty) if fst_ty is not None else self.elab_tree(items[0], None)
        if len(items) == 2:
            b = self.term(items[1], snd_ty) if snd_ty is not None else self.elab_tree(items[1], None)
        else:
            b = self.tuple_term(items[1:], snd_ty)
        return App("Prod.mk", (a, b), ProdTy(a.ty, b.ty))  # type: ignore[arg-type]

    def app(self, raw: RApp) -> Term:
        name, args = raw.fn, raw.args
        if name.startswith("."):
            obj = self.structural_term(args[0], None)
            return self.field_call(obj, name[1:], list(args[1:]), raw.pos)
        if not self.is_local(name):
            head, _, field = name.partition(".")
            if field and self.is_local(head):
                return self.field_call(self.lookup(head, raw.pos), field, list(args), raw.pos)
            full = ALIASES.get(name, name)
            if full == SQRT and len(args) == 1:
                name = SQRT
            elif full in FUNS:
                return self.global_call(full, list(args), raw.pos)
            elif full in PREDS:
                raise self.err(raw.pos, f"type mismatch: '{full}' is a proposition, not a number")
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
        if isinstance(local, EquivTy) and len(args) == 1:
            # ``σ x`` is the coercion ``⇑σ x`` (Lean prints ``σ x``)
            return App("Equiv.coe", (Var(name, local), self.term(args[0], local.dom)), local.cod)
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

    def _push(self, entry: tuple[str, Ty | _MV]) -> None:
        self.scope.append(entry)
        self.seen_binders.add(entry[0])

    def auto_bound_decls(self) -> list[VarDecl]:
        """The auto-bound variables met (after ``finish_*``), in order of first use."""
        return [VarDecl(n, self._zty(mv)) for n, mv in (self.auto_bound or {}).items()]

    def finish_term(self, t: Term) -> Term:
        self._settle()
        return self._zterm(t)

    def _settle(self) -> None:
        resolve = self.resolve
        for src, dst, pos in self.coes:
            if type(resolve(src)) is _MV and type(resolve(dst)) is not _MV:
                self.unify(src, dst, pos)
        for base, exp, _pos_ in self.pows:
            e = resolve(exp)
            if e in (REAL, CPLX) and type(resolve(base)) is _MV:
                self.unify(base, e, _pos_)
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
            elif not coercible(s, d):
                raise self.err(pos, f"type mismatch: cannot coerce {_show(s)} to {_show(d)}", "coercions")
        for mv, name, pos in self.binder_mvs:
            if type(resolve(mv)) is _MV:
                raise self.err(pos, f"failed to infer the type of binder '{name}'")
        for base, exp, pos in self.pows:
            t, b = resolve(exp), resolve(base)
            if t == NAT or _power_fn(b, t) is not None:
                continue
            kind = "real powers (rpow)" if t in (RAT, REAL) else "integer powers (zpow)"
            raise self.err(
                pos,
                f"unsupported exponent of type {_show(t)} on {_show(b)} ({kind})",
                "real/integer exponents",
            )
        for kind, ty, pos in self.checks:
            t = resolve(ty)
            if kind == "neg" and t in (NAT, PNAT, NNREAL):
                raise self.err(pos, f"failed to synthesize Neg {_show(t)} (negation on {_show(t)})")
            if kind == "abs" and t not in (INT, RAT, REAL):
                raise self.err(pos, f"failed to synthesize Neg/Lattice {_show(t)} (|·| on {_show(t)})")
            if kind == "mod" and t not in (NAT, INT):
                raise self.err(pos, f"failed to synthesize HMod {_show(t)} {_show(t)} {_show(t)}")
            if kind == "div" and (t == PNAT or is_zmod(t)):
                raise self.err(pos, f"unsupported division on {_show(t)}", f"division on {_show(t)}")
            if kind == "decimal" and t not in (RAT, REAL, NNREAL, CPLX):
                raise self.err(pos, f"failed to synthesize OfScientific {_show(t)}")
            if kind == "dvd" and t not in (NAT, INT):
                raise self.err(
                    pos, f"'∣' on {_show(t)} is not supported (only ℕ and ℤ)", "divisibility on ℝ/ℚ"
                )
            if kind == "order" and rank(t) is not None and t not in ORDERED:
                raise self.err(
                    pos,
                    f"failed to synthesize LT {_show(t)} (no order on {_show(t)})",
                    f"order on {_show(t)}",
                )
            if kind == "inv" and t not in (RAT, REAL, CPLX, NNREAL) and not is_zmod(t):
                raise self.err(pos, f"failed to synthesize Inv {_show(t)}", "inverse ⁻¹")
            if kind == "norm" and t not in (REAL, CPLX):
                raise self.err(pos, f"unsupported norm on {_show(t)}", "norm ‖·‖")
            if kind == "bigop" and rank(t) is None:
                raise self.err(pos, f"unsupported big operator over {_show(self.deep(t))}", "Finset.sum (∑)")
        for kind, ty, pos, what in self.tyvar_checks:
            t = resolve(ty)
            if kind == "class":
                allowed, cls = TYVAR_CLASSES[what]
                if t not in allowed:
                    raise self.err(
                        pos,
                        f"failed to synthesize {cls} {_show(self.deep(t))}",
                        f"{cls} {_show(self.deep(t))}",
                    )
            elif rank(t) is None or t == CPLX or is_zmod(t):
                raise self.err(
                    pos, f"unsupported '{what}' on {_show(self.deep(t))}", f"{what} on {_show(self.deep(t))}"
                )

    def _zty(self, ty: Ty | _MV) -> Ty:
        t = self.resolve(ty)
        if isinstance(t, _MV):
            raise self.err(0, "failed to infer a type (unresolved metavariable)")
        if type(t) is SetTy:
            return SetTy(t.kind, self._zty(t.elem))
        if type(t) is ProdTy:
            return ProdTy(self._zty(t.fst), self._zty(t.snd))
        if type(t) is FunTy:
            return FunTy(tuple(self._zty(d) for d in t.dom), self._zty(t.cod))
        return t

    def _zterm(self, t: Term) -> Term:
        k = type(t)
        if k is Var:
            return Var(t.name, self._zty(t.ty)) if type(t.ty) is _MV else t
        if k is Num:
            t = Num(t.value, self._zty(t.ty), t.lit) if type(t.ty) is _MV else t
            if is_zmod(t.ty):
                # ZMod numerals are opaque to the arithmetic (5 = 2 in ZMod 3): see ``ZMOD_NUMERAL``.
                return App(ZMOD_NUMERAL, (Num(t.value, NAT),), t.ty)
            if t.ty == PNAT and t.value == 0:
                raise self.err(0, "failed to synthesize OfNat ℕ+ 0 (ℕ+ has no zero)")
            return t
        if k is BinOp:
            ty = self._zty(t.ty)
            lhs, rhs = self._zterm(t.lhs), self._zterm(t.rhs)
            if t.op == "-" and ty in TRUNCATED:
                return App(TSUB, (lhs, rhs), ty)
            if t.op == "^" and rhs.ty != NAT:
                return App(_power_fn(ty, rhs.ty), (lhs, rhs), ty)  # type: ignore[arg-type]
            return BinOp(t.op, lhs, rhs, ty)
        if k is Lam:
            body = self._zprop(t.body) if self._zty(t.ty).cod == PROP else self._zterm(t.body)  # type: ignore[union-attr, arg-type]
            return Lam(t.var, self._zty(t.vty), body, self._zty(t.ty))
        if k is BigOp:
            return BigOp(
                t.op, t.var, self._zty(t.vty), self._zterm(t.dom), self._zterm(t.body), self._zty(t.ty)
            )
        if k is SetOf:
            return SetOf(t.var, self._zty(t.vty), self._zprop(t.body), self._zty(t.ty))  # type: ignore[arg-type]
        if k is Coll:
            return Coll(tuple(self._zterm(e) for e in t.elems), self._zty(t.ty))
        if k is Neg:
            return Neg(self._zterm(t.arg), self._zty(t.ty))
        if k is Abs:
            return Abs(self._zterm(t.arg), self._zty(t.ty))
        if k is Cast:
            arg = self._zterm(t.arg)
            ty = self._zty(t.ty)
            if arg.ty != ty and is_zmod(ty):
                return App(ZMOD_CAST, (arg,), ty)
            if arg.ty == PNAT and ty != NAT and type(t.arg) is not Cast:
                return Cast(Cast(arg, NAT), ty)
            return arg if arg.ty == ty else Cast(arg, ty)
        return App(t.fn, tuple(self._zterm(a) for a in t.args), self._zty(t.ty))

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
        if k is Mem:
            return Mem(self._zterm(p.elem), self._zterm(p.coll), p.negated)
        if k is Pred:
            return Pred(p.fn, tuple(self._zterm(a) for a in p.args))
        if k is ModEq:
            return ModEq(p.kind, self._zterm(p.lhs), self._zterm(p.rhs), self._zterm(p.modulus))
        if k is ExistsUnique:
            return ExistsUnique(p.var, self._zty(p.ty), self._zprop(p.body))  # type: ignore[arg-type]
        return p


def bounded_shape(kind: type, var: str, body: Prop) -> bool:
    """Whether Lean shows ``∀ var, var op e → P`` / ``∃ var, var op e ∧ P`` as ``∀ var op e, P``.

    Lean 4 + Mathlib (v4.9) does so for ``< ≤ > ≥`` (not ``≠``), when ``e`` does not mention
    ``var``.
    """
    inner = (
        body.lhs if (kind is Forall and type(body) is Imp) or (kind is Exists and type(body) is And) else None
    )
    if type(inner) is Mem:
        return type(inner.elem) is Var and inner.elem.name == var and not _mentions(inner.coll, var)
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
    if k is Lam:
        if t.var == var:
            return False
        return prop_mentions(t.body, var) if t.ty.cod == PROP else _mentions(t.body, var)  # type: ignore[union-attr, arg-type]
    if k is BigOp:
        return _mentions(t.dom, var) or (t.var != var and _mentions(t.body, var))
    if k is SetOf:
        return t.var != var and prop_mentions(t.body, var)  # type: ignore[arg-type]
    if k is Coll:
        return any(_mentions(e, var) for e in t.elems)
    return _mentions(t.arg, var)


def prop_mentions(p: Prop, var: str) -> bool:
    """Whether the free variable ``var`` occurs in ``p`` (binders respected)."""
    k = type(p)
    if k is Rel or k is Dvd:
        return _mentions(p.lhs, var) or _mentions(p.rhs, var)
    if k in (And, Or, Imp, Iff):
        return prop_mentions(p.lhs, var) or prop_mentions(p.rhs, var)
    if k is Not:
        return prop_mentions(p.arg, var)
    if k in (Forall, Exists, ExistsUnique):
        return p.var != var and prop_mentions(p.body, var)
    if k is Mem:
        return _mentions(p.elem, var) or _mentions(p.coll, var)
    if k is Pred:
        return any(_mentions(a, var) for a in p.args)
    if k is ModEq:
        return _mentions(p.lhs, var) or _mentions(p.rhs, var) or _mentions(p.modulus, var)
    return False


def _coe(t: Term, dst: Ty) -> Term:
    """``↑t`` to ``dst``; from ℕ+ to anything but ℕ through ℕ (``↑↑n``), as Lean does."""
    if t.ty == PNAT and dst != NAT:
        return Cast(Cast(t, NAT), dst)
    return Cast(t, dst)


def _power_fn(base: object, exp: object) -> str | None:
    """The function behind ``base ^ exp`` for a non-ℕ exponent (``Real.rpow`` …), or ``None``."""
    if exp == REAL and base == REAL:
        return "Real.rpow"
    if exp == REAL and base == NNREAL:
        return "NNReal.rpow"
    if exp == INT and base in (RAT, REAL, CPLX):
        return "zpow"
    if exp == CPLX and base == CPLX:
        return "Complex.cpow"
    return None


def _ty_name(name: str) -> Ty:
    """The type a ``syntax_raw`` type name stands for (``ℝ``, ``Set (ℝ × ℝ)``, ``ZMod 7``, …)."""
    if name in _BASE:
        return _BASE[name]
    kind, _, elem = name.partition(" ")
    if kind in ("Set", "Finset", "List"):
        return SetTy(kind, _ty_name(elem))
    if name.startswith("(") and name.endswith(")"):
        return _ty_name(name[1:-1])
    if " × " in name:
        first, _, rest = name.partition(" × ")
        return ProdTy(_ty_name(first), _ty_name(rest))
    if kind == "Equiv":
        _, a, b = name.split(" ")
        return EquivTy(_ty_name(a), _ty_name(b))
    if kind == "ZMod":
        return zmod(elem)
    raise ValueError(f"not a sandbox type name: {name!r}")


def to_ty(raw: RTy) -> Ty:
    cod = _ty_name(raw.name)
    if raw.dom:
        return FunTy(tuple(_ty_name(d) for d in raw.dom), cod)
    return cod


def _show(ty: object) -> str:
    if isinstance(ty, BaseTy):
        return ty.name
    if isinstance(ty, FunTy):
        return " → ".join([_show(d) for d in ty.dom] + [_show(ty.cod)])
    if isinstance(ty, SetTy):
        return f"{ty.kind} {_show(ty.elem)}"
    if isinstance(ty, EquivTy):
        return f"{_show(ty.dom)} ≃ {_show(ty.cod)}"
    if isinstance(ty, ProdTy):
        return f"{_show(ty.fst)} × {_show(ty.snd)}"
    return "?"


_RAW_TYPES = (
    RNum,
    RName,
    RBin,
    RPre,
    RAbs,
    RApp,
    RAscr,
    RBinder,
    RBig,
    RLam,
    RSetOf,
    RColl,
    RPost,
    RBrack,
    RModEq,
)


def _is_prop_raw(raw: Raw) -> bool:
    t = type(raw)
    if t is RBin:
        return raw.op in _RELS or raw.op in _LOGIC or raw.op in ("∣", "∈", "∉")
    if t is RPre:
        return raw.op == "¬"
    if t in (RBinder, RModEq):
        return True
    if t is RName:
        return raw.name in ("True", "False")
    if t is RApp:
        fn = raw.fn
        return ALIASES.get(fn, fn) in PREDS or fn.rsplit(".", 1)[-1] in ("Prime", "Coprime")
    return False


def _pos(raw: Raw) -> int:
    while type(raw) is RBin:
        raw = raw.lhs
    return raw.pos


__all__ = ["Elaborator", "bounded_shape", "to_ty", "ParseError", "VarDecl"]

"""Lean 4 surface syntax -> raw (unelaborated) syntax trees, with Lean's precedences.

Owns the raw node types (``R*``) and ``Parser``, a Pratt parser over ``lexer`` tokens that
follows Lean 4 + Mathlib notation levels: ``→`` 25 (right), ``↔`` 20 (non-assoc), ``∨`` 30
and ``∧`` 35 (right), relations and ``∣`` 50 (non-assoc), ``+ -`` 65, ``* / %`` 70 (left),
``^`` 75 (right), prefix ``-`` 75, ``¬`` (argument at 40), ``↑``/``√`` (argument at max),
application (leadPrec, arguments at max), ``∀``/``∃`` (body extends to the right), ``|x|``.

Constructs outside the sandbox's fragment (big operators, floor, factorial, sets,
lambdas, tuples, field notation, …) raise ``ParseError`` with a short ``category``.
Does not know types of names or what anything means: that is ``syntax_elab``'s job.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Union

from qed.env.sandbox.lexer import ParseError, Token, error_at, tokenize

MAX = 1024
LEAD = 1022  # Lean's leadPrec: application and binders
ANONYMOUS_BINDER = "a✝"  # the variable of ``T → P`` read as ``∀``


@dataclass(frozen=True, slots=True)
class RNum:
    text: str
    pos: int


@dataclass(frozen=True, slots=True)
class RName:
    name: str
    pos: int


@dataclass(frozen=True, slots=True)
class RBin:
    op: str
    lhs: Raw
    rhs: Raw
    pos: int


@dataclass(frozen=True, slots=True)
class RPre:
    op: str  # "-" | "¬" | "↑"
    arg: Raw
    pos: int


@dataclass(frozen=True, slots=True)
class RAbs:
    arg: Raw
    pos: int


@dataclass(frozen=True, slots=True)
class RApp:
    fn: str
    args: tuple[Raw, ...]
    pos: int


@dataclass(frozen=True, slots=True)
class RTy:
    """A type: ``name`` is ``ℕ ℤ ℚ ℝ``; ``dom`` non-empty for a function type ``dom → name``."""

    name: str
    pos: int
    dom: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class RAscr:
    expr: Raw
    ty: RTy
    pos: int


@dataclass(frozen=True, slots=True)
class RBinder:
    """``∀``/``∃`` over one variable; ``ty`` None = to infer; ``pred`` = ``(op, rhs)`` for ``∀ x > e``."""

    q: str
    name: str
    ty: RTy | None
    pred: tuple[str, Raw] | None
    body: Raw
    pos: int


@dataclass(frozen=True, slots=True)
class RBig:
    """``∑ name ∈ dom, body`` / ``∏`` (``∑ x in s, f`` is the same); ``ty`` the binder's type if given."""

    op: str
    name: str
    ty: RTy | None
    dom: Raw
    body: Raw
    pos: int


@dataclass(frozen=True, slots=True)
class RLam:
    """``fun x y => body`` (``λ``, ``↦``); each binder ``(name, type or None)``."""

    binders: tuple[tuple[str, RTy | None], ...]
    body: Raw
    pos: int


@dataclass(frozen=True, slots=True)
class RSetOf:
    """``{name | body}`` or ``{name : ty | body}``."""

    name: str
    ty: RTy | None
    body: Raw
    pos: int


@dataclass(frozen=True, slots=True)
class RColl:
    """``{a, b, c}`` (``kind`` ``"{"``) or ``[a, b, c]`` (``"["``)."""

    kind: str
    elems: tuple[Raw, ...]
    pos: int


@dataclass(frozen=True, slots=True)
class RPost:
    """Postfix ``n !`` (factorial) and ``x⁻¹``."""

    op: str
    arg: Raw
    pos: int


@dataclass(frozen=True, slots=True)
class RBrack:
    """``⌊x⌋ ⌈x⌉ ⌊x⌋₊ ⌈x⌉₊ ‖x‖`` (``kind`` is the opening and closing symbols)."""

    kind: str
    arg: Raw
    pos: int


@dataclass(frozen=True, slots=True)
class RModEq:
    """``a ≡ b [MOD n]`` / ``[ZMOD n]``."""

    kind: str
    lhs: Raw
    rhs: Raw
    modulus: Raw
    pos: int


Raw = Union[
    RNum, RName, RBin, RPre, RAbs, RApp, RAscr, RBinder, RBig, RLam, RSetOf, RColl, RPost, RBrack, RModEq
]

# op -> (precedence, lhs precedence, rhs precedence), as in Lean's infixl/infixr/infix.
TRAILING: dict[str, tuple[int, int, int]] = {
    "→": (25, 26, 25),
    "↔": (20, 21, 21),
    "∨": (30, 31, 30),
    "∧": (35, 36, 35),
    "=": (50, 51, 51),
    "≠": (50, 51, 51),
    "<": (50, 51, 51),
    ">": (50, 51, 51),
    "≤": (50, 51, 51),
    "≥": (50, 51, 51),
    "∣": (50, 51, 51),
    "∈": (50, 51, 51),
    "∉": (50, 51, 51),
    "⊆": (50, 51, 51),
    "⊂": (50, 51, 51),
    "∪": (65, 65, 66),
    "∩": (70, 70, 71),
    "\\": (70, 71, 71),
    "/.": (70, 70, 71),
    "+": (65, 65, 66),
    "-": (65, 65, 66),
    "*": (70, 70, 71),
    "/": (70, 70, 71),
    "%": (70, 70, 71),
    "^": (75, 76, 75),
}
BINDER_PREDS = ("<", "≤", ">", "≥", "≠")
BASE_TYPES = {"ℕ": "ℕ", "ℤ": "ℤ", "ℚ": "ℚ", "ℝ": "ℝ", "Nat": "ℕ", "Int": "ℤ", "Rat": "ℚ", "Real": "ℝ"}
# Further type atoms (printed name); ``ℝ≥0`` and ``ℕ+`` are read from their symbols.
EXTRA_TYPES = {"ℂ": "ℂ", "Complex": "ℂ", "NNReal": "NNReal", "PNat": "ℕ+", "Prop": "Prop"}
COLLECTION_TYPES = ("Set", "Finset", "List")
# Identifiers that begin a type (so a binder ``(x : T)`` declares a variable, not a hypothesis).
TYPE_HEADS = {
    "Nat",
    "Int",
    "Rat",
    "Real",
    "Complex",
    "NNReal",
    "ENNReal",
    "EReal",
    "Finset",
    "Set",
    "ZMod",
    "List",
    "Equiv",
    "Fin",
    "Polynomial",
    "Multiset",
    "Matrix",
    "Type",
    "Prop",
    "EuclideanSpace",
    "PNat",
    "Bool",
    "Sort",
    "Function",
}
TYPE_SYMS = {"ℕ", "ℤ", "ℚ", "ℝ", "ℂ"}
KEYWORDS = {
    "theorem",
    "lemma",
    "example",
    "by",
    "fun",
    "abbrev",
    "def",
    "noncomputable",
    "let",
    "have",
    "show",
    "at",
    "with",
    "from",
    "then",
    "else",
    "if",
    "match",
    "do",
    "where",
}

# Tokens outside the fragment, with the rejection category they fall under.
_UNSUPPORTED_LEADING = {
    "⟨": "anonymous constructor ⟨⟩",
    "∅": "sets",
    "∫": "integrals",
    "𝓝": "filters/limits",
    "·": "lambda (fun)",
    "#": "syntax #",
    "@": "explicit @",
}
_UNSUPPORTED_TRAILING = {
    "∘": "function composition",
    "•": "scalar action •",
    "×": "products ×",
    "'": "set image/preimage",
}


class Parser:
    """Parses one source string. ``parse_expr``/``parse_type`` are the entry points."""

    def __init__(self, src: str):
        self.src = src
        self.toks: list[Token] = tokenize(src)
        self.i = 0

    # ---- token helpers ---------------------------------------------------------------

    def peek(self) -> Token:
        return self.toks[self.i]

    def advance(self) -> Token:
        tok = self.toks[self.i]
        if tok.kind != "eof":
            self.i += 1
        return tok

    def error(self, tok: Token | int, message: str, category: str | None = None) -> ParseError:
        pos = tok if isinstance(tok, int) else tok.pos
        return error_at(self.src, pos, message, category)

    def unexpected(self, tok: Token) -> ParseError:
        if tok.kind == "eof":
            return self.error(tok, "unexpected end of input")
        return self.error(tok, f"unexpected token '{tok.text}'")

    def expect(self, text: str, opener: Token | None = None) -> Token:
        tok = self.peek()
        if tok.text == text and tok.kind in ("sym", "ident"):
            return self.advance()
        found = "end of input" if tok.kind == "eof" else f"'{tok.text}'"
        if opener is not None:
            line_col = _line_col(self.src, opener.pos)
            where = opener if tok.kind == "eof" else tok
            raise self.error(
                where,
                f"unterminated '{opener.text}': expected '{text}' to close the "
                f"'{opener.text}' opened at {line_col}, found {found}",
            )
        raise self.error(tok, f"expected '{text}', found {found}")

    def at_end(self) -> None:
        tok = self.peek()
        if tok.kind != "eof":
            raise self.unexpected(tok)

    # ---- terms and propositions --------------------------------------------------------

    def parse_expr(self, min_prec: int = 0) -> Raw:
        left, lp = self.leading(min_prec)
        if lp >= MAX:
            left = self.postfix(left, min_prec <= LEAD)
        toks = self.toks
        while True:
            tok = toks[self.i]
            if tok.kind == "sym" and tok.text == "≡" and min_prec <= 50 and lp >= 51:
                left = self.modeq(left, tok)
                lp = 50
                continue
            if tok.kind == "sym" and tok.text in ("⁻¹", "'") and self._image_op() is not None:
                # ``f ⁻¹' s`` (preimage) and ``f '' s`` (image): ``infixl:80`` in Mathlib
                if min_prec > 80 or lp < 80:
                    break
                op = self._image_op()
                self.i += 2
                right = self.parse_expr(81)
                left = RBin(op, left, right, tok.pos)  # type: ignore[arg-type]
                lp = 80
                continue
            if tok.kind != "sym":
                if tok.kind == "ident" and tok.text not in KEYWORDS and lp >= LEAD:
                    raise self.error(tok, "unsupported application of a non-identifier", "syntax")
                break
            info = TRAILING.get(tok.text)
            if info is None:
                cat = _UNSUPPORTED_TRAILING.get(tok.text)
                if cat is not None:
                    raise self.error(tok, f"unsupported notation '{tok.text}' ({cat})", cat)
                if tok.text == "." and not tok.ws:
                    raise self.error(tok, "unsupported field notation '.'", "field notation")
                break
            prec, lreq, rreq = info
            if prec < min_prec or lp < lreq:
                break
            self.i += 1
            right = self.parse_expr(rreq)
            left = RBin(tok.text, left, right, tok.pos)
            lp = prec
        return left

    def leading(self, min_prec: int) -> tuple[Raw, int]:
        tok = self.advance()
        kind, text = tok.kind, tok.text
        if kind == "num":
            return RNum(text, tok.pos), MAX
        if kind == "ident":
            if text in KEYWORDS:
                if text == "fun":
                    return self.lam(tok), LEAD
                raise self.unexpected(tok)
            if text in BASE_TYPES:
                return self.arrow(tok), 25
            if text in TYPE_HEADS and text not in ("Set", "Finset", "Complex", "Nat", "Int", "Real", "Rat"):
                raise self.error(tok, f"unexpected type '{text}' in a term", "syntax")
            if min_prec <= LEAD:
                args = self.app_args()
                if args:
                    return RApp(text, tuple(args), tok.pos), LEAD
            return RName(text, tok.pos), MAX
        if kind == "eof":
            raise self.unexpected(tok)
        if text == "(":
            if self.peek().text == ")":
                raise self.error(tok, "unsupported unit '()'", "syntax")
            inner = self.parse_expr(0)
            nxt = self.peek()
            if nxt.text == ":" and nxt.kind == "sym":
                self.advance()
                ty = self.parse_type()
                self.expect(")", tok)
                return RAscr(inner, ty, tok.pos), MAX
            if nxt.text == "," and nxt.kind == "sym":
                items = [inner]
                while self.peek().text == "," and self.peek().kind == "sym":
                    self.advance()
                    items.append(self.parse_expr(0))
                self.expect(")", tok)
                return RColl("(", tuple(items), tok.pos), MAX
            self.expect(")", tok)
            if type(inner) is RApp and min_prec <= LEAD:
                more = self.app_args()  # ``(f a) b`` is ``f a b``
                if more:
                    return RApp(inner.fn, (*inner.args, *more), inner.pos), LEAD
            return inner, MAX
        if text == "|":
            inner = self.parse_expr(0)
            self.expect("|", tok)
            return RAbs(inner, tok.pos), MAX
        if text in ("∑", "∏"):
            return self.bigop(tok), MAX
        if text == "λ":
            return self.lam(tok), LEAD
        if text == "π":
            return RName("Real.pi", tok.pos), MAX
        if text == "{":
            return self.braces(tok), MAX
        if text == "[":
            return self.list_lit(tok), MAX
        if text in ("⌊", "⌈", "‖"):
            inner = self.parse_expr(0)
            close = self.peek()
            closers = {"⌊": ("⌋", "⌋₊"), "⌈": ("⌉", "⌉₊"), "‖": ("‖",)}[text]
            if close.kind != "sym" or close.text not in closers:
                self.expect(closers[0], tok)
            self.advance()
            return RBrack(text + close.text, inner, tok.pos), MAX
        if text == "∃!":
            return self.binders(tok), LEAD
        if text == "-":
            return RPre("-", self.parse_expr(75), tok.pos), 75
        if text == "¬":
            return RPre("¬", self.parse_expr(40), tok.pos), MAX
        if text == "↑":
            return RPre("↑", self.parse_expr(MAX), tok.pos), MAX
        if text == "√":
            return RApp("Real.sqrt", (self.parse_expr(MAX),), tok.pos), MAX
        if text in ("∀", "∃"):
            return self.binders(tok), LEAD
        cat = _UNSUPPORTED_LEADING.get(text)
        if cat is not None:
            raise self.error(tok, f"unsupported notation '{text}' ({cat})", cat)
        if text in BASE_TYPES:
            return self.arrow(tok), 25
        if text in TYPE_SYMS:
            raise self.error(tok, f"unsupported type '{text}'", f"type {text}")
        raise self.unexpected(tok)

    def arrow(self, tok: Token) -> Raw:
        """``T → P`` (a non-dependent ``∀``, as Lean prints ``∀ x : T, P`` when ``x`` is unused)."""
        nxt = self.peek()
        if nxt.kind != "sym" or nxt.text != "→":
            raise self.error(tok, f"unexpected type '{tok.text}' in a term", "syntax")
        self.advance()
        body = self.parse_expr(25)
        return RBinder("∀", ANONYMOUS_BINDER, RTy(BASE_TYPES[tok.text], tok.pos), None, body, tok.pos)

    def app_args(self) -> list[Raw]:
        args: list[Raw] = []
        toks = self.toks
        while True:
            tok = toks[self.i]
            k, t = tok.kind, tok.text
            if k == "num" or (k == "ident" and t not in KEYWORDS and t not in TYPE_HEADS):
                pass
            elif k == "sym" and (
                t in ("(", "↑", "√", "π", "⌊", "⌈", "⟨", "{", "∅")
                or (t in ("|", "‖") and tok.ws)
                or (t == "[" and toks[self.i + 1].text not in ("MOD", "ZMOD"))
            ):
                pass
            elif k == "sym" and t in TYPE_SYMS:
                raise self.error(tok, f"unsupported explicit type argument '{t}'", "explicit type arguments")
            else:
                return args
            arg, lp = self.leading(MAX)
            if lp >= MAX:
                arg = self.postfix(arg, False)
            args.append(arg)

    def binders(self, qtok: Token) -> Raw:
        q = qtok.text
        groups: list[tuple[list[tuple[str, int]], RTy | None, Raw | None]] = []
        pred: tuple[str, Raw] | None = None
        if self.peek().text in ("(", "{", "[", "⦃") and self.peek().kind == "sym":
            while self.peek().text in ("(", "{", "[") and self.peek().kind == "sym":
                opener = self.advance()
                close = {"(": ")", "{": "}", "[": "]"}[opener.text]
                names = self.binder_names()
                if self.peek().text == close and close == ")":
                    self.advance()
                    groups.append((names, None, None))  # ``(y)``: type to infer
                    continue
                if self.peek().text == close:
                    raise self.error(opener, "unsupported binder without a type", "binder without type")
                self.expect(":")
                if self.starts_type():
                    groups.append((names, self.parse_type(), None))
                else:
                    groups.append((names, None, self.parse_expr(0)))
                self.expect(close, opener)
        else:
            names = self.binder_names()
            nxt = self.peek()
            if nxt.kind == "sym" and nxt.text == ":":
                self.advance()
                groups.append((names, self.parse_type(), None))
            elif nxt.kind == "sym" and nxt.text in BINDER_PREDS + ("∈", "∉"):
                if len(names) != 1:
                    raise self.error(nxt, "unsupported binder predicate over several variables", "syntax")
                self.advance()
                pred = (nxt.text, self.parse_expr(0))
                groups.append((names, None, None))
            else:
                groups.append((names, None, None))
        self.expect(",")
        body = self.parse_expr(0)
        for names, ty, hyp in reversed(groups):
            if hyp is not None:
                for _ in names:
                    body = RBin("→" if q == "∀" else "∧", hyp, body, qtok.pos)
                continue
            for name, pos in reversed(names):
                body = RBinder(q, name, ty, pred, body, pos)
                pred = None
        return body

    # ---- postfix, big operators, lambdas, sets ------------------------------------------

    def postfix(self, left: Raw, allow_args: bool) -> Raw:
        """``x !``, ``x⁻¹`` and field notation ``e.f args`` after an atom (tighter than application)."""
        toks = self.toks
        while True:
            tok = toks[self.i]
            if tok.kind != "sym":
                return left
            if tok.text == "!":
                self.i += 1
                left = RPost("!", left, tok.pos)
            elif tok.text == "⁻¹":
                if toks[self.i + 1].text == "'" and not toks[self.i + 1].ws:
                    return left  # ``f ⁻¹' s``: the preimage, a binary operator
                self.i += 1
                left = RPost("⁻¹", left, tok.pos)
            elif (
                tok.text == "."
                and not tok.ws
                and toks[self.i + 1].kind == "num"
                and toks[self.i + 1].text in ("1", "2")
                and not toks[self.i + 1].ws
            ):
                proj = toks[self.i + 1]
                self.i += 2
                args = self.app_args() if allow_args else []
                left = RApp("." + proj.text, (left, *args), proj.pos)
                if args:
                    return left
            elif (
                tok.text == "."
                and not tok.ws
                and toks[self.i + 1].kind == "ident"
                and not toks[self.i + 1].ws
            ):
                field = toks[self.i + 1]
                self.i += 2
                parts = field.text.split(".")
                took = False
                for j, part in enumerate(parts):
                    args = self.app_args() if (j == len(parts) - 1 and allow_args) else []
                    took = bool(args)
                    left = RApp("." + part, (left, *args), field.pos)
                if took:
                    return left
            else:
                return left

    def _image_op(self) -> str | None:
        tok, nxt = self.toks[self.i], self.toks[min(self.i + 1, len(self.toks) - 1)]
        if nxt.kind == "sym" and nxt.text == "'" and not nxt.ws:
            if tok.text == "⁻¹":
                return "⁻¹'"
            if tok.text == "'":
                return "''"
        return None

    def modeq(self, left: Raw, tok: Token) -> Raw:
        self.advance()
        rhs = self.parse_expr(51)
        opener = self.expect("[")
        kind = self.advance()
        if kind.text not in ("MOD", "ZMOD"):
            raise self.error(kind, "expected 'MOD' or 'ZMOD' in a congruence", "modular congruence ≡ [MOD]")
        modulus = self.parse_expr(0)
        self.expect("]", opener)
        return RModEq(kind.text, left, rhs, modulus, tok.pos)

    def bigop(self, tok: Token) -> Raw:
        paren = self.peek().text == "("
        if paren:
            opener = self.advance()
        name_tok = self.advance()
        if name_tok.kind != "ident" or name_tok.text in KEYWORDS or "." in name_tok.text:
            raise self.error(name_tok, "expected a bound variable after the big operator")
        ty = None
        if self.peek().text == ":":
            self.advance()
            ty = self.parse_type()
        if paren:
            self.expect(")", opener)
        nxt = self.peek()
        if nxt.text not in ("in", "∈"):
            what = "Finset.sum (∑)" if tok.text == "∑" else "Finset.prod (∏)"
            raise self.error(
                nxt, f"unsupported '{tok.text}' over a whole type (only '∈ s')", f"{what} over a type"
            )
        self.advance()
        dom = self.parse_expr(0)
        self.expect(",")
        body = self.parse_expr(67)
        return RBig(tok.text, name_tok.text, ty, dom, body, tok.pos)

    def lam(self, tok: Token) -> Raw:
        binders: list[tuple[str, RTy | None]] = []
        while True:
            nxt = self.peek()
            if nxt.text == "(" and nxt.kind == "sym":
                opener = self.advance()
                names = self.binder_names()
                self.expect(":")
                ty = self.parse_type()
                self.expect(")", opener)
                binders.extend((n, ty) for n, _ in names)
            elif nxt.kind == "ident" and nxt.text not in KEYWORDS and "." not in nxt.text:
                self.advance()
                binders.append((nxt.text, None))
            else:
                break
        if not binders:
            raise self.error(self.peek(), "expected a binder name after 'fun'")
        if self.peek().text == ":":
            self.advance()
            ty = self.parse_type()
            binders = [(n, ty) for n, _ in binders]
        arrow = self.peek()
        if arrow.text not in ("=>", "↦"):
            raise self.error(arrow, "expected '=>' in 'fun'", "lambda (fun)")
        self.advance()
        body = self.parse_expr(0)
        return RLam(tuple(binders), body, tok.pos)

    def braces(self, tok: Token) -> Raw:
        a, b = self.peek(), self.toks[min(self.i + 1, len(self.toks) - 1)]
        if a.kind == "ident" and a.text not in KEYWORDS and b.kind == "sym" and b.text in ("|", ":"):
            start = self.i
            self.advance()
            ty = None
            if b.text == ":":
                self.advance()
                if not self.starts_type():
                    self.i = start
                    return self.coll(tok, "}")
                ty = self.parse_type()
            if self.peek().text != "|":
                raise self.error(self.peek(), "unsupported set notation", "set-builder notation")
            self.advance()
            body = self.parse_expr(0)
            self.expect("}", tok)
            return RSetOf(a.text, ty, body, tok.pos)
        if a.kind == "sym" and a.text == "(":
            raise self.error(a, "unsupported set-builder pattern", "set-builder notation")
        return self.coll(tok, "}")

    def list_lit(self, tok: Token) -> Raw:
        return self.coll(tok, "]")

    def coll(self, tok: Token, close: str) -> Raw:
        elems: list[Raw] = []
        if self.peek().text != close:
            while True:
                elems.append(self.parse_expr(0))
                if self.peek().text == ",":
                    self.advance()
                    continue
                break
        self.expect(close, tok)
        return RColl("{" if close == "}" else "[", tuple(elems), tok.pos)

    def binder_names(self) -> list[tuple[str, int]]:
        names: list[tuple[str, int]] = []
        while True:
            tok = self.peek()
            if tok.kind == "ident" and tok.text not in KEYWORDS:
                if "." in tok.text:
                    raise self.error(tok, f"invalid binder name '{tok.text}'")
                names.append((tok.text, tok.pos))
                self.advance()
            else:
                break
        if not names:
            raise self.error(self.peek(), "expected a binder name")
        return names

    # ---- types ---------------------------------------------------------------------------

    def starts_type(self) -> bool:
        tok = self.peek()
        if tok.kind == "sym":
            return tok.text in TYPE_SYMS
        return tok.kind == "ident" and tok.text in TYPE_HEADS

    def type_atom(self, tok: Token) -> str | None:
        """The printed name of the type starting at ``tok`` (already consumed), or ``None``."""
        text = tok.text
        if tok.kind not in ("sym", "ident"):
            return None
        nxt = self.peek()
        if text in ("ℝ", "ℕ") and nxt.kind == "sym" and not nxt.ws:
            if text == "ℝ" and nxt.text == "≥":
                self.advance()
                zero = self.peek()
                if zero.text == "0" and not zero.ws:
                    self.advance()
                    return "NNReal"
                raise self.error(tok, "unsupported type 'ℝ≥'", "type ℝ≥")
            if text == "ℕ" and nxt.text == "+":
                self.advance()
                return "ℕ+"
        if text in BASE_TYPES:
            return BASE_TYPES[text]
        if text in EXTRA_TYPES:
            return EXTRA_TYPES[text]
        if text == "ZMod":
            m = self.peek()
            if m.kind == "num" and m.text.isdigit():
                self.advance()
                return f"ZMod {m.text}"
            if m.text == "(":
                start = self.i
                self.advance()
                b = self.advance()
                op = self.advance()
                e = self.advance()
                close = self.advance()
                if b.kind == "num" and op.text == "^" and e.kind == "num" and close.text == ")":
                    return f"ZMod ({b.text} ^ {e.text})"
                self.i = start
            raise self.error(tok, "unsupported type 'ZMod' with a non-literal modulus", "type ZMod")
        if text == "Equiv":
            a, b = self.type_atom(self.advance()), self.type_atom(self.advance())
            if a is None or b is None or " " in a or " " in b:
                raise self.error(tok, "unsupported type 'Equiv' of compound types", "type Equiv")
            return f"Equiv {a} {b}"
        if text in COLLECTION_TYPES:
            inner_tok = self.advance()
            if inner_tok.text == "(" and inner_tok.kind == "sym":
                product = self.product_type(inner_tok)
                self.expect(")", inner_tok)
                return f"{text} ({product})"
            inner = self.type_atom(inner_tok)
            if inner is None or inner.startswith(COLLECTION_TYPES) or inner == "Prop":
                raise self.error(tok, f"unsupported type '{text} {inner_tok.text}'", f"type {text}")
            return f"{text} {inner}"
        return None

    def product_type(self, start: Token) -> str:
        """``A × B × C`` of type atoms from the next token (``×`` is right-associative)."""
        parts = []
        while True:
            tok = self.advance()
            atom = self.type_atom(tok)
            if atom is None or " " in atom:
                raise self.error(
                    tok, f"unsupported type '{tok.text}' (in a set or product type)", f"type {tok.text}"
                )
            parts.append(atom)
            if self.peek().text != "×":
                return " × ".join(parts)
            self.advance()

    def parse_type(self) -> RTy:
        dom: list[str] = []
        while True:
            tok = self.advance()
            name = self.type_atom(tok)
            if name is None:
                if tok.kind == "eof":
                    raise self.unexpected(tok)
                if tok.text == "(":
                    raise self.error(tok, "unsupported parenthesised type", "higher-order types")
                shown = tok.text
                nxt = self.peek()
                if nxt.kind == "sym" and not nxt.ws and nxt.text in ("+", "≥"):
                    shown += nxt.text
                raise self.error(tok, f"unsupported type '{shown}'", f"type {shown}")
            nxt = self.peek()
            if nxt.kind == "sym" and nxt.text == "≃" and not dom and " " not in name:
                self.advance()
                cod = self.type_atom(self.advance())
                if cod is None or " " in cod:
                    raise self.error(nxt, "unsupported type '≃' of compound types", "type ≃")
                return RTy(f"Equiv {name} {cod}", tok.pos)
            if nxt.kind == "sym" and nxt.text == "×" and " " not in name:
                self.i -= 1
                name = self.product_type(self.peek())
                nxt = self.peek()
            if nxt.kind == "sym" and nxt.text in ("≃", "×"):
                raise self.error(nxt, f"unsupported type '{name} {nxt.text} …'", f"type {nxt.text}")
            if nxt.kind == "sym" and nxt.text == "→":
                self.advance()
                dom.append(name)
                continue
            return RTy(name, tok.pos, tuple(dom))


def _line_col(src: str, pos: int) -> str:
    line = src.count("\n", 0, pos) + 1
    col = pos - (src.rfind("\n", 0, pos) + 1) + 1
    return f"line {line}, column {col}" if "\n" in src else f"column {col}"

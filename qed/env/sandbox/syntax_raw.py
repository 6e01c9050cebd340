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


Raw = Union[RNum, RName, RBin, RPre, RAbs, RApp, RAscr, RBinder]

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
    "+": (65, 65, 66),
    "-": (65, 65, 66),
    "*": (70, 70, 71),
    "/": (70, 70, 71),
    "%": (70, 70, 71),
    "^": (75, 76, 75),
}
BINDER_PREDS = ("<", "≤", ">", "≥", "≠")
BASE_TYPES = {"ℕ": "ℕ", "ℤ": "ℤ", "ℚ": "ℚ", "ℝ": "ℝ", "Nat": "ℕ", "Int": "ℤ", "Rat": "ℚ", "Real": "ℝ"}
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
    "∑": "Finset.sum (∑)",
    "∏": "Finset.prod (∏)",
    "⌊": "Int.floor ⌊⌋",
    "⌈": "Int.ceil ⌈⌉",
    "{": "set-builder notation",
    "[": "lists",
    "λ": "lambda (fun)",
    "π": "Real.pi",
    "⟨": "anonymous constructor ⟨⟩",
    "∃!": "unique existence ∃!",
    "∅": "sets",
    "‖": "norm ‖·‖",
    "∫": "integrals",
    "𝓝": "filters/limits",
    "·": "lambda (fun)",
    "#": "syntax #",
    "@": "explicit @",
}
_UNSUPPORTED_TRAILING = {
    "∈": "set membership ∈",
    "∉": "set membership ∈",
    "⊆": "sets",
    "⊂": "sets",
    "∩": "sets",
    "∪": "sets",
    "\\": "sets",
    "≡": "modular congruence ≡ [MOD]",
    "!": "factorial !",
    "⁻¹": "inverse ⁻¹",
    "∘": "function composition",
    "•": "scalar action •",
    "/.": "Rat.divInt /.",
    "×": "products ×",
    "'": "set image/preimage",
    "⌋₊": "Nat.floor",
    "⌉₊": "Nat.ceil",
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
        toks = self.toks
        while True:
            tok = toks[self.i]
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
                    raise self.error(tok, "unsupported lambda 'fun'", "lambda (fun)")
                raise self.unexpected(tok)
            if text in BASE_TYPES:
                return self.arrow(tok), 25
            if text in TYPE_HEADS:
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
                raise self.error(nxt, "unsupported tuple '(a, b)'", "tuples")
            self.expect(")", tok)
            return inner, MAX
        if text == "|":
            inner = self.parse_expr(0)
            self.expect("|", tok)
            return RAbs(inner, tok.pos), MAX
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
                t in ("(", "↑", "√", "π", "⌊", "⌈", "⟨", "{", "[", "∅") or (t == "|" and tok.ws)
            ):
                pass
            else:
                return args
            arg, _ = self.leading(MAX)
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
            elif nxt.kind == "sym" and nxt.text in BINDER_PREDS:
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

    def parse_type(self) -> RTy:
        dom: list[str] = []
        while True:
            tok = self.advance()
            name = BASE_TYPES.get(tok.text) if tok.kind in ("sym", "ident") else None
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
            if nxt.kind == "sym" and not nxt.ws and nxt.text in ("+", "≥"):
                shown = tok.text + nxt.text
                raise self.error(tok, f"unsupported type '{shown}'", f"type {shown}")
            if nxt.kind == "sym" and nxt.text == "→":
                self.advance()
                dom.append(name)
                continue
            return RTy(name, tok.pos, tuple(dom))


def _line_col(src: str, pos: int) -> str:
    line = src.count("\n", 0, pos) + 1
    col = pos - (src.rfind("\n", 0, pos) + 1) + 1
    return f"line {line}, column {col}" if "\n" in src else f"column {col}"

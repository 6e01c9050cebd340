"""Lean 4 text -> sandbox AST: statements, propositions and terms (the public parsing API).

Owns ``parse_statement``, ``parse_prop``, ``parse_term`` and ``ParseError`` (defined in
``lexer`` and re-exported here, as ``api_contract.md`` promises). Reading is split in two:
``syntax_raw`` parses text with Lean's precedences, ``syntax_elab`` elaborates it with
Lean's typing rules in a local context. This module only wires them together and turns
statement-level errors into ``qed.core.StatementError`` with line and column.

Does not know printing, arithmetic or tactics.
"""

from __future__ import annotations

from qed.core import StatementError
from qed.env.sandbox.ast import Decl, HypDecl, Prop, SGoal, Term, Ty, VarDecl
from qed.env.sandbox.lexer import ParseError, Token
from qed.env.sandbox.syntax_elab import Elaborator, to_ty
from qed.env.sandbox.syntax_raw import KEYWORDS, Parser

__all__ = ["ParseError", "parse_prop", "parse_statement", "parse_term"]

_ANONYMOUS = "x✝"  # Lean's display name for an anonymous hypothesis ``(_ : P)``


def parse_term(src: str, context: tuple[Decl, ...], expected: Ty | None = None) -> Term:
    """Parse and elaborate the term ``src`` in ``context``, against ``expected`` if given.

    Raises ``ParseError`` (with the 1-based column) for syntax errors, unknown identifiers
    ("unknown identifier 'x'"), ill-typed terms and constructs outside the fragment.
    """
    try:
        parser = Parser(src)
        raw = parser.parse_expr(0)
        parser.at_end()
        elab = Elaborator(src, context)
        return elab.finish_term(elab.term(raw, expected))
    except RecursionError:
        raise ParseError("term nested too deeply", 1) from None


def parse_prop(src: str, context: tuple[Decl, ...]) -> Prop:
    """Parse and elaborate the proposition ``src`` in ``context``; errors as ``parse_term``."""
    try:
        parser = Parser(src)
        raw = parser.parse_expr(0)
        parser.at_end()
        elab = Elaborator(src, context)
        return elab.finish_prop(elab.prop(raw))
    except RecursionError:
        raise ParseError("proposition nested too deeply", 1) from None


def parse_statement(text: str) -> tuple[str, SGoal]:
    """``theorem NAME binders : P := by`` (or ``:= sorry``) -> ``(NAME, initial goal)``.

    Accepts ``theorem``/``lemma``/``example`` (named ``"example"``), explicit, implicit and
    instance binders (all treated as explicit), several names per binder, hypothesis
    binders (``(_ : P)`` is named ``x✝`` as Lean shows it) and multi-line statements.
    Raises ``StatementError(message, line=, column=)``; for constructs outside the
    sandbox's fragment the ``ParseError`` with its ``category`` is the error's ``__cause__``.
    """
    try:
        return _statement(text)
    except ParseError as err:
        raise StatementError(err.message, line=err.line or 1, column=err.column) from err
    except RecursionError as err:
        raise StatementError("statement nested too deeply", line=1, column=1) from err


def _statement(text: str) -> tuple[str, SGoal]:
    p = Parser(text)
    names: dict[str, Decl] = {}
    head = p.advance()
    while head.kind == "ident" and head.text in ("abbrev", "def", "noncomputable"):
        if head.text == "noncomputable":
            head = p.advance()
            continue
        decl = _answer_placeholder(p, head)
        names[decl.name] = decl
        head = p.advance()
    if head.kind != "ident" or head.text not in ("theorem", "lemma", "example"):
        raise p.error(head, "expected 'theorem', 'lemma' or 'example'")
    if head.text == "example":
        name = "example"
    else:
        tok = p.advance()
        if tok.kind != "ident" or tok.text in KEYWORDS:
            raise p.error(tok, "expected the theorem's name")
        name = tok.text
    context: list[Decl] = []
    while p.peek().kind == "sym" and p.peek().text in ("(", "{", "["):
        opener = p.advance()
        close = {"(": ")", "{": "}", "[": "]"}[opener.text]
        binder_names = _binder_names(p)
        if p.peek().text == close:
            raise p.error(opener, "unsupported binder without a type", "binder without type")
        p.expect(":")
        if p.starts_type():
            ty = to_ty(p.parse_type())
            p.expect(close, opener)
            for n, _ in binder_names:
                decl: Decl = VarDecl(n, ty)
                context.append(decl)
                names[n] = decl
        else:
            raw = p.parse_expr(0)
            p.expect(close, opener)
            elab = Elaborator(text, names, auto_bound=True)
            prop = elab.finish_prop(elab.prop(raw))
            _auto_bound(elab, context, names)
            for n, _ in binder_names:
                decl = HypDecl(_ANONYMOUS if n == "_" else n, prop)
                context.append(decl)
                names[decl.name] = decl
    colon = p.peek()
    if colon.text != ":" or colon.kind != "sym":
        raise p.error(
            colon,
            "expected ':' before the statement's proposition, found "
            + ("end of input" if colon.kind == "eof" else f"'{colon.text}'"),
        )
    p.advance()
    raw = p.parse_expr(0)
    p.expect(":=")
    by = p.peek()
    if by.text == "sorry" and by.kind == "ident":
        p.advance()  # ``:= sorry`` (PutnamBench, ProofNet): the statement to prove, as ``:= by``
        if p.peek().kind != "eof":
            raise p.error(p.peek(), "unexpected text after ':= sorry'")
    elif by.text != "by":
        raise p.error(by, "expected 'by' after ':='")
    else:
        p.advance()
        if p.peek().kind != "eof" and p.peek().text != "sorry":
            raise p.error(p.peek(), "unexpected text after ':= by'")
    elab = Elaborator(text, names, auto_bound=True)
    target = elab.finish_prop(elab.prop(raw))
    _auto_bound(elab, context, names)
    return name, SGoal(tuple(context), target)


def _auto_bound(elab: Elaborator, context: list[Decl], names: dict[str, Decl]) -> None:
    """Lean's auto-bound implicits: unknown names become variables at the front of the context."""
    found = elab.auto_bound_decls()
    context[0:0] = found
    for decl in found:
        names.setdefault(decl.name, decl)


def _answer_placeholder(p: Parser, head: Token) -> VarDecl:
    """``abbrev NAME : T := sorry`` (or ``def``) before the theorem: an opaque constant.

    The name is in scope in the theorem but not in the goal's context (Lean shows it as a
    global constant). Its value is never unfolded, so the sandbox proves a statement about
    it only if the statement holds for every value of the answer (sound; filling in the
    answer is left to whoever supplies the definition). Definitions with parameters are
    rejected.
    """
    tok = p.advance()
    if tok.kind != "ident" or tok.text in KEYWORDS:
        raise p.error(tok, f"expected a name after '{head.text}'")
    colon = p.peek()
    if colon.text != ":" or colon.kind != "sym":
        raise p.error(
            colon, f"unsupported '{head.text}' with parameters", "answer placeholder with parameters"
        )
    p.advance()
    if not p.starts_type():
        raise p.error(p.peek(), f"unsupported type of '{tok.text}'", "answer placeholder type")
    ty = to_ty(p.parse_type())
    p.expect(":=")
    while p.peek().kind != "eof" and not (
        p.peek().kind == "ident"
        and p.peek().text in ("theorem", "lemma", "example", "abbrev", "def", "noncomputable")
    ):
        p.advance()
    return VarDecl(tok.text, ty)


def _binder_names(p: Parser) -> list[tuple[str, int]]:
    names: list[tuple[str, int]] = []
    while True:
        tok: Token = p.peek()
        if tok.kind == "ident" and tok.text not in KEYWORDS and "." not in tok.text:
            names.append((tok.text, tok.pos))
            p.advance()
        else:
            break
    if not names:
        raise p.error(p.peek(), "expected a binder name")
    return names

"""Structural tactics: ``induction``, ``cases … with | …``, ``refine``/``refine'``,
``revert``, ``contrapose``/``contrapose!``, ``calc``, ``case``/``next`` goal selection,
``rename_i``, ``conv``, ``suffices``, ``iterate``.

Each follows Lean 4 / Mathlib's meaning on sandbox goals, and each is sound by
construction: the goals it leaves, once proved, prove the goal it was given.

- ``induction n with | zero => tacs | succ k ih => tacs`` (and ``induction n`` with
  inaccessible names, ``induction' n with k ih``) on a ℕ variable: hypotheses that
  mention ``n`` are generalised as Lean does (reverted, then re-introduced in each case;
  the induction hypothesis takes them as premises). The cases are ``0`` and ``k + 1``
  (Mathlib's ``Nat.rec`` induction eliminator), tagged ``zero``/``succ``. An alternative's
  tactics must close its goal.
- ``cases h with | inl h => … | inr h => …`` (also ``intro``/``mp``… alternatives).
- ``refine ⟨?_, ?_⟩``, ``refine' ⟨h, _⟩``, ``refine ⟨x, ?_, by tac⟩``, ``refine fun x => ?_``:
  anonymous constructors over ``∧``/``↔``/``∃``/``True``; each hole becomes a goal in
  order (tags ``left``/``right``, ``mp``/``mpr``, ``h``); ``?_`` only for ``refine``,
  ``_`` or ``?_`` for ``refine'``; other components are proof terms checked against
  their expected proposition. A hole in a witness position is rejected (no
  metavariables in the sandbox).
- ``revert h x``: a hypothesis becomes a premise, a variable a ``∀`` (with the
  hypotheses that mention it, as Lean reverts dependencies).
- ``contrapose h``: ``h : P ⊢ Q`` becomes ``h : ¬Q ⊢ ¬P``; without ``h`` the goal ``P → Q``
  becomes ``¬Q → ¬P``; ``contrapose!`` also runs ``push_neg`` on both.
- ``calc a = b := proof`` / ``_ < c := by tac`` …: every step is proved, the steps chain
  by transitivity (``=`` with anything; ``<`` with ``≤``/``<``; ``>`` with ``≥``/``>``), and
  the composite relation must be the goal (Lean's ``calc`` tactic does the same).
- ``conv_lhs => tacs`` / ``conv_rhs => tacs`` / ``conv => lhs; tacs``: ``rw``, ``ring_nf``,
  ``norm_num``, ``simp`` on one side of the goal's relation only.
- ``suffices h : P by tac`` / ``suffices h : P from e``: ``tac``/``e`` prove the goal from
  ``h``; the goal becomes ``P``.
- ``iterate n tac``: run ``tac`` ``n`` times on the main goal.

Knows goal shapes and the tactic machinery (``Ctx.run_block``); arithmetic only through
other tactics.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from qed.env.sandbox.ast import (
    NAT,
    And,
    BinOp,
    Exists,
    Forall,
    HypDecl,
    Iff,
    Imp,
    Not,
    Num,
    Prop,
    Rel,
    SGoal,
    Var,
    VarDecl,
)
from qed.env.sandbox.tactics.args import find_top, is_ident, split_assign, split_top, top_words
from qed.env.sandbox.tactics.core import (
    DAGGER,
    Ctx,
    TacticFailure,
    add_decls,
    find_decl,
    find_hyp,
    inaccessible,
    remove_decls,
    shadow,
)
from qed.env.sandbox.tactics.proofterm import elab, mismatch, prop_of, show_prop, strip_parens, term_of
from qed.env.sandbox.tactics.push_neg import push_neg_prop
from qed.env.sandbox.tactics.subst import (
    prop_vars,
    props_match,
    rename_vars_prop,
    subst_prop,
    term_vars,
)
from qed.env.sandbox.tactics.syntax import padded

# ``| tag names =>`` introducing an alternative (the bar of ``rcases … with h | h`` or of
# ``first | …`` is never followed by ``names =>``).
_ALT = re.compile(r"\|\s*([A-Za-z_][\w'.]*)((?:\s+[^\s|=]+)*)\s*=>")


# ---- goal selection and naming ----------------------------------------------------------


def case_index(goals: tuple[SGoal, ...], tag: str | None) -> int:
    """Index of the goal ``case tag`` selects: tag ``None``/``_`` is the first goal; else the
    first goal whose tag is ``tag`` or ends with ``.tag`` (Lean's suffix matching)."""
    if not goals:
        raise TacticFailure("no goals to be proved")
    if tag in (None, "_"):
        return 0
    for k, g in enumerate(goals):
        if g.tag == tag or (g.tag or "").endswith("." + tag):
            return k
    tags = ", ".join(g.tag for g in goals if g.tag) or "none"
    raise TacticFailure(f"Case tag '{tag}' not found.\n\nAvailable tags: {tags}")


def rename_inaccessible(goal: SGoal, names: tuple[str, ...]) -> SGoal:
    """``rename_i x y``: name the most recent inaccessible declarations, oldest first
    (``_`` keeps one inaccessible), as Lean's ``rename_i``."""
    idxs = [i for i, d in enumerate(goal.context) if DAGGER in d.name]
    if len(names) > len(idxs):
        raise TacticFailure(f"rename_i: there are only {len(idxs)} inaccessible names to rename")
    chosen = idxs[len(idxs) - len(names):]
    for i, new in zip(chosen, names, strict=True):
        if new == "_":
            continue
        if not is_ident(new):
            raise TacticFailure(f"rename_i: expected a name, got '{new}'")
        old = goal.context[i]
        goal, _ = shadow(goal, new)
        context = list(goal.context)
        if isinstance(old, VarDecl):
            mapping = {old.name: new}
            context[i] = VarDecl(new, old.ty)
            for k in range(i + 1, len(context)):
                d = context[k]
                if isinstance(d, HypDecl):
                    context[k] = HypDecl(d.name, rename_vars_prop(d.prop, mapping))
            goal = SGoal(tuple(context), rename_vars_prop(goal.target, mapping), goal.tag)
        else:
            context[i] = HypDecl(new, old.prop)
            goal = SGoal(tuple(context), goal.target, goal.tag)
    return goal


# ---- alternatives (``with | tag names => tacs``) -----------------------------------------


def alternatives(text: str) -> list[tuple[str, tuple[str, ...], str]]:
    """Split ``| tag names => tacs | …`` into (tag, names, tactic text with columns kept)."""
    starts = []
    depth = 0
    for i, c in enumerate(text):
        if c in "([{⟨":
            depth += 1
        elif c in ")]}⟩":
            depth -= 1
        elif c == "|" and depth == 0:
            m = _ALT.match(text, i)
            if m:
                starts.append(m)
    if not starts or text[: starts[0].start()].strip():
        raise TacticFailure("expected alternatives '| tag names => tactics' after 'with'")
    starts = [m for m in starts if _same_level(text, starts[0].start(), m.start())]
    out = []
    for k, m in enumerate(starts):
        end = starts[k + 1].start() if k + 1 < len(starts) else len(text)
        body = padded(text, m.end(), end)
        out.append((m.group(1), tuple(m.group(2).split()), body))
    return out


def _line_start(text: str, i: int) -> bool:
    """Whether ``i`` opens a line of ``text`` (the first line, which continues ``with``, never
    counts)."""
    nl = text.rfind("\n", 0, i)
    return nl >= 0 and not text[nl + 1 : i].strip()


def _same_level(text: str, first: int, i: int) -> bool:
    """Whether the bar at ``i`` is an alternative of the same tactic as the bar at ``first``:
    bars opening lines must share its column (deeper ones belong to a nested ``cases``);
    inline bars must share its line."""
    if _line_start(text, first):
        return _line_start(text, i) and column_of(text, i) == column_of(text, first)
    return "\n" not in text[first:i]


def column_of(text: str, i: int) -> int:
    return i - (text.rfind("\n", 0, i) + 1)


def _run_alternatives(goals: list[SGoal], alts, tags: list[str], ctx: Ctx) -> tuple[SGoal, ...]:
    """Run each alternative on the goal with its tag; each must close it (Lean's rule)."""
    by_tag = {t: g for t, g in zip(tags, goals, strict=True)}
    seen = set()
    for tag, names, body in alts:
        if tag not in by_tag:
            raise TacticFailure(f"invalid alternative name '{tag}', expected one of {', '.join(tags)}")
        if tag in seen:
            raise TacticFailure(f"duplicate alternative '{tag}'")
        seen.add(tag)
        goal = rename_inaccessible(by_tag[tag], names) if names else by_tag[tag]
        if not body.strip():
            raise TacticFailure(f"alternative '{tag}': expected tactics after '=>'")
        left = ctx.run_block(goal, body)
        if left:
            raise TacticFailure("unsolved goals\n" + "\n\n".join(ctx.show_goal(g) for g in left))
    missing = [t for t in tags if t not in seen]
    if missing:
        raise TacticFailure(f"alternative '{missing[0]}' has not been provided")
    return ()


# ---- induction ----------------------------------------------------------------------------


def induction(goal: SGoal, args: str, ctx: Ctx, prime: bool = False) -> tuple[SGoal, ...]:
    """``induction n [with | zero => … | succ k ih => …]`` / ``induction' n with k ih``."""
    k = find_top(args, "with", word=True)
    head = (args[:k] if k >= 0 else args).strip()
    rest = args[k + 4:] if k >= 0 else ""
    strong = False
    u = find_top(head, "using", word=True)
    if u >= 0:
        rule = head[u + 5:].strip()
        if rule not in _STRONG:
            raise TacticFailure(f"the sandbox does induction on ℕ with 'using {', '.join(sorted(_STRONG))}' "
                                f"only, not 'using {rule}'")
        head, strong = head[:u].strip(), True
    if find_top(head, "generalizing", word=True) >= 0:
        raise TacticFailure("the sandbox does not implement 'induction … generalizing'")
    decl = find_decl(goal, head)
    if not isinstance(decl, VarDecl):
        if decl is None and is_ident(head):
            raise TacticFailure(f"unknown identifier '{head}'")
        raise TacticFailure(f"induction: expected a local variable of type ℕ, got '{head}'")
    if decl.ty != NAT:
        raise TacticFailure(f"induction: '{head}' has type {decl.ty}; the sandbox does induction on ℕ only")
    if strong:
        names = rest.split() if prime or "|" not in rest else []
        step = _strong_goal(goal, head, names)
        if prime or not rest.strip():
            return (step,)
        alts = alternatives(rest)
        return _run_alternatives([step], alts, [alts[0][0]] if len(alts) == 1 else ["h"], ctx)
    zero, succ = _induction_goals(goal, head, rest.split() if prime else [])
    if prime or not rest.strip():
        return (zero, succ)
    return _run_alternatives([zero, succ], alternatives(rest), ["zero", "succ"], ctx)


def nat_cases(goal: SGoal, n: str, name: str | None = None) -> tuple[SGoal, SGoal]:
    """``cases n`` / ``rcases n with _ | k`` on a ℕ variable: the goals for ``0`` and
    ``k + 1`` (tags ``zero``/``succ``), hypotheses about ``n`` rewritten in each."""
    return _induction_goals(goal, n, [name or "_"], with_ih=False)


@dataclass(frozen=True)
class _Generalised:
    """``goal`` with the ℕ variable ``n`` and the hypotheses that mention it taken out, as
    Lean's ``induction`` reverts them: ``base`` (the rest of the context), ``deps`` (the
    hypotheses, in order), ``motive`` (``deps → target``), the new variable ``k`` already
    declared in ``with_k`` (its name from ``names[0]`` or inaccessible), ``ihname``."""

    base: SGoal
    deps: tuple[HypDecl, ...]
    motive: Prop
    k: str
    with_k: SGoal
    ihname: str | None


def _generalise(goal: SGoal, n: str, names: list[str]) -> _Generalised:
    idx = next(i for i in range(len(goal.context) - 1, -1, -1) if goal.context[i].name == n)
    after = goal.context[idx + 1:]
    deps = tuple(d for d in after if isinstance(d, HypDecl) and n in prop_vars(d.prop))
    base = SGoal(goal.context[:idx] + tuple(d for d in after if d not in deps), goal.target, None)
    motive = goal.target
    for d in reversed(deps):
        motive = Imp(d.prop, motive)
    kname = names[0] if names and names[0] != "_" else None
    ihname = names[1] if len(names) > 1 and names[1] != "_" else None
    k = kname or inaccessible(n, base.context, motive)
    g, _ = shadow(base, k)
    return _Generalised(base, deps, motive, k, SGoal(g.context + (VarDecl(k, NAT),), g.target, None), ihname)


def _at(deps: tuple[HypDecl, ...], n: str, value) -> list[HypDecl]:
    return [HypDecl(d.name, subst_prop(d.prop, {n: value})) for d in deps]


def _induction_goals(goal: SGoal, n: str, names: list[str], with_ih: bool = True) -> tuple[SGoal, SGoal]:
    gen = _generalise(goal, n, names)
    zero_val = Num(0, NAT)
    zero = SGoal(gen.base.context + tuple(_at(gen.deps, n, zero_val)),
                 subst_prop(goal.target, {n: zero_val}), "zero")
    kv = Var(gen.k, NAT)
    g = gen.with_k
    if with_ih:
        ih_prop = subst_prop(gen.motive, {n: kv})
        named_k = bool(names) and names[0] != "_"
        ih = gen.ihname or inaccessible(f"{gen.k}_ih" if named_k else "ih", g.context, ih_prop)
        g = add_decls(g, [HypDecl(ih, ih_prop)])
    succ_val = BinOp("+", kv, Num(1, NAT), NAT)
    g = add_decls(g, _at(gen.deps, n, succ_val))
    return zero, SGoal(g.context, subst_prop(goal.target, {n: succ_val}), "succ")


# Mathlib's strong induction principles on ℕ: ``P n`` follows from ``∀ n, (∀ m < n, P m) → P n``.
_STRONG = frozenset({"Nat.strong_induction_on", "Nat.strongRecOn", "Nat.strongInductionOn",
                     "Nat.strong_induction", "Nat.strongRec"})


def _strong_goal(goal: SGoal, n: str, names: list[str]) -> SGoal:
    """The one goal of strong induction: ``k``, ``ih : ∀ m < k, H m → P m``, ``H k`` ⊢ ``P k``
    (tag ``h``); ``names`` = ``[k, ih]`` (``_`` or missing: inaccessible)."""
    gen = _generalise(goal, n, names)
    m = "m" if gen.k != "m" else "m'"
    mv, kv = Var(m, NAT), Var(gen.k, NAT)
    ih_prop = Forall(m, NAT, Imp(Rel("<", mv, kv), subst_prop(gen.motive, {n: mv})), bounded=True)
    ih = gen.ihname or inaccessible("ih", gen.with_k.context, ih_prop)
    g = add_decls(gen.with_k, [HypDecl(ih, ih_prop)])
    g = add_decls(g, _at(gen.deps, n, kv))
    return SGoal(g.context, subst_prop(goal.target, {n: kv}), "h")

# ---- cases with alternatives ------------------------------------------------------------


def structured_cases(goal: SGoal, args: str, ctx: Ctx) -> tuple[SGoal, ...]:
    """``cases e with | inl h => … | inr h => …`` (``intro``/``mp``… for ∧, ∃, ↔)."""
    from qed.env.sandbox.tactics.intro import cases as plain_cases

    k = find_top(args, "with", word=True)
    target = args[:k].strip()
    decl = find_decl(goal, target)
    if isinstance(decl, VarDecl) and decl.ty == NAT:
        zero, succ = nat_cases(goal, target)
        return _run_alternatives([zero, succ], alternatives(args[k + 4:]), ["zero", "succ"], ctx)
    if isinstance(decl, HypDecl):
        produced = plain_cases(goal, target, ctx)
    else:
        prop = elab(target, goal, ctx)
        tmp = inaccessible("h", goal.context, goal.target)
        g = add_decls(goal, [HypDecl(tmp, prop)])
        produced = plain_cases(g, tmp, ctx)
    tags = [g.tag or "" for g in produced]
    return _run_alternatives(list(produced), alternatives(args[k + 4:]), tags, ctx)


# ---- refine -----------------------------------------------------------------------------


def refine(goal: SGoal, args: str, ctx: Ctx, prime: bool = False) -> tuple[SGoal, ...]:
    """``refine e`` with ``?_`` holes (``refine'`` also ``_``): one new goal per hole."""
    if not args.strip():
        raise TacticFailure(f"{'refine' + chr(39) if prime else 'refine'}: expected a term")
    return tuple(_fill(args.strip(), goal, goal.target, goal.tag, ctx, prime))


def _is_hole(s: str, prime: bool) -> bool:
    return s == "?_" or (prime and s == "_")


def _fill(src: str, goal: SGoal, want: Prop, tag: str | None, ctx: Ctx, prime: bool) -> list[SGoal]:
    ctx.check()
    s = strip_parens(src, strict=False)
    if _is_hole(s, prime):
        return [SGoal(goal.context, want, tag)]
    if s.startswith("⟨") and _closing(s, 0) == len(s) - 1:
        return _fill_anonymous(split_top(s[1:-1]), goal, want, ctx, prime)
    words = top_words(s)
    if words and words[0] in ("fun", "λ") and "=>" in s:
        return _fill_fun(s, goal, want, tag, ctx, prime)
    if "?_" in s or (prime and re.search(r"(^|[\s(])_($|[\s)])", s)):
        from qed.env.sandbox.tactics.proofterm import refine_lemma  # ``refine mul_pos ?_ hb``

        filled = refine_lemma(s, goal, want, ctx, prime)
        if filled is not None:
            return filled
        raise TacticFailure("refine: the sandbox fills holes only inside '⟨…⟩' and 'fun x => …', "
                            f"not in '{s}'")
    elab(s, goal, ctx, want)
    return []


def _fill_anonymous(parts: list[str], goal: SGoal, want: Prop, ctx: Ctx, prime: bool) -> list[SGoal]:
    if not parts or not parts[0].strip():
        raise TacticFailure("refine: empty anonymous constructor '⟨⟩'")
    if len(parts) == 1:
        return _fill(parts[0], goal, want, None, ctx, prime)
    match want:
        case And(lhs=a, rhs=b):
            rest = parts[1] if len(parts) == 2 else "⟨" + ",".join(parts[1:]) + "⟩"
            return (_fill(parts[0], goal, a, "left", ctx, prime)
                    + _fill(rest, goal, b, "right", ctx, prime))
        case Iff(lhs=a, rhs=b):
            if len(parts) != 2:
                raise TacticFailure("refine: '↔' takes exactly two components")
            return (_fill(parts[0], goal, Imp(a, b), "mp", ctx, prime)
                    + _fill(parts[1], goal, Imp(b, a), "mpr", ctx, prime))
        case Exists(var=v, ty=ty, body=body):
            w = parts[0].strip()
            if _is_hole(w, prime) or w in ("_", "?_"):
                raise TacticFailure("refine: the sandbox cannot leave the witness of '∃' as a hole; give it")
            val = term_of(w, goal, ty)
            rest = parts[1] if len(parts) == 2 else "⟨" + ",".join(parts[1:]) + "⟩"
            return _fill(rest, goal, subst_prop(body, {v: val}), "h", ctx, prime)
    raise TacticFailure(f"invalid constructor ⟨...⟩: the goal {show_prop(want)} is not '∧', '↔' or '∃'")


def _fill_fun(s: str, goal: SGoal, want: Prop, tag: str | None, ctx: Ctx, prime: bool) -> list[SGoal]:
    from qed.env.sandbox.tactics.intro import intro_one

    arrow = find_top(s, "=>")
    binders = s.split(None, 1)[1][: arrow - len(s.split(None, 1)[0]) - 1].split()
    body = s[arrow + 2:]
    g = SGoal(goal.context, want, tag)
    for b in binders:
        b = b.strip("()")
        if ":" in b:
            b = b.split(":")[0].strip()
        if not (b == "_" or is_ident(b)):
            raise TacticFailure(f"refine: the sandbox supports only named binders in 'fun', got '{b}'")
        g = intro_one(g, None if b == "_" else b)
    from qed.env.sandbox.tactics.core import normalize_names

    g = normalize_names(g)
    return _fill(body, g, g.target, tag, ctx, prime)


def _closing(s: str, i: int) -> int:
    depth = 0
    for j in range(i, len(s)):
        if s[j] in "([{⟨":
            depth += 1
        elif s[j] in ")]}⟩":
            depth -= 1
            if depth == 0:
                return j
    return -1


# ---- revert / contrapose ----------------------------------------------------------------


def revert(goal: SGoal, args: str, ctx: Ctx) -> tuple[SGoal, ...]:
    """``revert h x …`` (reverting the last name first, as Lean does for the list)."""
    names = args.split()
    if not names:
        raise TacticFailure("revert: expected hypothesis or variable names")
    for n in reversed(names):
        goal = _revert_one(goal, n)
    return (goal,)


def _revert_one(goal: SGoal, name: str) -> SGoal:
    decl = find_decl(goal, name)
    if decl is None:
        raise TacticFailure(f"unknown identifier '{name}'")
    if isinstance(decl, HypDecl):
        return SGoal(remove_decls(goal, {name}).context, Imp(decl.prop, goal.target), goal.tag)
    idx = max(i for i, d in enumerate(goal.context) if d.name == name)
    deps = [d for d in goal.context[idx + 1:] if isinstance(d, HypDecl) and name in prop_vars(d.prop)]
    target = goal.target
    for d in reversed(deps):
        target = Imp(d.prop, target)
    context = tuple(d for i, d in enumerate(goal.context) if i != idx and d not in deps)
    if any(isinstance(d, VarDecl) and d.name == name for d in context):
        raise TacticFailure(f"revert: '{name}' is shadowed; the sandbox cannot revert it")
    return SGoal(context, Forall(name, decl.ty, target), goal.tag)


def contrapose(goal: SGoal, args: str, ctx: Ctx, push: bool = False) -> tuple[SGoal, ...]:
    """``contrapose [h]`` / ``contrapose! [h]`` (Mathlib)."""
    words = args.split()
    fix = push_neg_prop if push else (lambda p: p)
    if not words:
        t = goal.target
        if not isinstance(t, Imp):
            raise TacticFailure("contrapose: the goal is not an implication")
        return (SGoal(goal.context, Imp(fix(Not(t.rhs)), fix(Not(t.lhs))), goal.tag),)
    if len(words) > 1 and words[1] != "with":
        raise TacticFailure(f"contrapose: unexpected '{' '.join(words[1:])}'")
    h = words[0]
    new_name = words[2] if len(words) >= 3 and words[1] == "with" else h
    prop = find_hyp(goal, h).prop
    base = remove_decls(goal, {h})
    g = add_decls(base, [HypDecl(new_name, fix(Not(goal.target)))])
    return (SGoal(g.context, fix(Not(prop)), goal.tag),)


# ---- calc -------------------------------------------------------------------------------

_CALC_PREV = "qed_calc_prev"
_CHAIN = {
    ("=", "="): "=", ("=", "<"): "<", ("=", "≤"): "≤", ("<", "="): "<", ("≤", "="): "≤",
    ("<", "<"): "<", ("<", "≤"): "<", ("≤", "<"): "<", ("≤", "≤"): "≤",
    ("=", ">"): ">", ("=", "≥"): "≥", (">", "="): ">", ("≥", "="): "≥",
    (">", ">"): ">", (">", "≥"): ">", ("≥", ">"): ">", ("≥", "≥"): "≥", ("=", "≠"): "≠", ("≠", "="): "≠",
}


def calc_steps(text: str) -> list[str]:
    """The steps of a ``calc`` block: a new step starts on a line beginning with ``_``."""
    lines = text.split("\n")
    steps: list[list[str]] = []
    depth = 0
    for line in lines:
        stripped = line.strip()
        if not stripped:
            continue
        new_step = stripped.startswith("_") and (len(stripped) == 1 or not stripped[1].isalnum())
        if depth == 0 and new_step and steps:
            steps.append([line])
        elif not steps:
            steps.append([line])
        else:
            steps[-1].append(line)
        for c in line:
            if c in "([{⟨":
                depth += 1
            elif c in ")]}⟩":
                depth -= 1
    return ["\n".join(s) for s in steps]


def calc(goal: SGoal, args: str, ctx: Ctx) -> tuple[SGoal, ...]:
    steps = calc_steps(args)
    if not steps:
        raise TacticFailure("calc: expected steps 'a = b := proof'")
    lhs = None
    rel_op = None
    prev = None
    for i, step in enumerate(steps):
        rel_src, proof = split_assign(step)
        rel_src = rel_src.strip()
        if proof is None:
            if i == 0 and len(steps) > 1:
                prev = term_of(rel_src, goal)
                lhs = prev
                continue
            raise TacticFailure(f"calc: step '{rel_src}' has no proof (expected ':= proof')")
        if rel_src.startswith("_"):
            if prev is None:
                raise TacticFailure("calc: the first step cannot start with '_'")
            g = add_decls(goal, [VarDecl(_CALC_PREV, prev.ty)])
            rel = subst_prop(prop_of(_CALC_PREV + rel_src[1:], g), {_CALC_PREV: prev})
        else:
            rel = prop_of(rel_src, goal)
        if not isinstance(rel, Rel) or rel.op not in ("=", "<", "≤", ">", "≥", "≠"):
            raise TacticFailure(f"calc: step '{rel_src}' is not a relation '=', '<', '≤', '>', '≥'")
        if prev is not None and rel.lhs != prev:
            raise TacticFailure(f"calc: step '{rel_src}' does not start where the previous step ended")
        elab(proof, goal, ctx, rel)
        if lhs is None:
            lhs = rel.lhs
        if rel_op is None:
            rel_op = rel.op
        else:
            new = _CHAIN.get((rel_op, rel.op))
            if new is None:
                raise TacticFailure(f"calc: invalid 'calc' step, cannot chain '{rel_op}' with '{rel.op}'")
            rel_op = new
        prev = rel.rhs
    assert lhs is not None and prev is not None and rel_op is not None
    result = Rel(rel_op, lhs, prev)
    if props_match(result, goal.target):
        return ()
    raise mismatch("calc", result, goal.target)


# ---- conv -------------------------------------------------------------------------------

_CONV_FRESH = "qed_conv_other"


def conv(goal: SGoal, name: str, args: str, ctx: Ctx) -> tuple[SGoal, ...]:
    """``conv_lhs => tacs``, ``conv_rhs => tacs``, ``conv => lhs; tacs`` / ``conv in …`` not
    supported. The side is rewritten by ``tacs`` (rw/ring_nf/norm_num/simp) and put back."""
    t = goal.target
    s = args.strip()
    if not s.startswith("=>"):
        raise TacticFailure(f"{name}: the sandbox supports '{name} => tactics' only")
    body = s[2:].strip()
    side = {"conv_lhs": "lhs", "conv_rhs": "rhs"}.get(name)
    if side is None:
        first, _, rest = body.replace("\n", ";").partition(";")
        if first.strip() not in ("lhs", "rhs"):
            raise TacticFailure("conv: the sandbox supports 'conv => lhs; …' and 'conv => rhs; …' only")
        side, body = first.strip(), rest
    if not isinstance(t, Rel):
        raise TacticFailure(f"conv: the goal {show_prop(t)} is not a relation")
    part = t.lhs if side == "lhs" else t.rhs
    for tac in [x.strip() for x in body.replace("\n", ";").split(";") if x.strip()]:
        word = tac.split()[0]
        if word not in ("rw", "rewrite", "ring_nf", "norm_num", "simp", "simp only"):
            raise TacticFailure("conv: the sandbox supports rw, ring_nf, norm_num and simp inside conv, "
                                f"not '{word}'")
        other = Var(_CONV_FRESH, part.ty)
        g = add_decls(SGoal(goal.context, Rel("=", part, other)), [VarDecl(_CONV_FRESH, part.ty)])
        g = SGoal(g.context, Rel("=", part, other), None)
        left = ctx.run_block(g, tac)
        if len(left) != 1:
            raise TacticFailure("conv: the tactic closed or split the goal")
        new = left[0].target
        kept = isinstance(new, Rel) and new.op == "=" and new.rhs == other
        if not kept or _CONV_FRESH in term_vars(new.lhs):
            raise TacticFailure(f"conv: '{tac}' did not keep the shape of the side it rewrites")
        part = new.lhs
    new_t = Rel(t.op, part, t.rhs) if side == "lhs" else Rel(t.op, t.lhs, part)
    return (SGoal(goal.context, new_t, goal.tag),)


# ---- nth_rewrite / suffices / iterate -------------------------------------------------------


def suffices(goal: SGoal, args: str, ctx: Ctx) -> tuple[SGoal, ...]:
    """``suffices h : P by tac`` / ``suffices h : P from e``."""
    k_by = find_top(args, "by", word=True)
    k_from = find_top(args, "from", word=True)
    if k_by < 0 and k_from < 0:
        raise TacticFailure("the sandbox supports 'suffices h : P by tac' and 'suffices h : P from e'")
    k = k_by if k_by >= 0 else k_from
    head = args[:k]
    c = find_top(head, ":")
    name = head[:c].strip() if c >= 0 else "this"
    name = name or "this"
    prop = prop_of(head[c + 1:] if c >= 0 else head, goal)
    with_h = add_decls(goal, [HypDecl(name, prop)])
    if k == k_by:
        left = ctx.run_block(with_h, padded(args, k + 2, len(args)))
        if left:
            raise TacticFailure("unsolved goals\n" + "\n\n".join(ctx.show_goal(g) for g in left))
    else:
        elab(args[k + 4:], with_h, ctx, goal.target)
    return (SGoal(goal.context, prop, goal.tag),)


def iterate(goal: SGoal, args: str, ctx: Ctx) -> tuple[SGoal, ...]:
    words = args.split(None, 1)
    if len(words) != 2 or not words[0].isdigit():
        raise TacticFailure("iterate: expected 'iterate n tactic'")
    goals: tuple[SGoal, ...] = (goal,)
    for _ in range(int(words[0])):
        if not goals:
            raise TacticFailure("no goals to be proved")
        goals = ctx.run_block(goals[0], words[1]) + goals[1:]
    return goals


__all__ = [
    "alternatives",
    "calc",
    "case_index",
    "contrapose",
    "conv",
    "induction",
    "iterate",
    "refine",
    "rename_inaccessible",
    "revert",
    "structured_cases",
    "suffices",
]

"""The tactic interpreter: runs a parsed tactic tree on a list of goals.

Owns the meaning of the combinators (Lean 4's): a sequence runs its items in turn on the
goal list; an atomic tactic acts on the first goal and puts the goals it produces in its
place; ``t1 <;> t2`` runs ``t2`` on every goal ``t1`` produced (all must succeed);
``try t`` keeps the goals if ``t`` fails; ``first | …`` takes the first alternative that
succeeds; ``all_goals t`` runs ``t`` on each goal (all must succeed); ``any_goals t`` on
each goal, succeeding if one does; ``repeat t`` applies ``t`` until it fails (at most
``MAX_REPEAT`` times); ``· t``/``focus t`` must close the first goal. An atomic tactic
with no goal left fails with "no goals to be proved". Timeouts (``TacticDeadline``,
``ArithTimeout``) are never caught by ``try``/``first``.

Dispatch from tactic names to implementations is one explicit ``match``. Parsed trees are
memoised per ``Engine`` (bounded), so repeated tactic texts are parsed once.
"""

from __future__ import annotations

from qed.env.sandbox.ast import SGoal
from qed.env.sandbox.tactics import arith_tactics, intro, logic, rewrite, structural
from qed.env.sandbox.tactics.core import Ctx, TacticFailure, normalize_names
from qed.env.sandbox.tactics.push_neg import push_neg_prop
from qed.env.sandbox.tactics.syntax import (
    REJECTED_TACTICS,
    Atom,
    Case,
    Comb,
    First,
    Node,
    Seq,
    Then,
    parse_tactic,
)

MAX_REPEAT = 100
PARSE_CACHE_SIZE = 4096


class Engine:
    """Parses (with a cache) and runs tactic texts. Holds no goal state."""

    def __init__(self) -> None:
        self._parsed: dict[str, Node] = {}

    def parse(self, text: str) -> Node:
        node = self._parsed.get(text)
        if node is None:
            node = parse_tactic(text)
            if len(self._parsed) >= PARSE_CACHE_SIZE:
                self._parsed.clear()
            self._parsed[text] = node
        return node

    def run_text(self, text: str, goals: tuple[SGoal, ...], ctx: Ctx) -> tuple[SGoal, ...]:
        return self.run(self.parse(text), goals, ctx)

    def run(self, node: Node, goals: tuple[SGoal, ...], ctx: Ctx) -> tuple[SGoal, ...]:
        ctx.check()
        match node:
            case Atom():
                if not goals and node.name in ("done", "skip"):
                    return goals
                if not goals:
                    raise TacticFailure("no goals to be proved")
                produced = run_atom(node, goals[0], ctx)
                return tuple(normalize_names(g) for g in produced) + goals[1:]
            case Seq(items=items):
                for item in items:
                    goals = self.run(item, goals, ctx)
                return goals
            case Then(first=first, rest=rest):
                if not goals:
                    raise TacticFailure("no goals to be proved")
                out: list[SGoal] = []
                for g in self.run(first, goals[:1], ctx):
                    out += self.run(rest, (g,), ctx)
                return tuple(out) + goals[1:]
            case First(alts=alts):
                last: TacticFailure | None = None
                for alt in alts:
                    try:
                        return self.run(alt, goals, ctx)
                    except TacticFailure as e:
                        last = e
                assert last is not None
                raise last
            case Comb(kind="try", body=body):
                try:
                    return self.run(body, goals, ctx)
                except TacticFailure:
                    return goals
            case Comb(kind="all_goals", body=body):
                out = []
                for g in goals:
                    out += self.run(body, (g,), ctx)
                return tuple(out)
            case Comb(kind="any_goals", body=body):
                out, ok = [], False
                for g in goals:
                    try:
                        out += self.run(body, (g,), ctx)
                        ok = True
                    except TacticFailure:
                        out.append(g)
                if not ok:
                    raise TacticFailure("any_goals failed: the tactic failed on every goal")
                return tuple(out)
            case Comb(kind="repeat", body=body):
                for _ in range(MAX_REPEAT):
                    if not goals:
                        break
                    try:
                        goals = self.run(body, goals, ctx)
                    except TacticFailure:
                        break
                return goals
            case Comb(kind="focus", body=body):
                if not goals:
                    raise TacticFailure("no goals to be proved")
                left = self.run(body, goals[:1], ctx)
                if left:
                    raise TacticFailure("unsolved goals\n" + "\n\n".join(ctx.show_goal(g) for g in left))
                return goals[1:]
            case Case(tag=tag, names=names, body=body):
                k = structural.case_index(goals, tag)
                goal = structural.rename_inaccessible(goals[k], names) if names else goals[k]
                left = self.run(body, (goal,), ctx)
                if left:
                    raise TacticFailure("unsolved goals\n" + "\n\n".join(ctx.show_goal(g) for g in left))
                return goals[:k] + goals[k + 1:]
        raise TacticFailure(f"unsupported tactic form {node!r}")


def run_atom(node: Atom, goal: SGoal, ctx: Ctx) -> tuple[SGoal, ...]:
    """Run one atomic tactic on ``goal``; the explicit dispatch table of the sandbox."""
    a = node.args
    match node.name:
        case "intro":
            return intro.intro(goal, a, ctx)
        case "intros":
            return intro.intros(goal, a, ctx)
        case "rintro":
            return intro.rintro(goal, a, ctx)
        case "cases":
            if "with" in a.split():
                return structural.structured_cases(goal, a, ctx)
            return intro.cases(goal, a, ctx)
        case "cases'":
            return intro.cases_prime(goal, a, ctx)
        case "rcases":
            return intro.rcases(goal, a, ctx)
        case "obtain":
            return intro.obtain(goal, a, ctx)
        case "subst":
            return intro.subst(goal, a, ctx)
        case "constructor":
            return logic.constructor(goal, a, ctx)
        case "exact":
            return logic.exact(goal, a, ctx)
        case "assumption":
            return logic.assumption(goal, a, ctx)
        case "left":
            return logic.left(goal, a, ctx)
        case "right":
            return logic.right(goal, a, ctx)
        case "exfalso":
            return logic.exfalso(goal, a, ctx)
        case "by_contra":
            return logic.by_contra(goal, a, ctx)
        case "by_contra!":
            return logic.by_contra(goal, a, ctx, push=True)
        case "contradiction":
            return logic.contradiction(goal, a, ctx)
        case "use" | "exists":
            return logic.use(goal, a, ctx)
        case "have":
            return logic.have(goal, a, ctx)
        case "replace":
            return logic.replace(goal, a, ctx)
        case "show":
            return logic.show(goal, a, ctx)
        case "specialize":
            return logic.specialize(goal, a, ctx)
        case "apply":
            return logic.apply(goal, a, ctx)
        case "rfl":
            return logic.rfl(goal, a, ctx)
        case "trivial":
            return logic.trivial(goal, a, ctx)
        case "symm":
            return logic.symm(goal, a, ctx)
        case "by_cases":
            return logic.by_cases(goal, a, ctx)
        case "clear":
            return logic.clear(goal, a, ctx)
        case "push_neg":
            return push_neg(goal, a, ctx)
        case "rw" | "rewrite":
            return rewrite.rw(goal, a, ctx)
        case "rwa":
            return rewrite.rw(goal, a, ctx, then_assumption=True)
        case "norm_num":
            return arith_tactics.norm_num(goal, a, ctx)
        case "simp":
            return arith_tactics.simp(goal, a, ctx)
        case "ring":
            return arith_tactics.ring(goal, a, ctx)
        case "ring_nf":
            return arith_tactics.ring_nf(goal, a, ctx)
        case "linarith":
            return arith_tactics.linarith(goal, a, ctx)
        case "nlinarith":
            return arith_tactics.nlinarith(goal, a, ctx)
        case "positivity":
            return arith_tactics.positivity(goal, a, ctx)
        case "omega":
            return arith_tactics.omega(goal, a, ctx)
        case "decide":
            return arith_tactics.decide(goal, a, ctx)
        case "interval_cases":
            return arith_tactics.interval_cases(goal, a, ctx)
        case (
            "field_simp" | "simp_all" | "simpa" | "norm_num1" | "norm_cast" | "push_cast" | "exact_mod_cast"
            | "assumption_mod_cast" | "linear_combination" | "gcongr" | "zify" | "qify"
            | "linarith!" | "nlinarith!"
        ):
            return arith_tactics.dispatch(node.name, goal, a, ctx)
        case "skip":
            return (goal,)
        case "induction" | "induction'":
            return structural.induction(goal, a, ctx, prime=node.name == "induction'")
        case "refine" | "refine'":
            return structural.refine(goal, a, ctx, prime=node.name == "refine'")
        case "revert":
            return structural.revert(goal, a, ctx)
        case "contrapose" | "contrapose!":
            return structural.contrapose(goal, a, ctx, push=node.name == "contrapose!")
        case "calc":
            return structural.calc(goal, a, ctx)
        case "rename_i":
            return (structural.rename_inaccessible(goal, tuple(a.split())),)
        case "conv" | "conv_lhs" | "conv_rhs":
            return structural.conv(goal, node.name, a, ctx)
        case "suffices":
            return structural.suffices(goal, a, ctx)
        case "iterate":
            return structural.iterate(goal, a, ctx)
        case "split_ifs" | "split":
            raise TacticFailure(f"the sandbox does not implement '{node.name}': its statements have no "
                                "'if … then … else'")
        case name if name in REJECTED_TACTICS:
            raise TacticFailure(REJECTED_TACTICS[name])
        case "done":
            raise TacticFailure("unsolved goals\n" + ctx.show_goal(goal))
    raise TacticFailure(f"the sandbox does not implement the tactic '{node.name}'")


def push_neg(goal: SGoal, args: str, ctx: Ctx) -> tuple[SGoal, ...]:
    """``push_neg`` / ``push_neg at h …``; fails when nothing changes."""
    from qed.env.sandbox.tactics.args import take_location
    from qed.env.sandbox.tactics.core import find_hyp, replace_hyp

    rest, loc = take_location(args)
    if rest.strip():
        raise TacticFailure(f"push_neg: unexpected '{rest.strip()}'")
    changed = False
    for h in loc.hyps:
        prop = find_hyp(goal, h).prop
        new = push_neg_prop(prop)
        if new != prop:
            changed = True
            goal = replace_hyp(goal, h, new)
    if loc.goal:
        new = push_neg_prop(goal.target)
        if new != goal.target:
            changed = True
            goal = SGoal(goal.context, new, goal.tag)
    if not changed:
        raise TacticFailure("push_neg made no progress")
    return (goal,)

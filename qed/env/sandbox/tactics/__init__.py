"""The sandbox's tactics: Lean 4 / Mathlib tactic syntax and meaning on sandbox goals.

Layout: ``syntax`` (tactic text -> tree), ``args`` (argument parsing), ``core``
(failures, deadlines, context operations), ``subst`` (substitution, rewriting, matching),
``lemmas`` (lemma table), ``proofterm`` (proof terms), ``intro``/``logic``/``push_neg``/
``rewrite``/``arith_tactics``/``structural`` (the tactic families), ``engine`` (combinators,
``case``/``next`` goal selection, dispatch). Arithmetic tactics with their own modules:
``field_simp``, ``simp_all`` (with ``simpa``), ``casts``, ``lincomb``, ``gcongr``.
``qed.env.sandbox.env.SandboxEnv`` drives them. Soundness first: a goal is closed only
when it is proved; arithmetic is decided by ``qed.env.sandbox.arith``.

Tactics and the subset of Lean's behaviour implemented
-----------------------------------------------------
- ``intro x y`` / ``intro`` (inaccessible ``x✝``/``a✝``), on ``∀``, ``→``, ``¬``, ``≠``;
  patterns ``intro ⟨a, b⟩``. ``intros`` (all binders, inaccessible; or the names given).
- ``rintro`` with rcases patterns: ``⟨a, b⟩``, ``h | h``, ``rfl``, ``_``, ``-``, ``(p)``.
- ``constructor`` on ``∧`` (goals ``left``/``right``), ``↔`` (``mp``/``mpr``), ``True``.
- ``exact e`` (proof terms below); ``assumption``; ``left``/``right`` on ``∨``;
  ``exfalso``; ``trivial`` (True, rfl, assumption, ground decision); ``rfl`` (``a = a``,
  ``a ≤ a``, ``P ↔ P``, closed ℕ/ℤ equations that compute); ``symm``; ``show P``
  (P must match the target); ``specialize h a…``; ``clear h``; ``skip``; ``done``.
- ``cases h`` (inaccessible components, tags ``intro``/``inl``/``inr``); ``cases' h with
  a b``; ``rcases e with pat``; ``obtain pat := e``, ``obtain pat : P := e``, ``obtain
  pat : P`` (P becomes the first goal). On ``∧``, ``∨``, ``∃``, ``↔``, ``False``. A
  destructed hypothesis is removed; ``rfl`` substitutes.
- ``use a, b`` / ``exists``: instantiate ``∃`` witnesses, then Lean's discharger
  (``rfl``/``trivial``/``assumption``, through ``∧``) closes the rest if it can.
- ``have h : P := e`` / ``:= by tacs`` (nested block through the same machinery; it must
  close P), ``have h : P`` (P first as a new goal), ``have h := e``, ``have : P …``
  (named ``this``). ``by_cases h : P`` (goals ``pos``/``neg``).
- ``apply e``: hypotheses/terms whose conclusion matches the target after ``→`` premises
  (premises become goals); lemma-table entries by matching their conclusion
  (``apply mul_pos`` leaves ``0 < a`` and ``0 < b``).
- ``rw [h, ← h', h₀ 2, lemma] at h ⊢`` / ``rewrite`` / ``rwa``: see ``rewrite``;
  rewrites all instances syntactically, "did not find instance of the pattern" otherwise,
  then closes ``a = a`` (Lean's ``rfl`` after ``rw``). ``subst h`` / ``subst x``.
- ``norm_num [hints] at h ⊢`` / ``at *``: ``arith.norm_num`` on each location, hints as
  rewrite rules; hypothesis to ``False`` closes the goal, to ``True`` is cleared; target
  to ``True`` closes; target to ``False`` fails; ``∀ x, f x = …`` hints are
  instantiated at matching subterms; no progress: "norm_num failed to
  simplify". ``simp [hints] at …`` / ``simp only [...]``: the same machinery and simp set
  (the simp set is ``arith.norm_num``'s: ground evaluation, unit laws, ``a R a``, logic
  constants, hints as rewrite rules); the differences are that ``simp`` leaves ``⊢ False``
  instead of failing and says "simp made no progress". Mathlib's full simp set (hundreds
  of lemmas) is not modelled; ``simp only`` keeps the set but, like Lean's, does not
  evaluate ℚ/ℝ arithmetic (ℕ/ℤ literals only). Lemma-table names in hint lists are
  conditional rewrite rules (``abs_of_nonneg`` rewrites ``|a|`` when ``0 ≤ a`` is
  discharged from the hints/hypotheses; ``simp_lemmas``). ``norm_num1``:
  ``norm_num`` (the sandbox has no separate simp-free core).
- ``simp_all [hints]`` / ``simp_all only [...]``: each hypothesis simplified with the
  hints and the other hypotheses as rewrite rules, then the target with all of them,
  to a fixpoint; ``False`` hypothesis closes, ``True`` is cleared; ``only`` does not
  evaluate ℚ/ℝ arithmetic (Lean's ``simp only`` has simprocs for ℕ/ℤ literals only).
  ``simpa [hints] using e`` / ``simpa``: target and ``e``'s type (or a hypothesis)
  simplified alike must agree. Hints that do not elaborate (simp lemma names the sandbox
  lacks) and ring identities (``mul_comm``, ``sq`` …) are ignored: the result may be less
  simplified than Lean's, never wrong. See ``simp_all``.
- ``field_simp [hints] at h ⊢``: each side to one fraction ``N / D``, combining a
  division only when its denominator is provably ``≠ 0`` (hypotheses, hints such as
  ``h.ne'``, numerals, positivity); ``=`` is cross-multiplied (``a * d = c * b``),
  ``≤``/``<`` keep one fraction per side (as the Mathlib the real proofs were checked
  with: they continue with ``rw [div_le_div_iff …]``). See ``field_simp``.
- ``push_cast``, ``norm_cast``, ``exact_mod_cast e``, ``assumption_mod_cast``, ``zify``,
  ``qify`` (``[hints] at h ⊢``): casts ℕ→ℤ→ℚ→ℝ moved by the ``Nat.cast_*`` laws; ℕ
  subtraction only with a proof of ``b ≤ a``. See ``casts``.
- ``linear_combination [(exp := n)] e``: ``(a - b)^n - (e.lhs - e.rhs)`` must be ``0`` by
  ``ring`` (ℤ/ℚ/ℝ). ``gcongr``: monotonicity of ``+ - * / ^ -`` down to the differing
  parts, side goals by positivity or assumption. See ``lincomb``, ``gcongr``.
- ``ring``: ``ring1`` (``arith.ring_equal``) on ``=``; otherwise falls back to ``ring_nf``
  and leaves the normalised goal (Lean adds a "Try this: ring_nf" note, which an
  ``Outcome`` cannot carry); "ring_nf failed" when nothing changes. ``ring_nf [at h]``.
- ``linarith [terms]`` / ``nlinarith [terms]`` (also ``linarith!``/``nlinarith!``): all
  hypotheses plus the terms, conjunctions split (Mathlib's ``splitHypotheses``
  preprocessing, on by default); a non-comparison target is treated as ``False`` (Lean's
  ``exfalso``). ``nlinarith`` adds squares of squared atoms and pairwise products of
  hypotheses, hints and the negated goal (``arith.nonlinear``). "linarith failed to
  find a contradiction". ``positivity`` (goals ``0 < e``, ``0 ≤ e``, ``e ≠ 0``), ``omega``
  ("omega could not prove the goal"), ``decide`` (ground decidable propositions).
- ``by_contra h`` (``h : ¬P``, or ``h : Q`` for a target ``¬Q``; target ``False``);
  ``by_contra! h`` also pushes the negation. ``push_neg [at h]``: Mathlib's rules (see
  ``push_neg``). ``contradiction``: ``h : False``, ``h : ¬P`` with ``P`` in context,
  ``a ≠ a``, ``a ≠ b`` with ``a = b`` in context, a ground false hypothesis.
- ``interval_cases x``: ℕ/ℤ variable with numeral bounds from hypotheses (ℕ from 0);
  one goal per value, ``x`` replaced by it (at most 200 cases).
- Combinators: ``t1; t2``, newlines, ``t1 <;> t2``, ``try t``, ``first | t1 | t2``,
  ``all_goals t``, ``any_goals t``, ``repeat t``, ``iterate n t``, ``(t1; t2)``, ``· t``,
  ``{ t }``, ``case tag x => t``, ``next x => t``; continuation lines as in Lean (deeper
  indentation, an open bracket, a leading or trailing ``<;>``, a leading ``|``).
- Structural (``structural``): ``induction``/``induction'`` on ℕ (with ``| zero => … |
  succ k ih => …`` alternatives, ``using Nat.strong_induction_on``), ``cases``/``rcases``
  on ℕ variables, ``cases … with | inl h => …``, ``refine``/``refine'`` with holes,
  ``revert``, ``contrapose``/``contrapose!``, ``calc``, ``conv_lhs``/``conv_rhs``/``conv``,
  ``suffices … by``/``from``, ``replace``, ``rename_i``. Refused by name (``syntax.
  REJECTED_TACTICS``): ``exact?``, ``apply?``, ``rw?``, ``hint``, ``aesop``, ``polyrith``,
  ``native_decide``, ``sorry``, ``admit``.

Proof terms (``exact``, ``have``, hints): hypothesis names, ``h.1 h.2 h.left h.right
h.mp h.mpr h.le h.symm h.ne h.ne'``, application to terms and proofs (``h₀ 2``, ``h hp``),
``⟨p, q⟩`` (∧, ↔, ∃ with the witness first), ``by tacs``, ``(e : P)``, ``rfl``,
``trivial``, ``Or.inl/inr``, ``And.intro``, ``False.elim``, ``absurd``, and lemma-table
applications with checked instances (``mul_pos ha hb`` needs ``ha : 0 < a``,
``hb : 0 < b``). The lemma table (``lemmas``; data in ``mathlib_lemmas.txt``, ~1050
Mathlib lemmas in Lean syntax with the number types each holds at, old and new names,
every entry property-tested) is used through one unification mechanism
(``proofterm.instantiate``): the lemma's statement is matched first-order against the
arguments' propositions, the expected type or the goal, the number type inferred from
either (``sub_nonneg.2 h₁.2``); ``by``/``_`` arguments are elaborated after unification
(``le_div_iff (by positivity)``), ``(by tac : P)``/``show P by tac`` state their type.
``exact``/``have``/hint lists need every implicit argument determined; ``apply lemma``
leaves the hypotheses not given as new goals in order (no metavariable goals); ``rw
[lemma args]`` instantiates at the first match in traversal order (``↔`` lemmas rewrite
propositions) and leaves the hypotheses not given as side goals after the main goal;
``proofterm.lemma_rewrite_rules`` gives simp-like tactics the rules with their side
conditions. An unknown name fails with "unknown identifier 'foo' (… not in the
sandbox's lemma table)".

Errors are Lean-like: "unknown tactic 'foo' (line 1, column 0)", "unknown identifier
'h'", "type mismatch …", "no goals to be proved", "linarith failed to find a
contradiction", "omega could not prove the goal", "norm_num failed to simplify".
Tactics Lean has but the sandbox lacks fail
with "the sandbox does not implement the tactic '…'".
"""

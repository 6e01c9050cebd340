"""Global Lean/Mathlib names the sandbox recognises but does not support, by rejection category.

Owns ``KNOWN_GLOBALS`` (name -> short category used to group rejected statements, e.g.
``"Real.log"``, ``"gcd/lcm"``). Data only: the elaborator (``syntax_elab``) consults it to
turn an unsupported constant into a categorised ``ParseError`` instead of "unknown
identifier". Knows nothing about parsing or types.
"""

from __future__ import annotations

# Global names the sandbox recognises but does not support, with their rejection category.
KNOWN_GLOBALS = {
    "Real.pi": "Real.pi",
    "π": "Real.pi",
    "Real.logb": "logb",
    "logb": "logb",
    "Real.log": "Real.log",
    "Real.exp": "Real.exp",
    "Real.sin": "trigonometry",
    "Real.cos": "trigonometry",
    "Real.tan": "trigonometry",
    "Int.floor": "Int.floor ⌊⌋",
    "Int.ceil": "Int.ceil ⌈⌉",
    "Int.fract": "Int.fract",
    "Nat.floor": "Nat.floor",
    "Finset.sum": "Finset.sum (∑)",
    "Finset.prod": "Finset.prod (∏)",
    "Finset.card": "Finset.card",
    "Nat.Prime": "Nat.Prime",
    "Prime": "Nat.Prime",
    "Even": "Even/Odd",
    "Odd": "Even/Odd",
    "Nat.gcd": "gcd/lcm",
    "Nat.lcm": "gcd/lcm",
    "Int.gcd": "gcd/lcm",
    "gcd": "gcd/lcm",
    "lcm": "gcd/lcm",
    "Nat.choose": "Nat.choose",
    "Nat.factorial": "factorial !",
    "Irrational": "Irrational",
    "Complex.I": "complex numbers",
    "Complex.abs": "complex numbers",
    "Nat.digits": "Nat.digits",
    "Nat.divisors": "Nat.divisors",
    "IsLeast": "IsLeast/IsGreatest",
    "IsGreatest": "IsLeast/IsGreatest",
    "Function.Injective": "Function.Injective",
    "Nat.sqrt": "Nat.sqrt",
    "Fintype": "Fintype",
    "Real.rpow": "real powers (rpow)",
    "Nat.succ": "Nat.succ",
    "Int.natAbs": "Int.natAbs",
    "Int.toNat": "Int.toNat",
}

"""Decimal numerals of any length, without Python's int/str conversion limit.

Python refuses to convert integers of more than 4,300 decimal digits to or from text
(``sys.int_max_str_digits``, a guard against quadratic-time conversion). Lean has no such
limit, and a statement or a goal may hold a 10,000-digit numeral, so every place where the
sandbox turns a numeral's text into an integer or an integer into text goes through these
two functions, which split the work into chunks below the limit (divide and conquer, so
the cost stays near-linear in the number of chunks' sizes). Changing the interpreter-wide
limit instead would be hidden global state.
"""

from __future__ import annotations

_CHUNK = 4000  # decimal digits per direct conversion, below Python's 4,300 default


def parse_int(text: str) -> int:
    """``int(text)`` for a string of decimal digits (optional sign) of any length."""
    text = text.strip()
    sign = -1 if text.startswith("-") else 1
    digits = text.lstrip("+-").replace("_", "")
    if not digits.isdigit():
        raise ValueError(f"not a decimal numeral: {text[:40]!r}")
    return sign * _parse(digits)


def _parse(digits: str) -> int:
    if len(digits) <= _CHUNK:
        return int(digits)
    half = len(digits) // 2
    low = len(digits) - half
    return _parse(digits[:half]) * 10**low + _parse(digits[half:])


def int_str(n: int) -> str:
    """``str(n)`` for an integer of any size."""
    if n < 0:
        return "-" + int_str(-n)
    if n.bit_length() <= _CHUNK * 3:  # 3 bits < 1 decimal digit: certainly under the limit
        return str(n)
    digits = _digits_estimate(n)
    low = digits // 2
    high, rest = divmod(n, 10**low)
    return int_str(high) + int_str(rest).rjust(low, "0")


def _digits_estimate(n: int) -> int:
    return max(1, int(n.bit_length() * 0.30103))


def safe_repr(obj: object) -> str:
    """``repr(obj)``, and for a value holding an integer over Python's conversion limit the
    same text with that integer's digits (``repr`` would raise ``ValueError``)."""
    try:
        return repr(obj)
    except ValueError:
        return _big_repr(obj)


def _big_repr(obj: object) -> str:
    from dataclasses import fields, is_dataclass
    from fractions import Fraction

    if isinstance(obj, int) and not isinstance(obj, bool):
        return int_str(obj)
    if isinstance(obj, Fraction):
        return f"Fraction({int_str(obj.numerator)}, {int_str(obj.denominator)})"
    if isinstance(obj, tuple):
        inner = ", ".join(_big_repr(x) for x in obj)
        return f"({inner},)" if len(obj) == 1 else f"({inner})"
    if isinstance(obj, list):
        return "[" + ", ".join(_big_repr(x) for x in obj) + "]"
    if isinstance(obj, dict):
        return "{" + ", ".join(f"{_big_repr(k)}: {_big_repr(v)}" for k, v in obj.items()) + "}"
    if is_dataclass(obj) and not isinstance(obj, type):
        parts = ", ".join(f"{f.name}={_big_repr(getattr(obj, f.name))}" for f in fields(obj) if f.repr)
        return f"{type(obj).__qualname__}({parts})"
    return repr(obj)

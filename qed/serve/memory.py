"""Giving memory back after a big model call, and reading the process's resident size.

Owns ``release_memory``: a garbage-collection pass, the accelerator's cached blocks returned
(``torch.cuda.empty_cache``) and, on glibc, ``malloc_trim(0)`` so freed heap pages go back to
the operating system instead of staying in the allocator's arenas (without it, the resident
size after one large request stays at its peak). ``rss_bytes`` is what tests, ``/health`` and
the load benchmark read.

Knows nothing about models, requests or HTTP.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import sys
from functools import cache


@cache
def _malloc_trim():
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        trim = libc.malloc_trim
    except (OSError, AttributeError):  # not glibc (musl has no malloc_trim)
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return trim


def release_memory() -> None:
    """Collect garbage, empty the CUDA cache (when torch and CUDA are loaded), trim the C heap."""
    gc.collect()
    torch = sys.modules.get("torch")
    if torch is not None and torch.cuda.is_available() and torch.cuda.is_initialized():
        torch.cuda.empty_cache()
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


def rss_bytes() -> int:
    """This process's resident set size in bytes (0 where it cannot be read)."""
    try:
        import psutil

        return int(psutil.Process().memory_info().rss)
    except Exception:  # psutil missing or the platform refuses: report nothing rather than fail
        return 0

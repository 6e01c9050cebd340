"""Request bodies of the OpenAI-compatible API, validated at the edge (pydantic).

Owns which fields ``qed serve`` accepts and their ranges; a body that violates them is
answered 422 by FastAPI with a message naming the field. Unknown fields are ignored (as
OpenAI-compatible servers do) so clients written for vLLM work unchanged. Every string must be
encodable as UTF-8 (JSON allows lone surrogates such as ``"\\ud800"``; no tokenizer does),
floats must be finite, and a seed must fit torch's 64-bit generator. Limits that depend on the
model or the server's budget (context length, n x max_tokens, memory) are checked by
``qed.serve.app`` per request, also answered 422 naming the field.

Knows nothing about models or batching.
"""

from __future__ import annotations

from pydantic import BaseModel, Field, field_validator

SEED_MIN, SEED_MAX = -(2**63), 2**64 - 1  # what torch.manual_seed accepts
STOP_MAX_CHARS = 64  # stop-string matching builds tables of vocabulary x stop length


def _utf8(field: str, strings: list[str]) -> None:
    for s in strings:
        try:
            s.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise ValueError(f"{field} is not valid Unicode text (a lone surrogate at character "
                             f"{exc.start})") from None


class CompletionRequest(BaseModel):
    """``POST /v1/completions``. ``logprobs`` (0-5) asks for per-token log-probabilities;
    only the sampled token is reported in ``top_logprobs``."""

    model: str | None = None
    prompt: str | list[str]
    n: int = Field(1, ge=1, le=256)
    temperature: float = Field(1.0, ge=0.0, le=10.0, allow_inf_nan=False)
    top_p: float = Field(1.0, gt=0.0, le=1.0, allow_inf_nan=False)
    max_tokens: int = Field(64, ge=1, le=8192)
    stop: str | list[str] | None = None
    logprobs: int | None = Field(None, ge=0, le=5)
    seed: int | None = Field(None, ge=SEED_MIN, le=SEED_MAX)
    echo: bool = False
    stream: bool = False

    @field_validator("prompt")
    @classmethod
    def _prompt_nonempty(cls, v: str | list[str]) -> str | list[str]:
        prompts = [v] if isinstance(v, str) else v
        if not prompts:
            raise ValueError("prompt must be a string or a non-empty list of strings")
        if any(not p for p in prompts):
            raise ValueError("prompt strings must be non-empty")
        _utf8("prompt", prompts)
        return v

    @field_validator("stop")
    @classmethod
    def _stop_ok(cls, v: str | list[str] | None) -> str | list[str] | None:
        stops = [v] if isinstance(v, str) else (v or [])
        if len(stops) > 8 or any(not s or len(s) > STOP_MAX_CHARS for s in stops):
            raise ValueError(f"stop must be at most 8 non-empty strings of at most {STOP_MAX_CHARS} "
                             f"characters")
        _utf8("stop", stops)
        return v

    @field_validator("model")
    @classmethod
    def _model_text(cls, v: str | None) -> str | None:
        if v is not None:
            _utf8("model", [v])
        return v

    @field_validator("echo", "stream")
    @classmethod
    def _unsupported(cls, v: bool) -> bool:
        if v:
            raise ValueError("echo and stream are not supported by qed serve")
        return v

    def prompts(self) -> list[str]:
        return [self.prompt] if isinstance(self.prompt, str) else list(self.prompt)

    def stops(self) -> tuple[str, ...]:
        return (self.stop,) if isinstance(self.stop, str) else tuple(self.stop or ())


class EmbeddingRequest(BaseModel):
    """``POST /v1/embeddings``: ``input`` is one string or a list; float vectors only."""

    model: str | None = None
    input: str | list[str]
    encoding_format: str = "float"

    @field_validator("input")
    @classmethod
    def _input_nonempty(cls, v: str | list[str]) -> str | list[str]:
        if isinstance(v, list) and not v:
            raise ValueError("input must be a string or a non-empty list of strings")
        _utf8("input", [v] if isinstance(v, str) else v)
        return v

    @field_validator("model")
    @classmethod
    def _model_text(cls, v: str | None) -> str | None:
        if v is not None:
            _utf8("model", [v])
        return v

    @field_validator("encoding_format")
    @classmethod
    def _float_only(cls, v: str) -> str:
        if v != "float":
            raise ValueError("only encoding_format='float' is supported")
        return v

    def texts(self) -> list[str]:
        return [self.input] if isinstance(self.input, str) else list(self.input)

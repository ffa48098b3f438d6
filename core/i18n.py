"""Language negotiation and bilingual text (Bahasa Indonesia first, English second)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

Language = Literal["id", "en"]
SUPPORTED: tuple[Language, ...] = ("id", "en")


@dataclass(frozen=True, slots=True)
class Text:
    """A message in both languages; `{name}` placeholders are filled by `render`."""

    id: str
    en: str

    def render(self, language: str, **params: Any) -> str:
        template = self.en if language == "en" else self.id
        return template.format(**params) if params else template


def negotiate(accept_language: str | None, default: Language) -> Language:
    """Pick id or en from an Accept-Language header by q-value; anything else gets the default."""
    if not accept_language:
        return default
    best: tuple[float, int, Language] | None = None
    for position, part in enumerate(accept_language.split(",")):
        tag, _, params = part.strip().partition(";")
        primary = tag.strip().lower().split("-")[0]
        if primary not in SUPPORTED:
            continue
        quality = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if quality <= 0:
            continue
        candidate = (quality, -position, primary)
        if best is None or candidate > best:
            best = candidate
    return best[2] if best else default

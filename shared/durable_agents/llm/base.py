"""The language model interface the travel agent uses, and the per-process provider factory."""

from __future__ import annotations

from datetime import date
from functools import cache
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from .models import ComposeRequest, Extraction, PlannedCall, TravelSlots

if TYPE_CHECKING:
    from ..config import Settings


@runtime_checkable
class LanguageModel(Protocol):
    """Extraction, planning and wording for the travel agent."""

    def extract(
        self, message: str, *, known: TravelSlots, today: date, asked: tuple[str, ...] = ()
    ) -> Extraction:
        """The intent of ``message`` and the slots it states (only those), given the ``known`` slots and
        what the agent ``asked`` for last (``origin``, ``dates``, ...: a bare answer fills that)."""
        ...

    def plan(self, extraction: Extraction, slots: TravelSlots) -> list[PlannedCall]:
        """The tool calls to make for ``extraction`` given the conversation's merged ``slots``."""
        ...

    def compose(self, request: ComposeRequest) -> str:
        """The reply text: an answer from the tool results, a clarifying question, or small talk."""
        ...


def get_language_model(settings: Settings | None = None) -> LanguageModel:
    """The provider ``settings`` selects (default: :func:`durable_agents.config.settings`).

    ``llm_provider="embedded"`` (the default) gives the rule-based engine; ``"bedrock"`` the Bedrock
    provider for ``bedrock_model_id``. One instance per provider and model id per process.
    """
    if settings is None:
        from ..config import settings as current_settings

        settings = current_settings()
    return _language_model(settings.llm_provider, settings.bedrock_model_id)


@cache
def _language_model(provider: str, model_id: str) -> LanguageModel:
    if provider == "bedrock":
        from .bedrock import BedrockLanguageModel

        return BedrockLanguageModel(model_id)
    from .embedded import EmbeddedLanguageModel

    return EmbeddedLanguageModel()

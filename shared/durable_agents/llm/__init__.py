"""The language layer: intent and slot extraction, tool planning and answer wording for the travel agent.

Two providers implement :class:`LanguageModel`: the embedded rule-based engine (default, offline) and
Amazon Bedrock (``LLM_PROVIDER=bedrock``). Get the configured one with :func:`get_language_model`.
Importing this package is cheap: providers, boto3 and the airport data load on first use.
"""

from .base import LanguageModel, get_language_model
from .models import (
    INTERESTS,
    ComposeRequest,
    Extraction,
    Intent,
    Interest,
    Money,
    Place,
    PlannedCall,
    Span,
    ToolName,
    ToolResult,
    Travellers,
    TravelSlots,
)

__all__ = [
    "INTERESTS",
    "ComposeRequest",
    "Extraction",
    "Intent",
    "Interest",
    "LanguageModel",
    "Money",
    "Place",
    "PlannedCall",
    "Span",
    "ToolName",
    "ToolResult",
    "TravelSlots",
    "Travellers",
    "get_language_model",
]

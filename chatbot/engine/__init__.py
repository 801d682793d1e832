"""Pure-Python chatbot engine (no Django): symptom interview, red flags and retrieval QA."""

from .core import NOTICE, Engine, Intent, Turn, Urgency
from .retrieval import (
    KnowledgeDoc,
    Retriever,
    build_knowledge,
    doc_from_disease,
    doc_from_faq,
)

__all__ = [
    "NOTICE",
    "Engine",
    "Intent",
    "KnowledgeDoc",
    "Retriever",
    "Turn",
    "Urgency",
    "build_knowledge",
    "doc_from_disease",
    "doc_from_faq",
]

"""Template filters for admin-edited content shown in a fallback language (portal.content_language)."""

from django import template
from django.utils.html import format_html

from portal.content_language import fallback_languages

register = template.Library()


@register.filter
def untranslated(obj) -> dict[str, str]:
    """{% with missing=disease|untranslated %}: field -> the language its text is shown in."""
    return fallback_languages(obj)


@register.filter
def lang_attr(missing: dict | None, field: str) -> str:
    """<div{{ missing|lang_attr:"summary" }}> -> <div lang="en"> when that text is a fallback."""
    lang = (missing or {}).get(field)
    return format_html(' lang="{}"', lang) if lang else ""

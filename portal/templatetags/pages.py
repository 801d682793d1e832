"""Template filters for how pages word levels and waits (the words live in the presenters)."""

from django import template

from diagnosis.presenters import duration_words, level_badge, level_name

register = template.Library()


@register.filter
def level_badge_text(level) -> str:
    """{{ case.level|level_badge_text }} -> "Level 2 · Urgent"."""
    return level_badge(level)


@register.filter
def level_words(level) -> str:
    """{{ case.level|level_words }} -> "Urgent"."""
    return level_name(level)


@register.filter
def duration(minutes) -> str:
    """{{ 2837|duration }} -> "1 day 23 hours"."""
    return duration_words(minutes)

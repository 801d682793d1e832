"""Triage level names and advice per language (django-modeltranslation), like the disease
content: admins edit the Spanish beside the English, and level.patient_advice reads the active
language, falling back to English when the Spanish is empty."""

from modeltranslation.translator import TranslationOptions, register

from triage.models import TriageLevel


@register(TriageLevel)
class TriageLevelTranslationOptions(TranslationOptions):
    fields = ("name", "patient_advice")

"""Disease content per language (django-modeltranslation): admins edit the Spanish beside the
English, and obj.summary reads the active language, falling back to English when empty."""

from modeltranslation.translator import TranslationOptions, register

from diagnosis.models import Disease


@register(Disease)
class DiseaseTranslationOptions(TranslationOptions):
    fields = ("name", "summary", "causes", "typical_look", "action", "timeframe", "emergency_signs")

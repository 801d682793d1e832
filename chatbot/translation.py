"""FAQ entries per language (django-modeltranslation), like the disease content."""

from modeltranslation.translator import TranslationOptions, register

from chatbot.models import Faq


@register(Faq)
class FaqTranslationOptions(TranslationOptions):
    fields = ("question", "answer", "keywords")

"""Which admin-edited texts (django-modeltranslation fields) a reader sees in another language.

Where the active language has no text, modeltranslation shows the fallback (English); pages say
so once per card and mark the fallback text with its lang so screen readers pronounce it right.
"""

from modeltranslation.translator import NotRegistered, translator
from modeltranslation.utils import build_localized_fieldname, get_language, resolution_order


def fallback_languages(obj, fields=None) -> dict[str, str]:
    """Field -> language code of the text shown, for each translated field of obj that is empty in
    the active language and shown from a fallback language (empty in the default language)."""
    if obj is None:
        return {}
    try:
        registered = translator.get_options_for_model(type(obj)).fields
    except NotRegistered:
        return {}
    order = resolution_order(get_language())
    missing = {}
    for field in fields or registered:
        if field not in registered or getattr(obj, build_localized_fieldname(field, order[0]), None):
            continue
        # The first fallback language that has a text is the one modeltranslation shows.
        shown = next((lang for lang in order[1:] if getattr(obj, build_localized_fieldname(field, lang), None)), None)
        if shown:
            missing[field] = shown
    return missing

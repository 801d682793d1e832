"""The rules a new username must pass, the same for the web sign-up form and the API."""

import unicodedata

from confusable_homoglyphs import confusables
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


def username_clean(value: str) -> str:
    """The username as it will be stored (NFKC), or ValidationError if it may not be used.

    NFKC folds full-width and other compatibility forms (full-width NURSE is NURSE), as Django's
    own forms do. Letters must come from one script: a Cyrillic a inside a Latin name looks
    the same on screen, so a mixed name could pose as staff. Names differing only in case
    are one name.
    """
    username = unicodedata.normalize("NFKC", value)
    # Digits and punctuation (script "Common") go with any alphabet.
    if confusables.is_mixed_script(username):
        raise ValidationError(
            _("Use letters of one alphabet only (for example, no Cyrillic or Greek letters in a Latin name)."),
            code="mixed_script",
        )
    if get_user_model().objects.filter(username__iexact=username).exists():
        raise ValidationError(_("A user with that username already exists."), code="unique")
    return username

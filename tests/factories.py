"""Factories for every model the tests create (factory_boy), kept in one place."""

import factory
from django.contrib.auth import get_user_model

User = get_user_model()
DEFAULT_PASSWORD = "correct-horse-battery-staple-42"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    role = User.Role.PATIENT

    @factory.post_generation
    def password(self, create, extracted, **kwargs):
        self.set_password(extracted or DEFAULT_PASSWORD)
        if create:
            self.save(update_fields=["password"])


class PatientFactory(UserFactory):
    """A patient who consented to the privacy notice in force (photos and contact), as sign-up asks.

    `PatientFactory(consent=False)` makes one who has not (an account from before consent existed).
    """

    role = User.Role.PATIENT

    @factory.post_generation
    def consent(self, create, extracted, **kwargs):
        from django.conf import settings

        from portal.accounts.models import Consent

        if create and extracted is not False:
            for kind in Consent.Kind.values:
                Consent.objects.get_or_create(
                    user=self,
                    kind=kind,
                    version=settings.PRIVACY_NOTICE_VERSION,
                    withdrawn_at=None,
                    defaults={"source": Consent.Source.SIGNUP},
                )


class NurseFactory(UserFactory):
    role = User.Role.NURSE


class AdminFactory(UserFactory):
    role = User.Role.ADMIN
    is_staff = True
    is_superuser = True


# A ranked result whose top class is benign but whose melanoma probability passes its safety
# threshold: the pages must say why a nurse looks within the urgent target anyway.
BENIGN_BUT_MELANOMA_PLAUSIBLE = [
    ["pigmented_benign_keratosis", 0.70],
    ["melanoma", 0.18],
    ["nevus", 0.05],
    ["basal_cell_carcinoma", 0.03],
    ["dermatofibroma", 0.02],
    ["vascular_lesion", 0.01],
    ["actinic_keratosis", 0.005],
    ["squamous_cell_carcinoma", 0.005],
]

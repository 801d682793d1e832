"""The classifier's context: profile, upload answers and chat answers, unknowns left out."""

import pytest
from django.utils import timezone

from chatbot.models import Conversation
from diagnosis import services
from diagnosis.context import slots_context, submission_context
from tests.images import upload_file

pytestmark = pytest.mark.django_db


def _submission(patient, **answers):
    return services.submission_create(patient=patient, image=upload_file(), **answers)


def _chat(submission, created_offset_s: int = 0, **slots):
    conversation = Conversation.objects.create(
        patient=submission.patient, submission=submission, state={"slots": slots}
    )
    if created_offset_s:
        Conversation.objects.filter(pk=conversation.pk).update(
            created_at=timezone.now() + timezone.timedelta(seconds=created_offset_s)
        )
    return conversation


def test_profile_and_upload_answers_become_the_context(patient_alice):
    # given
    year = timezone.now().year
    patient_alice.year_of_birth, patient_alice.sex, patient_alice.skin_type = year - 63, "female", 2
    patient_alice.save()
    submission = _submission(
        patient_alice,
        body_site="face",
        dermoscope=True,
        itch="yes",
        grew="no",
        hurt="unsure",
        bleed="yes",
        diameter_mm=6.5,
    )
    # when
    context = submission_context(submission)
    # then: yes/no are booleans; "unsure" and unanswered questions are left out, never None
    assert context == {
        "age": 63,
        "sex": "female",
        "fitzpatrick": 2,
        "body_site": "face",
        "itch": True,
        "grew": False,
        "bleed": True,
        "diameter_mm": 6.5,
        "dermoscope": True,
    }


def test_an_empty_profile_and_no_answers_give_only_the_dermoscope_flag(patient_alice):
    # given: sex "other" is not a value the model knows
    patient_alice.sex = "other"
    patient_alice.save()
    # when
    context = submission_context(_submission(patient_alice))
    # then
    assert context == {"dermoscope": False}
    assert None not in context.values()


def test_a_chat_answer_overrides_the_form_and_an_unsure_one_leaves_it(patient_alice):
    # given: the form said it never bled and grew; the chat says it bleeds, and is unsure it grew
    submission = _submission(patient_alice, bleed="no", grew="yes")
    _chat(submission, bleeding=True, size_change=None, diameter_mm=8.0)
    # when
    context = submission_context(submission)
    # then
    assert context["bleed"] is True
    assert context["grew"] is True
    assert context["diameter_mm"] == 8.0


def test_changed_is_true_if_any_change_and_false_only_when_all_three_are_denied():
    assert slots_context({"size_change": False, "shape_irregular": False, "colour_irregular": True})["changed"] is True
    assert (
        slots_context({"size_change": False, "shape_irregular": False, "colour_irregular": False})["changed"] is False
    )
    assert "changed" not in slots_context({"size_change": False, "shape_irregular": False})
    assert "changed" not in slots_context({"size_change": False, "shape_irregular": None, "colour_irregular": False})


def test_chat_slots_map_to_context_keys_and_other_slots_are_ignored():
    # when
    context = slots_context({"bleeding": False, "size_change": True, "sensation": True, "duration_days": 30.0})
    # then
    assert context == {"bleed": False, "grew": True, "changed": True}


def test_an_implausible_chat_size_is_not_passed_on():
    assert "diameter_mm" not in slots_context({"diameter_mm": 5000.0})
    assert "diameter_mm" not in slots_context({"diameter_mm": None})


def test_a_later_conversation_wins_over_an_earlier_one(patient_alice):
    # given
    submission = _submission(patient_alice)
    _chat(submission, bleeding=True)
    _chat(submission, created_offset_s=60, bleeding=False)
    # when / then
    assert submission_context(submission)["bleed"] is False


def test_what_the_patient_tells_the_chatbot_reaches_the_context(patient_alice):
    from chatbot import services as chat

    # given
    submission = _submission(patient_alice, bleed="no")
    conversation = chat.conversation_start(patient=patient_alice, submission=submission)
    # when
    chat.conversation_reply(conversation=conversation, text="it bleeds")
    # then
    assert submission_context(submission)["bleed"] is True

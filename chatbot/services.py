"""Writes on conversations: start one, take a patient's message, and hand findings to triage."""

from django.db import transaction
from django.utils import timezone

from chatbot.engine import Engine, build_knowledge
from chatbot.models import Conversation, Faq, Message
from diagnosis.context import slots_context
from diagnosis.models import Disease, Submission
from diagnosis.services import submission_request_rescore

DISEASE_FIELDS = (
    "code",
    "name",
    "summary",
    "causes",
    "typical_look",
    "action",
    "timeframe",
    "emergency_signs",
    "references",
)


def knowledge_base() -> list:
    """The chatbot's only source of medical facts: the admin-managed disease and FAQ content.

    Read on each call so an admin's edit is answered from at once; the engine caches the fitted
    retriever by content hash, so an unchanged knowledge base is not refitted.
    """
    diseases = list(Disease.objects.values(*DISEASE_FIELDS))
    faqs = list(Faq.objects.filter(is_published=True).values("slug", "question", "answer", "keywords", "references"))
    return build_knowledge(diseases, faqs)


def _context(conversation: Conversation) -> dict:
    patient, submission = conversation.patient, conversation.submission
    context = {"top_class": None, "body_site": None, "symptoms": None, "age": None, "screen": {}}
    if patient.year_of_birth:
        context["age"] = timezone.now().year - patient.year_of_birth
    if submission is not None:
        context["body_site"] = submission.body_site or None
        context["symptoms"] = submission.symptoms or None
        # The red-flag screen answered on the upload form is not asked again (except "not sure").
        context["screen"] = dict(submission.screen or {})
        prediction = getattr(submission, "prediction", None) if submission.status == Submission.Status.DONE else None
        context["top_class"] = prediction.top if prediction else None
    return context


def _engine(conversation: Conversation) -> Engine:
    return Engine(knowledge=knowledge_base(), context=_context(conversation), today=timezone.localdate())


def _apply_turn(conversation: Conversation, turn) -> None:
    """Keep the conversation's triage facts; they only ever accumulate (flags) or rise."""
    conversation.state = turn.state
    conversation.red_flags = sorted(set(conversation.red_flags) | set(turn.red_flags))
    if turn.seven_point_score is not None:
        conversation.seven_point_score = turn.seven_point_score
    if turn.urgency:
        conversation.urgency = turn.urgency
        conversation.reasons = list(turn.reasons)
    conversation.save(update_fields=["state", "red_flags", "seven_point_score", "urgency", "reasons", "updated_at"])


def _bot_message(conversation: Conversation, turn) -> Message:
    return Message.objects.create(
        conversation=conversation,
        sender=Message.Sender.BOT,
        text=turn.reply,
        meta={
            "intent": turn.intent,
            "topic": turn.topic,
            "sources": turn.sources,
            "urgency": turn.urgency,
            # The screen question this message asks and its tap answers (none once it is over).
            "question": turn.question,
            "choices": turn.choices,
        },
    )


@transaction.atomic
def conversation_start(*, patient, submission: Submission | None = None) -> Conversation:
    conversation = Conversation.objects.create(patient=patient, submission=submission)
    engine = _engine(conversation)
    state = engine.new_state()
    turn = engine.opening_turn(state)
    _apply_turn(conversation, turn)
    _bot_message(conversation, turn)
    _retriage(conversation)
    return conversation


def _retriage(conversation: Conversation):
    from triage.services import case_apply_conversation

    return case_apply_conversation(conversation=conversation)


@transaction.atomic
def conversation_reply(*, conversation: Conversation, text: str) -> dict:
    """Store the patient's message, let the engine answer, re-triage at once, store the reply."""
    conversation = Conversation.objects.select_for_update().get(pk=conversation.pk)
    Message.objects.create(conversation=conversation, sender=Message.Sender.PATIENT, text=text)
    case_before = _linked_case(conversation)
    level_before = case_before.level if case_before else None
    answers_before = slots_context((conversation.state or {}).get("slots") or {})
    turn = _engine(conversation).reply(conversation.state, text)
    _apply_turn(conversation, turn)
    case = _retriage(conversation)
    if conversation.submission_id and slots_context(conversation.state.get("slots") or {}) != answers_before:
        # The photo's model takes these answers as context: score it again with them.
        submission_request_rescore(submission_id=conversation.submission_id)
    reply = turn.reply
    if case is not None and level_before is not None and case.level < level_before:
        # Fusion with the photo's result: say plainly that the answers raised the priority.
        reply += (
            f"\n\nBecause of your answers, your case was moved up from level {level_before} to level "
            f"{case.level}. A nurse will see it sooner."
        )
    elif case is not None and level_before is None and case.level == 1:
        reply += "\n\nA nurse has been alerted to your case."
    turn.reply = reply
    _bot_message(conversation, turn)
    return {
        "reply": reply,
        "urgency": conversation.urgency or None,
        "red_flags": list(conversation.red_flags),
        "seven_point_score": conversation.seven_point_score,
        "triage_level": case.level if case is not None else turn.triage_level,
        "sources": turn.sources,
        "finished": turn.finished,
        "question": turn.question,
        "choices": turn.choices,
    }


def _linked_case(conversation: Conversation):
    from triage.models import Case

    if conversation.case_id:
        return conversation.case
    if conversation.submission_id:
        return Case.objects.filter(submission_id=conversation.submission_id).first()
    return None

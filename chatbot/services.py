"""Writes on conversations: start one, take a patient's message, and hand findings to triage."""

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation.trans_real import parse_accept_lang_header

from chatbot.engine import Engine, build_knowledge, messages
from chatbot.models import Conversation, Faq, Message
from diagnosis.context import slots_context
from diagnosis.models import Disease, Submission
from diagnosis.services import submission_request_rescore

# The disease and FAQ texts admins translate (diagnosis/translation.py, chatbot/translation.py).
DISEASE_TEXT = ("name", "summary", "causes", "typical_look", "action", "timeframe", "emergency_signs")
FAQ_TEXT = ("question", "answer", "keywords")


def _in_language(obj, fields: tuple[str, ...], language: str, required: str) -> tuple[dict, str]:
    """obj's texts in language when its required field is translated, else all in English (a
    page half in one language and half in another would read badly); and the language used."""
    use = language if language != "en" and getattr(obj, f"{required}_{language}", None) else "en"
    row = {}
    for name in fields:
        value = getattr(obj, f"{name}_{use}", None)
        if value in (None, "", []):
            # Rows written before the translations existed, or an empty Spanish field.
            value = getattr(obj, f"{name}_en", None) or obj.__dict__.get(name) or getattr(obj, name)
        row[name] = value
    return row, use


def knowledge_base(language: str = "en") -> list:
    """The chatbot's only source of medical facts: the admin-managed disease and FAQ content,
    in the conversation's language where an admin has translated it (else English, marked so).

    Read on each call so an admin's edit is answered from at once; the engine caches the fitted
    retriever by content hash, so an unchanged knowledge base is not refitted.
    """
    lang = messages.spoken(language)
    diseases, faqs = [], []
    for disease in Disease.objects.all():
        row, used = _in_language(disease, DISEASE_TEXT, lang, "summary")
        diseases.append({**row, "code": disease.code, "references": disease.references, "language": used})
    for faq in Faq.objects.filter(is_published=True):
        row, used = _in_language(faq, FAQ_TEXT, lang, "answer")
        faqs.append({**row, "slug": faq.slug, "references": faq.references, "language": used})
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
    language = conversation.language or settings.LANGUAGE_CODE
    return Engine(
        knowledge=knowledge_base(language),
        context={**_context(conversation), "emergency_number": settings.EMERGENCY_NUMBER},
        today=timezone.localdate(),
        language=language,
    )


def conversation_language(*, active: str | None, accept_language: str = "", chosen: bool = False) -> str:
    """The language a new conversation is held in.

    active is the request's language (LocaleMiddleware: the patient's choice, else the
    browser's, among settings.LANGUAGES). A browser that asks first for a language the site
    does not offer ("de") keeps that code, so the bot can give it the emergency-number line.
    """
    language = messages.base_language(active or settings.LANGUAGE_CODE)
    if chosen or language != messages.base_language(settings.LANGUAGE_CODE):
        return language
    preferred = parse_accept_lang_header(accept_language or "")
    if preferred and preferred[0][0] != "*":
        first = messages.base_language(preferred[0][0])
        if first not in {messages.base_language(code) for code, _ in settings.LANGUAGES}:
            return first[:16]
    return language


def request_language(request) -> str:
    """conversation_language for a Django request."""
    return conversation_language(
        active=getattr(request, "LANGUAGE_CODE", None) or translation.get_language(),
        accept_language=request.META.get("HTTP_ACCEPT_LANGUAGE", ""),
        chosen=settings.LANGUAGE_COOKIE_NAME in request.COOKIES,
    )


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
            # A tap-to-call action after an emergency, in the conversation's language.
            "actions": turn.actions,
            "language": turn.language,
        },
    )


@transaction.atomic
def conversation_start(*, patient, submission: Submission | None = None, language: str | None = None) -> Conversation:
    # Views and the API pass the request's language (request_language); other callers get the
    # site's default, never whatever language a previous request left active on this thread.
    language = (language or settings.LANGUAGE_CODE)[:16]
    conversation = Conversation.objects.create(patient=patient, submission=submission, language=language)
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
        reply += "\n\n" + messages.text(turn.language, "moved_up", before=level_before, after=case.level)
    elif case is not None and level_before is None and case.level == 1:
        reply += "\n\n" + messages.text(turn.language, "nurse_alerted")
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
        "actions": turn.actions,
    }


def _linked_case(conversation: Conversation):
    from triage.models import Case

    if conversation.case_id:
        return conversation.case
    if conversation.submission_id:
        return Case.objects.filter(submission_id=conversation.submission_id).first()
    return None

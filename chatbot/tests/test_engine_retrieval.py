"""Retrieval: answers come only from the knowledge documents, nonsense is refused."""

from pathlib import Path

import pytest

from chatbot.engine import Engine, KnowledgeDoc, Retriever

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def retriever(knowledge):
    return Retriever(knowledge)


@pytest.mark.parametrize(
    ("question", "doc_id"),
    [
        ("what is a basal cell carcinoma?", "disease:basal_cell_carcinoma"),
        ("is melanoma dangerous", "disease:melanoma"),
        ("wat causes actinic keratosys", "disease:actinic_keratosis"),
        ("how do I take a better photo", "faq:good-photo"),
        ("explain the ABCDE rule", "faq:abcde"),
        ("how accurate is the model", "faq:accuracy"),
        ("what happens after I get referred", "faq:after-referral"),
    ],
)
def test_questions_find_the_right_document(retriever, question, doc_id):
    answer = retriever.answer(question)
    assert answer is not None
    assert answer.doc.id == doc_id


@pytest.mark.parametrize(
    "question",
    [
        "what is the capital of France",
        "who won the football last night?",
        "how do I reset my password?",
        "is coffee bad for you",
    ],
)
def test_off_topic_questions_are_refused(retriever, question):
    assert retriever.answer(question) is None


def test_answer_quotes_the_document_and_names_its_source(knowledge):
    # given
    engine = Engine(knowledge)
    state = engine.new_state()
    engine.opening(state)
    # when
    turn = engine.reply(state, "what causes actinic keratosis?")
    # then the reply quotes the causes section of the actinic keratosis page
    doc = next(d for d in knowledge if d.id == "disease:actinic_keratosis")
    assert "Causes: It is caused by ultraviolet (UV) light" in turn.reply
    assert "Causes:" in doc.text
    assert doc.title in turn.reply
    assert turn.sources == [{"id": doc.id, "title": doc.title}]
    assert "not a diagnosis" in turn.reply


def test_refusal_offers_a_nurse_and_invents_nothing(knowledge):
    engine = Engine(knowledge)
    state = engine.new_state()
    engine.opening(state)
    turn = engine.reply(state, "what is the capital of France?")
    assert turn.topic is None
    assert turn.intent == "question"
    assert "nurse" in turn.reply
    assert "Paris" not in turn.reply


def test_only_the_given_documents_are_used():
    # given a one-document knowledge base
    doc = KnowledgeDoc(
        id="faq:x",
        title="Parking at the clinic",
        text="Parking is free behind the building.",
        source="faq",
    )
    engine = Engine([doc])
    state = engine.new_state()
    engine.opening(state)
    # when asked about a disease it has no page for
    turn = engine.reply(state, "what is a melanoma?")
    # then it refuses rather than answering from anywhere else
    assert turn.topic is None


def test_empty_knowledge_base_refuses_without_crashing():
    engine = Engine([])
    state = engine.new_state()
    engine.opening(state)
    assert engine.reply(state, "what is a melanoma?").topic is None

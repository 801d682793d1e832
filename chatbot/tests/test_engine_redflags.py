"""Red flags: each emergency is recognised, and denied symptoms never raise one."""

import pytest

from chatbot.engine import redflags


def flags(text: str) -> list[str]:
    return redflags.evaluate(redflags.extract_features(text)).codes


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("blisters all over my body and sores in my mouth", "widespread_blistering"),
        ("my skin is peeling off in sheets", "widespread_blistering"),
        ("I am red from head to toe and feel really ill", "erythroderma"),
        (
            "fever and a rash that doesn't fade when I press a glass on it",
            "non_blanching_rash_fever",
        ),
        (
            "purple spots that don't fade under a glass and he has a temperature",
            "non_blanching_rash_fever",
        ),
        ("my eczema has clusters of painful blisters and I have a fever", "eczema_herpeticum"),
        ("punched out sores on her eczema near her eye", "eczema_herpeticum"),
        ("the redness is spreading fast, it's hot and I'm shivering", "spreading_infection"),
        ("started allopurinol and now a rash and a high temperature", "drug_reaction_fever"),
        ("it won't stop bleeding", "uncontrolled_bleeding"),
        ("bleeding heavily from the mole", "uncontrolled_bleeding"),
        ("it keeps bleeding despite pressure", "uncontrolled_bleeding"),
        (
            "a temperature and dark red spots that stay when I press a glass on them",
            "non_blanching_rash_fever",
        ),
        ("I have a fever and did the glass test on my rash", "non_blanching_rash_fever"),
    ],
)
def test_emergency_descriptions_raise_their_flag(text, code):
    assert code in flags(text)


@pytest.mark.parametrize(
    "text",
    [
        "no fever, no blisters",
        "it's not bleeding",
        "without any fever",
        "I don't have a temperature and I feel fine",
        "no new medicines, no fever, no rash",
        "the redness isn't spreading and I don't feel ill",
        "not peeling, not blistering",
        "never bled",
        "I can't stop scratching it and it bled a bit",
        "it bled once but stopped on its own",
        "my sunburn is peeling a little",
        "a small purple spot that doesn't fade",
        "my eczema has a few small blisters",
        "I have a fever, I pressed a glass on the spots and they faded",
        "I pressed on the mole and it hurts",
    ],
)
def test_negated_or_minor_mentions_raise_no_flag(text):
    assert flags(text) == []


def test_flags_combine_across_messages():
    # given a spreading hot redness without fever, then fever in a later message
    first = redflags.extract_features("the red patch on my leg is hot and spreading")
    assert redflags.evaluate(first).codes == []
    assert redflags.evaluate(first).needs_fever_check
    # when
    merged = redflags.merge_features(first, redflags.extract_features("I've got a fever now"))
    # then
    assert redflags.evaluate(merged).codes == ["spreading_infection"]


def test_a_positive_feature_is_not_withdrawn_by_a_later_denial():
    merged = redflags.merge_features({"fever": "pos"}, {"fever": "neg"})
    assert merged["fever"] == "pos"


# Issue 15: emergencies the engine missed on the first message; each must be caught by the
# general rules (a red line from a wound, the shakes, pressure that fails, blood thinners).
@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("red line going up my arm from the cut, feeling hot n cold", "spreading_infection"),
        (
            "got bitten by the dog on tuesday, the redness is way past the line already and i've got "
            "the shakes n a temp",
            "spreading_infection",
        ),
        (
            "my husband cut his hand and it has been bleeding for over half an hour despite pressure. "
            "He takes warfarin",
            "uncontrolled_bleeding",
        ),
        ("it's still bleeding and I'm on blood thinners", "uncontrolled_bleeding"),
        (
            "can tablets cause a rash? started new ones last week and now i have a rash all over with a fever "
            "and my face has swollen up",
            "erythroderma",
        ),
    ],
)
def test_issue_15_missed_emergencies_are_caught(text, code):
    # when
    result = redflags.evaluate(redflags.extract_features(text))
    # then
    assert code in result.codes


@pytest.mark.parametrize(
    "text",
    [
        "it bled a little once last month, I take warfarin",
        "I'm feeling fine, it's a small spot",
        "I can't stop scratching it",
    ],
)
def test_issue_15_new_rules_stay_quiet_on_calm_messages(text):
    # when / then
    assert redflags.evaluate(redflags.extract_features(text)).codes == []

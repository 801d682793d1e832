"""Dermatological emergencies (TRIAGE.md red flags) found in free text, negation-aware."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from .nlu import Polarity, normalise, polarity, rx
from .textnorm import fold_text

# Codes shared with the triage service; the texts explain a flag to patient and nurse.
RED_FLAGS: dict[str, str] = {
    "widespread_blistering": "blistering or peeling skin, or sores in the mouth, eyes or genitals",
    "erythroderma": "red skin over most of the body",
    "non_blanching_rash_fever": "a rash that does not fade under pressure",
    "eczema_herpeticum": "painful clustered blisters or sores on eczema",
    "spreading_infection": "hot, painful redness that is spreading, with fever or feeling unwell",
    "drug_reaction_fever": "a rash with fever or swelling after starting a new medicine",
    "uncontrolled_bleeding": "bleeding that is heavy or will not stop",
    # Not a skin emergency in TRIAGE.md, but a bot that ignored it would be dangerous.
    "anaphylaxis": "swelling of the tongue or throat, or difficulty breathing",
}

FEATURES: dict[str, re.Pattern[str]] = {
    "fever": rx(
        r"fevers?\b",
        r"feverish",
        r"(high |a )?temperature",
        r"temp\b",
        r"hot and cold",
        r"shiver\w*",
        r"chills",
        r"rigou?rs",
        r"night sweats",
        r"burning up",
        r"3[89](\.\d)? ?(degrees|c\b)",
        r"10[0-4](\.\d)? ?(degrees|f\b)",
    ),
    "unwell": rx(
        r"unwell",
        r"(feel|feels|feeling|felt|am|i'm|is|he's|she's|really|very|so) (very |really "
        r"|so |quite )?(ill|sick|poorly|rough|terrible|awful|rubbish|dreadful|horrible|weak|dizzy"
        r"|faint|drowsy|confused)",
        r"under the weather",
        r"flu\b",
        r"flu-like",
        r"achy",
        r"aching all over",
        r"drowsy",
        r"confused",
        r"lethargic",
        r"floppy",
        r"vomiting",
        r"being sick",
        r"stiff neck",
        r"sore throat",
        r"run down",
    ),
    "rash": rx(
        r"rash\w*",
        r"spots\b",
        r"blotch\w*",
        r"hives",
        r"welts",
        r"patches",
        r"dots\b",
        r"marks\b",
        r"bumps\b",
    ),
    "non_blanching": rx(
        r"non[- ]?blanch\w*",
        r"(not|doesn't|does not|don't|do not|didn't|won't|isn't|aren't|never)"
        r" (blanch\w*|fading|fade)",
        r"petechi\w*",
        r"purpur\w*",
        r"pin ?prick (spots|rash|dots)",
        r"(tiny|small|little) (red|purple|dark|brown|reddish|purplish) (spots|dots|marks)",
        r"purple (spots|rash|blotches|patches|dots|marks)",
        r"bruis\w+ (rash|spots)",
        r"rash (that )?looks like bruis\w*",
        r"(still|can) (see|visible)\w*[^,.]{0,25}(glass|tumbler)",
    ),
    "press_fade_fail": rx(
        r"(not|doesn't|does not|don't|do not|didn't|won't|isn't|aren't|never) (fade|disappear|go "
        r"away|go pale|turn white|change|vanish|lighten)\w*",
    ),
    "glass_or_press": rx(r"glass", r"tumbler", r"press\w*", r"push\w*"),
    "press_persist": rx(
        r"(stay|stays|stayed|remain\w*|persist\w*|still (there|visible|red|purple|dark|show\w*))",
        r"(can )?(still )?see (them|it|the spots|the rash|the dots) through",
    ),
    "press_faded": rx(
        r"(fade|fades|faded|fading|blanch\w*|disappear\w*|go(es)? away|went away|vanish\w*"
        r"|go(es)? pale|went pale|turn\w* white)",
    ),
    "blisters": rx(r"blister\w*", r"bullae?", r"fluid[- ]filled"),
    "widespread": rx(
        r"all over( (my|his|her|the|their))? (body|skin|trunk|torso)",
        r"all over\s*$",
        r"(whole|entire|most of( my| his| her| the)?) (body|skin)",
        r"head to toe",
        r"everywhere",
        r"over (my|his|her) (whole |entire )?body",
        r"large areas?",
        r"big areas?",
        r"covering (my|his|her) (whole |entire )?(body|chest|back|arms|legs|torso)",
        r"widespread",
        r"spread(ing)? (all )?over",
        r"most of (my|his|her) (body|skin)",
    ),
    "peeling": rx(r"peel\w*"),
    "skin_off": rx(
        r"skin (is )?(coming|falling|sliding|peeling) off",
        r"sheets of skin",
        r"(peel\w*|coming off) in sheets",
        r"slough\w*",
        r"skin (is )?(shedding|lifting)",
        r"raw (skin|areas?)",
        r"skin (looks )?(burned|burnt|scalded)",
    ),
    "mucosal": rx(
        r"(sores?|ulcers?|blisters?|lesions?|crusts?|spots) (in|on|inside|around) (my |his |her "
        r"|the )?(mouth|lips?|eyes?|genitals?|privates?|private parts|tongue|throat|gums|vagina"
        r"|penis)",
        r"(mouth|lip|eye|genital) (sores|ulcers|blisters)",
        r"(sore|red|painful|crusted|sticky|burning|gritty) eyes",
        r"crusted lips",
        r"eyes? (are|is|feel|feels) (sore|red|painful|burning|gritty|stuck)",
        r"lips? (are|is) (crusted|cracked|peeling|bleeding|blistered|raw)",
        r"(can't|cannot|hard to|unable to) (eat|swallow)",
        r"painful to swallow",
    ),
    "eczema": rx(r"eczema\w*", r"atopic dermatitis", r"dermatitis"),
    "herpetic": rx(
        r"punched[- ]?out",
        r"cold sores?",
        r"herpes",
        r"herpeticum",
        r"clusters? of (small )?(blisters|sores|spots|bumps)",
        r"clustered",
        r"(painful|sore|weeping|crusted|oozing|spreading) (little |small )?(blisters|sores)",
        r"(blisters|sores) (that are |are )?(spreading|painful|weeping)",
    ),
    "near_eye": rx(r"(near|around|close to|next to|by|on) (my |his |her |the )?(eye|eyes|eyelids?)"),
    "red_skin": rx(
        r"red\b",
        r"redder",
        r"redness",
        r"reddish",
        r"inflam\w*",
        r"erythem\w*",
        r"purple",
        r"angry",
    ),
    "spreading": rx(
        r"spread\w*",
        r"getting (bigger|larger|worse|wider)",
        r"growing (fast|quickly|rapidly)",
        r"red (line|streak)s?",
        r"tracking (up|down)",
        r"moving up (my|his|her|the) (leg|arm)",
        r"(doubled|tripled) in size",
        r"(bigger|larger|worse) (every|by the) (hour|few hours)",
        r"past the (pen|marker) (line|mark)",
        r"creeping up",
    ),
    "hot_painful": rx(
        r"hot\b",
        r"warm\b",
        r"painful",
        r"pain\b",
        r"agony",
        r"tender",
        r"swollen",
        r"swelling",
        r"throbbing",
        r"burning",
    ),
    "infection": rx(
        r"cellulitis",
        r"infect\w*",
        r"abscess",
        r"necrotis\w*",
        r"necrotiz\w*",
        r"flesh[- ]eating",
        r"septic",
        r"sepsis",
    ),
    "necrosis": rx(
        r"necrotis\w*",
        r"necrotiz\w*",
        r"flesh[- ]eating",
        r"(turning|gone|going|turned) (black|dusky|grey|purple)",
    ),
    "new_drug": rx(
        r"(started|starting|began|begun|new|changed|switched|put on|put me on|prescribed|given"
        r"|course of|been on|been taking|started taking)\b[^,.]{0,30}(medicine|medication|meds"
        r"|tablets?|pills?|drugs?|antibiotics?|injections?|treatment|allopurinol|lamotrigine"
        r"|carbamazepine|phenytoin|amoxicillin|penicillin|trimethoprim|co-?trimoxazole|septrin"
        r"|sulfa\w*|nevirapine|vaccine|jab)",
        r"(allopurinol|lamotrigine|carbamazepine|phenytoin|nevirapine|co-?trimoxazole"
        r"|sulfasalazine|sulfamethoxazole)",
        r"new (medicine|medication|meds|tablets?|pills?|drugs?|prescription)",
        r"(medicine|medication|tablets?|pills?|antibiotics?) (i|he|she) started",
    ),
    "swelling_face": rx(
        r"(face|facial|lips?|eyes?|eyelids?|glands?|neck|lymph nodes?) (is |are |has |have |got "
        r"|getting |gone |all )*(swollen|swelling|puffy|puffed up|swelled)",
        r"swollen (face|lips?|eyes?|glands?|neck|lymph)",
        r"swelling (of|in|on|around) (my |his |her |the )?(face|lips?|eyes|neck|glands)",
    ),
    "bleeding": rx(r"bleed\w*", r"bled\b", r"blood\b", r"haemorrhag\w*"),
    "heavy_bleeding": rx(
        r"(bleed\w*|bled) (very |really |so )?(heavily|a lot|lots|loads|badly|profusely|everywhere"
        r"|non[- ]?stop|nonstop|continuously|constantly|like crazy)",
        r"(heavy|profuse|massive|serious) bleeding",
        r"(a lot of|lots of|loads of|so much|pool of|puddle of|tons of) blood",
        r"(pouring|gushing|spurting|streaming|pumping) (with )?(blood|out)",
        r"blood (is )?(pouring|gushing|spurting|streaming|everywhere|running down|pumping)",
        r"(soaked|soaking|soaks|soaked through|bled through) (through )?"
        r"(the |a |my |two |several )?"
        r"(towels?|bandages?|plasters?|dressings?|tissues?|cloths?|shirt|gauze)",
        r"keeps? (on )?bleeding (even|despite|after|through|with)",
        r"still bleeding (after|despite|even)",
    ),
    "breathing": rx(
        r"can't breathe",
        r"cannot breathe",
        r"(difficulty|trouble|struggling|hard|problems?|"
        r"difficult) (breathing|to breathe)",
        r"short of breath",
        r"throat (is )?(closing|swelling"
        r"|tight)",
        r"tongue (is )?(swollen|swelling)",
        r"swollen tongue",
        r"wheez\w*",
    ),
    "chickenpox": rx(r"chicken ?pox", r"varicella"),
    "sunburn": rx(r"sunburn\w*", r"sun ?burnt", r"burnt in the sun", r"burned in the sun"),
    "named_sjs": rx(r"stevens[- ]johnson", r"sjs\b", r"toxic epidermal"),
    "named_erythroderma": rx(r"erythroderm\w*", r"exfoliative dermatitis"),
    "named_meningitis": rx(r"meningitis", r"meningococcal", r"sepsis", r"septicaemia"),
}

# A failure to stop bleeding is phrased many ways; "won't stop" only counts near a bleed word
# so that "I can't stop scratching it" is not read as uncontrolled bleeding.
_BLEED_NO_STOP = re.compile(
    r"(bleed\w*|bled|blood)[^.?!]{0,40}\b(won't|will not|doesn't|does not|can't|cannot|isn't"
    r"|is not|not|never|hasn't|has not|couldn't) (stop|stops|stopping|stopped)\b"
    r"|\b(won't|will not|doesn't|does not|can't|cannot|never|couldn't|not) (stop|stops|stopping)"
    r"[^.?!]{0,15}(bleed\w*|bled)"
    r"|can't get (it|the bleeding) to stop"
)


@dataclass(frozen=True)
class FlagResult:
    """Red flags raised, and whether a fever answer would complete a near-flag pattern."""

    codes: list[str]
    needs_fever_check: bool


def extract_features(text: str) -> dict[str, Polarity]:
    """Polarity of every red-flag feature mentioned in the message."""
    # Unicode first: full-width, accented or look-alike letters must not hide a red flag.
    t = normalise(fold_text(text))
    found: dict[str, Polarity] = {}
    for name, pattern in FEATURES.items():
        p = polarity(t, pattern)
        if p is not None:
            found[name] = p
    # Pressing and glass words only set the scene: "does not fade when I press" is not a denial.
    if FEATURES["glass_or_press"].search(t):
        found["glass_or_press"] = "pos"
    m = _BLEED_NO_STOP.search(t)
    if m and not re.search(r"\b(no|not|never|isn't|wasn't)\s+(\w+\s+){0,2}$", t[: m.start()]):
        found["heavy_bleeding"] = "pos"
        found["bleeding"] = "pos"
    # A rash that does not fade only means non-blanching when it was pressed or glass-tested.
    if found.get("glass_or_press") == "pos" and (
        found.get("press_fade_fail") == "pos"
        or found.get("press_persist") == "pos"
        # A rash that was glass-tested and is not said to have faded is treated as
        # non-blanching: under-triage of meningococcal disease is the costly error.
        or (found.get("rash") == "pos" and found.get("press_faded") != "pos")
    ):
        found["non_blanching"] = "pos"
    return found


def merge_features(old: Mapping[str, str], new: Mapping[str, str]) -> dict[str, str]:
    """Combine features across messages; a positive never goes back to negative."""
    rank = {"neg": 0, "unc": 1, "pos": 2}
    merged = dict(old)
    for key, value in new.items():
        if key not in merged or rank[value] > rank[merged[key]]:
            merged[key] = value
    return merged


def evaluate(features: Mapping[str, str]) -> FlagResult:
    """Red flags implied by the accumulated features (a feature counts when positive)."""

    def has(*names: str) -> bool:
        return any(features.get(n) == "pos" for n in names)

    # A rule that only lacks fever asks about fever next rather than staying silent, unless
    # the patient already denied it.
    fever_unknown = features.get("fever") != "neg"
    unwell = has("fever", "unwell")
    rashy = has("rash", "red_skin", "blisters", "peeling")
    codes: list[str] = []
    needs_fever = False

    if _sjs_like(has, unwell, rashy):
        codes.append("widespread_blistering")

    body_red = has("red_skin") and (not has("sunburn") or unwell)
    body_rash = has("rash") and (unwell or has("hot_painful", "peeling"))
    if (has("widespread") and (body_red or body_rash)) or has("named_erythroderma"):
        codes.append("erythroderma")

    if has("named_meningitis") and rashy:
        codes.append("non_blanching_rash_fever")
    elif has("non_blanching"):
        if unwell:
            codes.append("non_blanching_rash_fever")
        needs_fever |= not unwell and fever_unknown

    # Eczema herpeticum: herpes-like sores on eczema are enough; plain blisters on eczema
    # (common and harmless) need fever, spread or the eye involved.
    if has("eczema") and has("herpetic", "blisters"):
        if has("herpetic") or unwell or has("near_eye", "spreading"):
            codes.append("eczema_herpeticum")
        else:
            needs_fever |= fever_unknown

    local = has("red_skin", "infection") or (has("hot_painful") and has("spreading"))
    if (has("necrosis") and has("hot_painful", "infection", "red_skin")) or (
        local and has("spreading", "infection") and unwell
    ):
        codes.append("spreading_infection")
    elif local and has("spreading") and has("hot_painful"):
        needs_fever |= fever_unknown

    if has("new_drug") and (rashy or has("widespread")):
        if unwell or has("swelling_face"):
            codes.append("drug_reaction_fever")
        else:
            needs_fever |= fever_unknown

    if has("bleeding") and has("heavy_bleeding"):
        codes.append("uncontrolled_bleeding")

    if has("breathing"):
        codes.append("anaphylaxis")

    return FlagResult(codes=codes, needs_fever_check=needs_fever and not codes)


def _sjs_like(has: Callable[..., bool], unwell: bool, rashy: bool) -> bool:
    """SJS/TEN: blistering or peeling with a sign that it is more than a local burn or pox."""
    if has("named_sjs", "skin_off"):
        return True
    blisters = has("blisters") and (
        has("widespread", "mucosal", "new_drug") or (unwell and not has("eczema", "chickenpox"))
    )
    # Peeling over red skin everywhere is erythroderma; sunburn peeling alone is no emergency.
    body_red = has("widespread") and has("red_skin")
    peeling = (
        has("peeling")
        and (not body_red or has("blisters", "mucosal"))
        and (has("widespread", "mucosal", "blisters", "new_drug") or unwell)
        and not (has("sunburn") and not unwell and not has("mucosal", "blisters"))
    )
    mucosal = has("mucosal") and (has("blisters", "peeling") or (rashy and (has("new_drug") or unwell)))
    return blisters or peeling or mucosal

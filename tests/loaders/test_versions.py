"""How a new record compares with an article's versions: normalisation and classification."""

from __future__ import annotations

import dataclasses

from loaders.versions import (
    EDITED,
    FIELDS,
    MINOR,
    RESTORED,
    VersionFields,
    changed_fields,
    classify,
    matching_version,
    normalise_published,
    normalise_text,
    normalised,
)

BASE = VersionFields(
    title="New optical chip can help advance generative AI",
    author="ZHOU WENTING",
    source="CHINA DAILY",
    published="2025-12-20T08:29:00+08:00",
    section="Innovation",
    body="Shanghai Jiao Tong University announced a breakthrough.\n\nThe team said so.",
)


def test_the_compared_fields_are_the_records_text_fields():
    assert FIELDS == ("title", "author", "source", "published", "section", "body")


def test_normalising_takes_out_punctuation_and_spacing_but_keeps_case():
    assert normalise_text("  Hello,   world!\n\nNext — line…  ") == "Hello world Next line"
    assert normalise_text("Hello world") != normalise_text("hello world")
    # NFKC: full-width letters and the ideographic space are their plain forms.
    assert normalise_text("ＡＩ　规则，“出台”。") == "AI规则出台"
    assert normalise_text(None) == normalise_text("") == ""
    # Punctuation beyond the Basic Multilingual Plane too (an Aegean word separator).
    assert normalise_text("𐄀a\U00010100b 𠀀") == "a b𠀀"


def test_punctuation_between_words_is_a_space_not_a_join():
    assert normalise_text("word,word") == normalise_text("word, word") == "word word"
    assert normalise_text("cross-border") != normalise_text("crossborder")


def test_the_punctuation_of_numbers_is_kept():
    assert normalise_text("1.5 billion") != normalise_text("15 billion")
    assert normalise_text("-5°C") != normalise_text("5°C")
    assert normalise_text("3,000 yuan") != normalise_text("3 000 yuan")
    assert normalise_text("−5°C") == normalise_text("-5°C")  # the minus sign is a minus
    assert normalise_text("1.5 billion.") == "1.5 billion"


def test_spacing_beside_han_characters_is_not_text():
    assert normalise_text("中国 互联网") == normalise_text("中国互联网")
    assert normalise_text("乌镇，互联网") == normalise_text("乌镇互联网")
    assert normalise_text("中国 5G 网络") == normalise_text("中国5G网络")
    assert normalise_text("互联网大会") != normalise_text("互联网会议")


def test_a_changed_number_is_an_edit():
    edited = dataclasses.replace(BASE, body=BASE.body.replace("breakthrough", "1.5 billion"))
    edited_again = dataclasses.replace(BASE, body=BASE.body.replace("breakthrough", "15 billion"))
    assert classify(edited_again, edited, [BASE]) == EDITED


def test_published_is_compared_as_its_date():
    assert normalise_published("2025-12-20T08:29:00+08:00") == "2025-12-20"
    assert normalise_published("2025-12-20T17:01:00+08:00") == "2025-12-20"
    assert normalise_published("2025-12-21T08:29:00+08:00") == "2025-12-21"
    assert normalise_published(None) == ""


def test_only_spacing_punctuation_or_the_time_moved_is_minor():
    moved = dataclasses.replace(
        BASE,
        published="2025-12-20T10:02:00+08:00",
        body="Shanghai Jiao Tong University  announced a breakthrough!\n\nThe team said so",
        title="New optical chip can help advance generative AI.",
    )
    assert classify(moved, BASE, []) == MINOR
    assert changed_fields(moved, BASE) == []


def test_a_changed_word_is_an_edit_naming_the_fields():
    edited = dataclasses.replace(BASE, body=BASE.body.replace("team", "group"),
                                 title="New optical chip may help generative AI")  # fmt: skip
    assert classify(edited, BASE, []) == EDITED
    assert changed_fields(edited, BASE) == ["body", "title"]
    assert changed_fields(dataclasses.replace(BASE, published="2025-12-22"), BASE) == ["published"]


def test_back_to_an_earlier_version_but_for_minor_differences_is_restored():
    edited = dataclasses.replace(BASE, body="Rewritten entirely.")
    reverted = dataclasses.replace(BASE, body=BASE.body.replace(".", "") + " ")
    assert classify(reverted, edited, [BASE]) == RESTORED
    # Equal to the shown version first: minor, even where an earlier one is equal too.
    assert classify(reverted, BASE, [edited, BASE]) == MINOR
    assert classify(dataclasses.replace(BASE, body="Third text."), edited, [BASE]) == EDITED
    assert matching_version(reverted, [(1, BASE), (2, edited), (3, BASE)]) == 3
    assert matching_version(reverted, [(2, edited)]) is None


def test_the_normalised_record_has_one_entry_per_field():
    assert len(normalised(BASE)) == len(FIELDS)
    assert normalised(BASE)[FIELDS.index("published")] == "2025-12-20"

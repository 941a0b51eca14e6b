from extractors.boilerplate import split_boilerplate


def kinds(line):
    pieces = split_boilerplate(line)
    return None if pieces is None else [(p.kind, p.text) for p in pieces]


def test_run_together_footer_line_splits_into_its_pieces():
    line = (
        "Copyright © World Internet Conference. All rights Reserved "
        "Presented by China Daily. 京ICP备13028878号-23"
    )
    assert kinds(line) == [
        ("copyright", "Copyright © World Internet Conference. All rights Reserved"),
        ("copyright", "Presented by China Daily."),
        ("icp", "京ICP备13028878号-23"),
    ]


def test_contact_lines():
    assert kinds("Fax: 0086-571-85195207") == [("contact", "Fax: 0086-571-85195207")]
    assert kinds("电话：0086-571-85311391 传真：0086-571-85195207") == [
        ("contact", "电话：0086-571-85311391"),
        ("contact", "传真：0086-571-85195207"),
    ]


def test_china_daily_footer_with_its_script_year_removed():
    line = (
        "Copyright 1995 - . All rights reserved. The content (including but not limited to "
        "text, photo, multimedia information, etc) published in this site belongs to China "
        "Daily Information Co (CDIC). Without written authorization from CDIC, such content "
        "shall not be republished or used in any form."
    )
    assert [k for k, _ in kinds(line)] == ["copyright", "copyright", "copyright"]
    assert kinds("Registration Number: 130349") == [("licence", "Registration Number: 130349")]


def test_sentences_that_mention_boilerplate_words_stay_in_the_body():
    assert (
        split_boilerplate("The firm said all rights reserved by the author stay with her.") is None
    )
    assert (
        split_boilerplate("Copyright © law was the panel's topic, and the ICP licence too.") is None
    )
    assert split_boilerplate("Call the hotline, Tel: 12345, before noon, the notice said.") is None


def test_a_dotted_capital_i_still_matches_as_the_rules_read_it():
    # re.I matches "İ" with "i", but casefold() makes it "i" plus a combining dot, so
    # the per-rule hints ("copyright") are not in the folded line: every rule runs.
    pieces = split_boilerplate("COPYR\u0130GHT 2020 ALL RIGHTS RESERVED")
    assert pieces is not None and pieces[0].kind == "copyright"


def test_long_paragraphs_are_split_but_not_kept_by_the_footer_cache():
    # A colon is a hint word: without a bound, 1,024 article paragraphs of 100 KB
    # each would stay in a worker's memory for its life (found in review: 103 MB).
    from extractors.boilerplate import CACHED_LINE_MAX, _split_hinted

    _split_hinted.cache_clear()
    for n in range(50):
        assert split_boilerplate(f"{n} He said: " + "x" * 100_000) is None
    assert _split_hinted.cache_info().currsize == 0
    footer = "Copyright 1995-2026. All rights reserved."
    assert len(footer) <= CACHED_LINE_MAX
    assert split_boilerplate(footer) == split_boilerplate(footer) is not None
    assert _split_hinted.cache_info().hits == 1
    long_footer = footer + " " * CACHED_LINE_MAX
    assert split_boilerplate(long_footer) == split_boilerplate(footer)  # cached or not, alike

"""Hostile input: every extractor returns a record or the project's typed error, quickly."""

import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.records import Extracted, Failed, RawPage
from extractors.documents import to_document
from extractors.extract import extract_page
from tests.conftest import SAVED, deadline, saved_pages

# CPU seconds, not wall-clock: the bound catches a catastrophic (quadratic) case, and
# wall-clock time also counts whatever else the machine runs (a shared 2-core CI
# runner took 2.1 s of wall-clock for a page of 1.5 s of CPU).
SECONDS_PER_PAGE = 2.0
FIXTURE_BYTES = [p.read_bytes() for p in saved_pages() if p.suffix in (".txt", ".html")]
# The first pages that fall back to trafilatura pay its one-time start: imports, and
# htmldate's date parser loading a language's data when it first meets a Chinese
# date (3-4 s here). The bound is for the cost of a page, so start them up first.
extract_page(RawPage("warm-up", (SAVED / "html" / "generic_blog_garden_notes.html").read_bytes()))
extract_page(
    RawPage(
        "warm-up",
        "<html><body><h1>乌镇</h1><p>2019年7月15日 10:20 来源：浙江在线</p>"
        "<p>青少年网络文明夏令营在乌镇开营。</p></body></html>".encode(),
    )
)
# How many examples, and whether they are the same each run, come from the Hypothesis
# profile chosen in tests/conftest.py (`make test`: fixed; `make fuzz`: new ones each run).
FUZZ = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])


def check(data: bytes) -> object:
    started = time.process_time()
    with deadline(SECONDS_PER_PAGE * 5):  # a catastrophic case fails here, not never
        outcome = extract_page(RawPage("fuzz", data))
    assert time.process_time() - started < SECONDS_PER_PAGE
    if isinstance(outcome, Extracted):
        # Whatever the bytes, an article is never an empty shell or markup dressed as text.
        article = outcome.article
        assert article.title.strip() and article.paragraphs
        assert all(p.strip() == p and p for p in article.paragraphs)
        assert "<script" not in article.body.lower()
    if isinstance(outcome, Failed):
        # Only the project's own errors, with a stage; a bug would say "unexpected".
        assert outcome.error_class in {"DecodeError", "ExtractError", "SourceError"}
        assert outcome.stage in {"decode", "extract", "read"}
        assert "unexpected" not in outcome.message, outcome.message
    return outcome


@FUZZ
@given(st.binary(max_size=4096))
def test_arbitrary_bytes(data):
    check(data)


TAGS = st.sampled_from(["p", "div", "h1", "span", "figure", "figcaption", "img", "script",
                        "style", "table", "td", "a", "ul", "li", "br", "html", "body"])  # fmt: skip
ATTRS = st.sampled_from(["", ' id="Content"', ' class="lft_art"', ' class="info_l"',
                        ' class="crumbs"', ' class="footer"', ' id="div_currpage"'])  # fmt: skip
URLS = st.sampled_from(["", "https://www.chinadaily.com.cn/a/1.html",
                        "http://www.wicwuzhen.cn/x_2.html", "https://example.org/",
                        "http://[www.wicwuzhen.cn/", "http://example.org:99999/"])  # fmt: skip
TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)


@st.composite
def html_soup(draw):
    parts = ["<!DOCTYPE html><html><body>"]
    for _ in range(draw(st.integers(0, 60))):
        tag = draw(TAGS)
        attrs = draw(ATTRS)
        parts.append(draw(st.sampled_from([f"<{tag}{attrs}>", f"</{tag}>", ""])))
        parts.append(draw(TEXT))
    if draw(st.booleans()):
        parts.append("</body></html>")
    return "".join(parts)


@FUZZ
@given(html_soup(), URLS)
def test_arbitrary_html(page, url):
    comment = f"<!-- saved from url=(0000){url} -->\n" if url else ""
    check((comment + page).encode("utf-8"))


@FUZZ
@given(
    st.sampled_from(range(len(FIXTURE_BYTES))),
    st.lists(st.tuples(st.sampled_from(["cut", "dup", "insert", "flip"]), st.integers(0, 10**6),
                       st.integers(1, 400), st.binary(min_size=1, max_size=50)), max_size=6),
)  # fmt: skip
def test_mutated_fixture_pages(index, mutations):
    data = bytearray(FIXTURE_BYTES[index])
    for kind, at, length, blob in mutations:
        at %= max(len(data), 1)
        if kind == "cut":
            del data[at : at + length]
        elif kind == "dup":
            data[at:at] = data[at : at + length]
        elif kind == "insert":
            data[at:at] = blob
        elif data:
            data[at] ^= 0xFF
    check(bytes(data))


@FUZZ
@given(TEXT, TEXT, st.sampled_from(["script", "style", "noscript", "template"]))
def test_script_style_and_handlers_never_reach_the_body(secret_a, secret_b, tag):
    secret = "ZQX" + "".join(c for c in secret_a + secret_b if c.isalnum())[:20] + "ZQX"
    html = (SAVED / "html" / "chinadaily_en_ai_rules.html").read_text("utf-8")
    hostile = (
        f'<p onclick="alert(\'{secret}\')" onmouseover="{secret}">Readers were warned.</p>'
        f"<{tag}>var x = '{secret}';</{tag}>"
        f"<p><{tag}>{secret}</{tag}>Then the rules changed.</p>"
    )
    html = html.replace('<div id="Content">', '<div id="Content">' + hostile, 1)
    outcome = check(html.encode("utf-8"))
    assert isinstance(outcome, Extracted)
    body = outcome.article.body
    assert secret not in body
    assert "Readers were warned." in body and "Then the rules changed." in body


@pytest.mark.parametrize(
    "address", ["http://[www.wicwuzhen.cn/", "https://example.org:99999/a.html", "javascript:x"]
)
def test_a_malformed_page_address_is_dropped_not_a_crash(address):
    """Found by the fuzz test: one stray `[` in a saved-from comment crashed urllib."""
    page = (SAVED / "html" / "chinadaily_en_ai_rules.html").read_text("utf-8")
    page = page.replace('href="', 'href="http://[', 3).replace('src="', 'src="http://[', 3)
    page = f"<!-- saved from url=(0042){address} -->\n" + page
    outcome = check(page.encode("utf-8"))
    assert isinstance(outcome, Extracted)
    assert outcome.article.url is None or outcome.article.url.startswith("https://www.chinadaily")


def test_documents_never_raise_outside_the_hierarchy_on_a_deep_tree():
    deep = "<html><body>" + "<div>" * 50_000 + "x" + "</div>" * 50_000 + "</body></html>"
    check(deep.encode())
    assert to_document(RawPage("x", deep.encode())).format == "html"


# The start of what each regular expression in extractors/ looks for, and of what made
# two of them explode (issue 9: "<!---->" x 40 doubled per comment, "<link rel=canonical "
# with no href was cubic). Repeated N times, with N growing, a pattern whose time grows
# faster than its input shows up as a page over the bound.
FRAGMENTS = [
    "<!---->", "<!--", "-->", "<!-- saved from url=(12)https://a", "<link rel=canonical ",
    "<link rel='canonical' ", '<link href="http://a" ', "<meta charset=", "<meta ",
    "<meta charset= '", "<?xml ", "<html", "</html", "<!doctype ", "Copyright ", "© ",
    "All rights ", "版权所有", "京ICP备 ", "ICP license ", "Registration Number ",
    "互联网新闻信息服务许可证 ", "浙公网安备 ", "Tel: ", "Tel ", "Fax:", "E-mail: ",
    "Note : ", "[Photo", "[Photo/IC", "【图", "Photo by ", "Editor: ", "[Editor: ",
    "责任编辑：", "Home > ", "首页 > ", " > ", "By ", "By Zhang (", "Source: ", "来源：",
    "作者：张 ", "Updated: ", "2015-12-15 ", "2015-12-15 10:", "2015年12月15日", "2019/1/",
    "a.", "a-b'", "_files/", "/page_1.html", "_2.html", "Share - ", "Large Medium ",
    "分享到", " ", "\u3000", "\t",
]  # fmt: skip
WRAPPERS = {
    "raw": "{}",
    "html head": "<!DOCTYPE html><html><head>{}</head><body><p>x</p></body></html>",
    "article paragraph": (SAVED / "html" / "chinadaily_en_ai_rules.html")
    .read_text("utf-8")
    .replace('<div id="Content">', '<div id="Content"><p>{}</p>', 1),
    "text save line": (SAVED / "text" / "wic_text_volunteers.txt")
    .read_text("utf-8")
    .replace("\n", "\n{}\n", 3),
}


@FUZZ
@given(
    st.sampled_from(FRAGMENTS),
    st.sampled_from(["", " ", "x", "\n"]),
    st.integers(1, 6000),
    st.sampled_from(sorted(WRAPPERS)),
)
def test_repeated_fragments_extract_in_bounded_time(fragment, joiner, times, wrapper):
    hostile = joiner.join([fragment] * times)
    # str.format would read the braces of the page; only the one placeholder is filled.
    check(WRAPPERS[wrapper].replace("{}", hostile, 1).encode("utf-8"))


@pytest.mark.parametrize("fragment", FRAGMENTS)
def test_each_fragment_repeated_many_times_extracts_in_bounded_time(fragment):
    """The largest case of the property above, for every fragment and wrapper."""
    for page in WRAPPERS.values():
        check(page.replace("{}", fragment * 6000, 1).encode("utf-8"))

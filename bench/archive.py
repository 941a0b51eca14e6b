"""A browsing archive of N articles for the scale benchmark, half English, half Chinese.

Built straight into wic-etl's schema (``open_database`` makes it, so every table,
index, trigger and migration is the product's own), without raw pages: only
browsing is measured on it. Each article gets the rows a loaded article has: its
``pages`` row (no bytes), ``articles``, ``articles_search`` (the product's own
segmentation), version 1 in ``article_versions`` (and so ``article_checks``, by the
product's trigger), an image for most, boilerplate lines, organizers on WIC pages.

Text is drawn from a Zipf law over a large vocabulary (English: 30,000 made-up
words under real function words; Chinese: 3,500 Han characters), so the index has
the shape of real text: a few words in every article, most in few. Planted words
give searches of known reach, in each language, whatever N:

    rare      about 1 in 5,000 articles of its language   zeppelin   量子纠缠
    2%        1 in 50                                     farmers    农民
    50%       1 in 2                                      technology 乌镇

The ``words`` column (jieba's words, for ranking Chinese hits) is the planted words
plus the text's character pairs: jieba itself would take most of the build, and
only the index's size and the planted words' rank depend on it.

    from bench.archive import build; build(Path("archive.db"), 20_000)
"""

from __future__ import annotations

import hashlib
import itertools
import json
import random
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Bump when the built database changes: a cached one of another version is rebuilt.
VERSION = 1
RUN_ID = "bench-scale-run"
PLANTED = {
    "en": {"rare": "zeppelin", "2%": "farmers", "50%": "technology"},
    "zh": {"rare": "量子纠缠", "2%": "农民", "50%": "乌镇"},
}
_EVERY = {"rare": 5000, "2%": 50, "50%": 2}
_FUNCTION_WORDS = [
    "the",
    "of",
    "and",
    "to",
    "in",
    "a",
    "is",
    "that",
    "for",
    "on",
    "with",
    "as",
    "was",
    "by",
    "at",
    "from",
    "it",
    "be",
    "are",
    "has",
    "its",
    "an",
    "said",
    "will",
    "have",
    "this",
    "which",
    "were",
    "their",
    "more",
    "than",
    "also",
    "been",
    "not",
    "but",
    "they",
    "after",
]
_SECTIONS = {
    "en": [
        "China",
        "World",
        "Business",
        "Tech",
        "Culture",
        "Sports",
        "Opinion",
        "Travel",
        "Society",
        "Politics",
        "Innovation",
        "Education",
        "Health",
        "Environment",
    ],
    "zh": [
        "国内",
        "国际",
        "财经",
        "科技",
        "文化",
        "体育",
        "评论",
        "旅游",
        "社会",
        "时政",
        "创新",
        "教育",
        "健康",
        "环境",
    ],
}
_ORGANIZERS = [
    "Cyberspace Administration of China",
    "People's Government of Zhejiang Province",
    "International Telecommunication Union",
    "GSM Association",
    "World Intellectual Property Organization",
]
_REMOVED = [
    ("copyright", "Copyright © World Internet Conference. All rights Reserved"),
    ("icp", "京ICP备13028878号-23"),
    ("contact", "Email: service@wicwuzhen.cn"),
    ("navigation", "Home > News"),
]


def _english_vocabulary(rng: random.Random) -> list[str]:
    syllables = [c + v for c in "bcdfghjklmnprstvwz" for v in ("a", "e", "i", "o", "u", "ai", "ou")]
    made: dict[str, None] = {}
    planted = set(PLANTED["en"].values())
    while len(made) < 30_000:
        word = "".join(rng.choice(syllables) for _ in range(rng.randint(1, 4)))
        if word not in planted and word not in _FUNCTION_WORDS:
            made[word] = None
    return _FUNCTION_WORDS + list(made)


def _chinese_vocabulary(rng: random.Random) -> list[str]:
    planted = set("".join(PLANTED["zh"].values()))
    chars = [chr(c) for c in range(0x4E00, 0x9FA6) if chr(c) not in planted]
    return rng.sample(chars, 3500)


def _zipf_weights(n: int) -> list[float]:
    return list(itertools.accumulate(1 / (rank + 1) for rank in range(n)))


@dataclass(frozen=True)
class _Text:
    """A long run of words drawn once; each article takes a stretch of it at random.

    Drawing each article's words afresh cost most of the build.
    """

    pool: list[str]

    @classmethod
    def of(cls, rng: random.Random, vocabulary: list[str]) -> _Text:
        weights = _zipf_weights(len(vocabulary))
        return cls(rng.choices(vocabulary, cum_weights=weights, k=2_000_000))

    def draw(self, rng: random.Random, k: int) -> list[str]:
        at = rng.randrange(len(self.pool) - k)
        return self.pool[at : at + k]


def _planted(language: str, i: int) -> list[str]:
    """The planted words of the ``i``th article of ``language``."""
    return [
        word for reach, word in PLANTED[language].items() if i % _EVERY[reach] == 1 % _EVERY[reach]
    ]


# What _write stores of one article's text: title, body, their copies for the search index
# (segmented as loaders/search.py does), jieba's words, and the word count.
_Made = tuple[str, str, str, str, str, int]
ZWSP = "\u200b"


def _english(rng: random.Random, text: _Text, i: int) -> _Made:
    words = text.draw(rng, rng.randint(300, 1100))  # China Daily stories: 300-1,100 words
    for word in _planted("en", i):
        words[rng.randrange(len(words))] = word
    paragraphs, at = [], 0
    while at < len(words):
        n = rng.randint(40, 90)
        paragraphs.append(" ".join(words[at : at + n]).capitalize() + ".")
        at += n
    title = " ".join(text.draw(rng, rng.randint(6, 12))).capitalize() + f" {i}"
    body = "\n\n".join(paragraphs)
    return title, body, title, body, "", len(words) + title.count(" ") + 1


def _chinese(rng: random.Random, text: _Text, i: int) -> _Made:
    chars = text.draw(rng, rng.randint(600, 2400))  # 600-2,400 characters
    planted = _planted("zh", i)
    for word in planted:
        at = rng.randrange(len(chars) - len(word))
        chars[at : at + len(word)] = list(word)
    paragraphs, segmented, at = [], [], 0
    while at < len(chars):
        n = rng.randint(80, 200)
        piece = [c + ("，" if k % 17 == 16 else "") for k, c in enumerate(chars[at : at + n])]
        paragraphs.append("".join(piece) + "。")
        # As segment() writes it: a zero-width space each side of every Han character.
        segmented.append(ZWSP + ZWSP.join(piece).replace("，", ZWSP + "，") + ZWSP + "。")
        at += n
    head = text.draw(rng, rng.randint(10, 20))
    title = "".join(head) + f" {i}"
    pairs = ["".join(chars[k : k + 2]) for k in range(0, len(chars) - 1, 2)]
    return (
        title,
        "\n\n".join(paragraphs),
        ZWSP + ZWSP.join(head) + ZWSP + f" {i}",
        "\n\n".join(segmented),
        " ".join(planted + pairs),
        len(chars) + len(head) + 1,
    )


def _articles(count: int, seed: int) -> Iterator[dict[str, object]]:
    rng = random.Random(seed)
    texts = {
        "en": _Text.of(rng, _english_vocabulary(rng)),
        "zh": _Text.of(rng, _chinese_vocabulary(rng)),
    }
    for n in range(count):
        language, i = ("en", "zh")[n % 2], n // 2
        make = _english if language == "en" else _chinese
        title, body, search_title, search_body, words, word_count = make(rng, texts[language], i)
        wic = n % 3 == 0
        site = "wicwuzhen.cn" if wic else "chinadaily.com.cn"
        article_id = hashlib.sha256(f"article {n}".encode()).hexdigest()[:16]
        year = 2000 + rng.randrange(27)
        published = (
            f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}T"
            f"{rng.randrange(24):02d}:{rng.randrange(60):02d}:00+08:00"
        )
        host = ("www" if language == "en" else "cn") + f".{site}"
        yield {
            "n": n,
            "id": article_id,
            "url": f"https://{host}/a/{year}/{article_id}.html",
            "site": site,
            "language": language,
            "section": rng.choice(_SECTIONS[language]),
            "title": title,
            "search_title": search_title,
            "search_body": search_body,
            "word_count": word_count,
            "author": rng.choice(["Li Wen", "Zhang Wei", "Wang Fang", "Chen Jing", None]),
            "source": rng.choice(["chinadaily.com.cn", "Xinhua", "China Daily"]),
            "published": published,
            "published_year": year,
            "body": body,
            "words": words,
            "organizers": rng.sample(_ORGANIZERS, 3) if wic else [],
            "image": rng.random() < 0.6,
        }


_ARTICLE_COLUMNS = [
    "id",
    "url",
    "site",
    "language",
    "section",
    "title",
    "author",
    "source",
    "published",
    "published_year",
    "body",
    "word_count",
    "content_sha256",
    "record_sha256",
    "fingerprint",
    "extractor",
    "page_sha256",
    "first_run",
    "last_changed_run",
    "page_count",
    "warnings",
    "version",
]
_VERSION_COLUMNS = [
    "article_id",
    "version",
    "change",
    "origin",
    "run_id",
    "seen_at",
    "last_seen_at",
    "record_sha256",
    "page_sha256",
    "page_sha256s",
    "title",
    "author",
    "source",
    "published",
    "section",
    "body",
    "extractor",
]


def _insert_sql(table: str, columns: list[str]) -> str:
    return f"insert into {table} ({', '.join(columns)}) values ({', '.join('?' * len(columns))})"


def _write(
    conn: sqlite3.Connection, batch: list[dict[str, object]], organizer_ids: dict[str, int]
) -> None:
    from core.records import sha256_hex
    from loaders.search import INSERT_SQL

    articles, versions, pages, search, images, removed, organizers = [], [], [], [], [], [], []
    for a in batch:
        body = str(a["body"])
        page = sha256_hex(f"page {a['n']}")
        record = sha256_hex(f"record {a['n']}")
        at = f"2026-01-01T00:00:{int(str(a['n'])) % 60:02d}.000+00:00"
        row = {
            **a,
            "content_sha256": sha256_hex(body),
            "record_sha256": record,
            "fingerprint": sha256_hex(f"fingerprint {a['n']}")[:16],
            "extractor": "bench-archive/1",
            "page_sha256": page,
            "first_run": RUN_ID,
            "last_changed_run": RUN_ID,
            "page_count": 1,
            "warnings": "[]",
            "version": 1,
        }
        articles.append([row[c] for c in _ARTICLE_COLUMNS])
        pages.append(
            (
                page,
                f"/archive/page_{a['n']:07d}.html",
                a["url"],
                "html",
                "utf-8",
                len(body.encode()) * 3,
                a["id"],
                "ok",
                "bench",
                RUN_ID,
                at,
            )
        )
        version = {
            **row,
            "article_id": a["id"],
            "change": "first",
            "origin": "load",
            "run_id": RUN_ID,
            "seen_at": at,
            "last_seen_at": at,
            "page_sha256s": json.dumps({"1": page}),
        }
        versions.append([version[c] for c in _VERSION_COLUMNS])
        search.append((a["id"], a["search_title"], a["search_body"], a["words"]))
        if a["image"]:
            images.append((a["id"], 1, f"/img/{a['id']}.jpg", "A photo of the day", "IC"))
        removed += [(a["id"], k, kind, text) for k, (kind, text) in enumerate(_REMOVED, 1)]
        organizers += [
            (a["id"], k, organizer_ids[name]) for k, name in enumerate(a["organizers"], 1)
        ]
    conn.executemany(
        "insert into pages (sha256, source, url, format, encoding, size, article_id, status, "
        "ruleset, first_run, read_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        pages,
    )
    conn.executemany(_insert_sql("articles", _ARTICLE_COLUMNS), articles)
    rowids = dict(
        conn.execute(
            f"select id, rowid from articles where id in ({', '.join('?' * len(batch))})",
            [a["id"] for a in batch],
        ).fetchall()
    )
    conn.executemany(INSERT_SQL, [(rowids[i], *rest) for i, *rest in search])
    conn.executemany(_insert_sql("article_versions", _VERSION_COLUMNS), versions)
    conn.executemany(
        "insert into images (article_id, position, src, caption, credit) values (?, ?, ?, ?, ?)",
        images,
    )
    conn.executemany(
        "insert into removed_lines (article_id, position, kind, text) values (?, ?, ?, ?)", removed
    )
    conn.executemany(
        "insert into article_organizers (article_id, position, organizer_id) values (?, ?, ?)",
        organizers,
    )


def build(path: Path, count: int, seed: int = 2026, log: bool = True) -> Path:
    """A database of ``count`` articles at ``path``, built once: an existing one is reused.

    Built beside it under another name and renamed when whole, so an interrupted
    build is never taken for a finished one.
    """
    import sys
    import time

    if path.exists():
        return path
    sys.path.insert(0, str(ROOT))
    from loaders.schema import open_database

    partial = path.with_name(path.name + ".partial")
    for leftover in path.parent.glob(partial.name + "*"):
        leftover.unlink()
    open_database(partial).close()
    conn = sqlite3.connect(partial)
    conn.execute("pragma foreign_keys = off")  # written in order; checked by the loader, not here
    conn.execute("pragma synchronous = off")
    conn.execute(
        "insert into runs (id, flow, started, finished, status, sources, pages, new) "
        "values (?, 'ingest', '2026-01-01T00:00:00.000+00:00', '2026-01-01T01:00:00.000+00:00', "
        "'completed', '[\"/archive\"]', ?, ?)",
        [RUN_ID, count, count],
    )
    conn.executemany("insert into organizers (name) values (?)", [(o,) for o in _ORGANIZERS])
    organizer_ids = dict(conn.execute("select name, id from organizers").fetchall())
    started = time.perf_counter()
    batch: list[dict[str, object]] = []
    for article in _articles(count, seed):
        batch.append(article)
        if len(batch) == 2000:
            with conn:
                _write(conn, batch, organizer_ids)
            batch = []
            done = int(str(article["n"])) + 1
            if log and done % 20_000 == 0:
                rate = done / (time.perf_counter() - started)
                print(f"  {done:,} of {count:,} articles ({rate:.0f}/s)", file=sys.stderr)
    if batch:
        with conn:
            _write(conn, batch, organizer_ids)
    conn.execute("pragma wal_checkpoint(truncate)")
    conn.close()
    partial.rename(path)
    for extra in ("-wal", "-shm", ".lock"):
        sibling = partial.with_name(partial.name + extra)
        if sibling.exists():
            sibling.unlink()
    return path

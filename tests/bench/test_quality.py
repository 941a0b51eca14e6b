"""The quality benchmark runs and scores our profiles perfectly on the gold pages.

Its speed figures are for reading, not asserting; this only keeps the script working.
"""

import json
import subprocess
import sys

from tests.conftest import ROOT


def test_quality_benchmark_prints_both_extractors_side_by_side(tmp_path):
    out = tmp_path / "quality.json"
    script = ROOT / "bench" / "quality.py"
    result = subprocess.run(
        [sys.executable, str(script), "--seconds", "0.2", "--json", str(out)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "| wic-etl (site profiles) |" in result.stdout
    assert "| trafilatura |" in result.stdout
    figures = json.loads(out.read_text())
    ours = figures["wic-etl (site profiles)"]
    assert ours["pages"] >= 30
    assert ours["f1"] >= 0.99
    for field in ("title", "published", "author", "organizers"):
        assert ours[f"{field}_exact"] == 1.0
    assert figures["trafilatura"]["pages"] == ours["pages"]
    # The real corpus is scored apart, every gold field exact.
    assert "Real pages (fixtures/real)" in result.stdout
    real = figures["real: wic-etl (site profiles)"]
    real_pages = len(list((ROOT / "fixtures" / "real").glob("*.html")))
    assert real["pages"] == real_pages >= 5
    assert real["f1"] >= 0.99
    for field in ("url", "section", "title", "author", "editor", "source", "published",
                  "paragraphs", "images"):  # fmt: skip
        assert real[f"{field}_exact"] == 1.0, field
    assert figures["real: trafilatura"]["pages"] == real_pages

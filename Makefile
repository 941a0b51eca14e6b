# Two commands: `make run` (set up, then ingest the saved pages in fixtures/ into
# data/wic.db) and `make test` (set up, then lint and run every test).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DB ?= data/wic.db
SOURCES ?= fixtures/saved
CJK_FONT := /usr/share/fonts/truetype/wqy/wqy-microhei.ttc
TOOLS := .venv-tools
PYWB := $(TOOLS)/pywb/bin/wayback
# ReplayWeb.page as its authors publish it on the npm registry (ui.js, sw.js).
REPLAYWEBPAGE_VERSION := 2.5.3
REPLAYWEBPAGE := $(TOOLS)/replaywebpage-$(REPLAYWEBPAGE_VERSION)/package/sw.js

.PHONY: setup test-tools run test test-fast fuzz lint format lock server datasette bench-parsers bench-storage bench-scale clean

# What running wic-etl needs: the virtual environment. `make test` adds test-tools.
setup: $(STAMP)

# uv installs in seconds where pip takes most of a minute; --compile-bytecode
# because this machine never writes bytecode caches (PYTHONDONTWRITEBYTECODE),
# which otherwise doubles `import prefect`.
$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv
	$(BIN)/uv pip install --quiet --python $(BIN)/python --compile-bytecode \
		-c requirements.lock -e '.[dev]'
	touch $(STAMP)

# Debian packages the tests use, installed only where missing; pywb in a venv of its own
# and ReplayWeb.page's files, under .venv-tools/.
test-tools: /usr/bin/sqlite3 /usr/bin/chromium $(CJK_FONT) /usr/sbin/mount.exfat-fuse /usr/sbin/mkfs.exfat $(PYWB) $(REPLAYWEBPAGE)

# pywb replays an exported WACZ in the tests. It pins gevent and greenlet below what
# Prefect needs, so it lives in its own venv (tools/pywb.lock; `make lock` re-pins it).
$(PYWB): tools/pywb.lock $(STAMP)
	$(PYTHON) -m venv $(TOOLS)/pywb
	$(BIN)/uv pip install --quiet --python $(TOOLS)/pywb/bin/python -r tools/pywb.lock
	touch $(PYWB)

# ReplayWeb.page replays an exported WACZ in the tests too, in Chromium, from 127.0.0.1.
$(REPLAYWEBPAGE):
	command -v npm >/dev/null || (apt-get update -qq && apt-get install -y -qq npm)
	mkdir -p $(dir $(REPLAYWEBPAGE))
	cd $(TOOLS)/replaywebpage-$(REPLAYWEBPAGE_VERSION) && \
		npm pack --silent replaywebpage@$(REPLAYWEBPAGE_VERSION) && tar xzf replaywebpage-*.tgz

# The sqlite3 command line: the tests query the database beside a run with it, as a person would.
/usr/bin/sqlite3:
	command -v sqlite3 >/dev/null || (apt-get update -qq && apt-get install -y -qq sqlite3)

# A real exFAT file system (an SD card's) through FUSE: the unchanged-file check is
# tested where file times cannot be trusted.
/usr/sbin/mount.exfat-fuse /usr/sbin/mkfs.exfat:
	command -v mount.exfat-fuse >/dev/null && command -v mkfs.exfat >/dev/null || \
		apt-get install -y -qq exfat-fuse exfatprogs || \
		(apt-get update -qq && apt-get install -y -qq exfat-fuse exfatprogs)

# Headless Chromium: the Datasette pages are tested in a real browser (Debian's
# package; no browser is downloaded by any Python package).
/usr/bin/chromium:
	command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium)

# A font with Chinese characters, or the browser draws the Chinese pages as boxes.
$(CJK_FONT):
	apt-get install -y -qq fonts-wqy-microhei || (apt-get update -qq && apt-get install -y -qq fonts-wqy-microhei)

run: setup
	$(BIN)/wic-etl ingest $(SOURCES) --db $(DB)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: lint test-tools
	$(BIN)/pytest

# The tests that need no Prefect server and no whole-command run: under 30 s.
test-fast: setup /usr/bin/sqlite3
	$(BIN)/pytest -m "not slow"

# The hostile-input tests with fresh random examples (make test replays fixed ones).
fuzz: setup
	HYPOTHESIS_PROFILE=explore $(BIN)/pytest tests/extractors/test_fuzz.py

format: setup
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Re-pin every dependency to the newest release that fits pyproject.toml (the bench
# extra too, so bench-parsers installs pinned versions; setup installs only dev).
lock: setup
	$(BIN)/uv pip compile --quiet --python $(BIN)/python pyproject.toml --extra dev --extra bench \
		-o requirements.lock
	$(BIN)/uv pip compile --quiet --python $(BIN)/python tools/pywb.in -o tools/pywb.lock

# A plain Prefect server on 127.0.0.1:4200 for `wic-etl serve` and its deployments;
# see docs/prefect.md.
server: setup
	$(BIN)/prefect server start --host 127.0.0.1 --port 4200

# Browse data/wic.db with search, facets and canned queries on http://127.0.0.1:8001/wic
datasette: setup
	$(BIN)/wic-etl datasette --db $(DB)

# lxml against BeautifulSoup on the fixture pages: why wic-etl parses with lxml
# (docs/architecture.md). Installs the bench extra (beautifulsoup4) into .venv first.
bench-parsers: setup
	$(BIN)/uv pip install --quiet --python $(BIN)/python --compile-bytecode \
		-c requirements.lock -e '.[bench]'
	$(BIN)/python bench/parsers.py

# The raw store's bytes per page against the pages, gzip and plain zstd, and
# re-extraction compressed against uncompressed (bench/README.md).
bench-storage: setup
	$(BIN)/python bench/storage.py

# Browsing, re-extraction and the unchanged re-run at ARTICLES articles (bench/README.md).
# The archive is built once per size (minutes) and kept in the system's temporary folder.
ARTICLES ?= 300000
bench-scale: setup
	$(BIN)/python bench/scale.py --articles $$(($(ARTICLES) / 3)) --articles $(ARTICLES) \
		--json bench-scale.json

clean:
	rm -rf $(VENV) $(TOOLS) .pytest_cache .ruff_cache

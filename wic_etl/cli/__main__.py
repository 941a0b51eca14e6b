"""``python -m wic_etl.cli``: the ``wic-etl`` command."""

from wic_etl.cli import run

run()

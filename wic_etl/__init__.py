"""wic-etl: China Daily and World Internet Conference pages into clean SQLite records."""

__version__ = "0.1.0"

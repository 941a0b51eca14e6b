"""The ground floor: records, URL helpers, errors and settings that every layer shares.

It imports nothing of the project, so any room above may import it.
"""

from core.accounting import FailureNote, RunCounts, RunSummary
from core.errors import (
    DecodeError,
    ExtractError,
    FetchError,
    LoadError,
    NotFoundPageError,
    NothingToReadError,
    SourceError,
    WicEtlError,
)
from core.records import (
    Article,
    Document,
    Extracted,
    Failed,
    Found,
    Image,
    Listed,
    ListedLink,
    Listing,
    Outcome,
    RawPage,
    RemovedLine,
    Validators,
)
from core.settings import DEFAULTS, Settings
from core.stitch import stitch

__all__ = [
    "DEFAULTS",
    "Article",
    "DecodeError",
    "Document",
    "ExtractError",
    "Extracted",
    "Failed",
    "FailureNote",
    "FetchError",
    "Found",
    "Image",
    "Listed",
    "ListedLink",
    "Listing",
    "LoadError",
    "NotFoundPageError",
    "NothingToReadError",
    "Outcome",
    "RawPage",
    "RemovedLine",
    "RunCounts",
    "RunSummary",
    "Settings",
    "SourceError",
    "Validators",
    "WicEtlError",
    "stitch",
]

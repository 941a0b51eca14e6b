"""Bytes in, typed records out: decoding, site profiles, boilerplate rules, the generic
fallback, and the discovery documents (feeds, sitemaps, listings) that point at articles."""

from extractors.discovery.feeds import parse_discovery
from extractors.discovery.listing import next_listing_page, parse_listing
from extractors.extract import RULESET, extract_document, extract_page

__all__ = [
    "RULESET",
    "extract_document",
    "extract_page",
    "next_listing_page",
    "parse_discovery",
    "parse_listing",
]

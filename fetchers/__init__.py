"""Live fetching: a polite, bounded httpx crawler that hands raw pages to the extractors."""

"""The ground floor: records, URL helpers, errors and settings that every layer shares.

It imports nothing of the project, so any room above may import it.
"""

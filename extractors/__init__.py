"""Bytes in, typed records out: sources, decoding, site profiles, boilerplate rules."""

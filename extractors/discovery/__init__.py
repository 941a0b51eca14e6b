"""Documents that point at articles rather than hold one: RSS/Atom feeds, XML sitemaps
and section listing pages."""

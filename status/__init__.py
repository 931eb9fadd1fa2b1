"""``chainwatch.status``: the public status page per chain and SLO (``chainwatch status``, docs/status-page.md)."""

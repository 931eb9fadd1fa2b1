"""Performance benchmark of the chainwatch exporter, side by side with blackbox_exporter (see docs/benchmark.md)."""

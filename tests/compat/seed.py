"""What the original service documented, as its users copy it."""

from __future__ import annotations

# The seed README's "Monitoring" section, character for character.
SEED_QUERIES = {
    "success rate": 'rate(enrichment_tasks_total{status="completed"}[5m]) '
    "/ rate(enrichment_tasks_total[5m])",
    "latency": "histogram_quantile(0.95, rate(api_response_time_seconds_bucket[5m]))",
    "cache hit rate": "rate(enrichment_cache_hits_total[5m]) / "
    "(rate(enrichment_cache_hits_total[5m]) + rate(enrichment_cache_misses_total[5m]))",
    "open breakers": 'circuit_breaker_state{state="open"} > 0',
}

"""Operations and observability (book chapter "Monitoring serverless apps"): /health, the
request id carried across queues, JSON log lines (one per request, queue message and
scheduled run), X-Ray traces, metrics, the pulse dashboard and escalating alarms.

Its own app because it cuts across every other one and belongs to none of them.
"""

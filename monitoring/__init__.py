"""Operations and observability (book chapter "Monitoring serverless apps"): health, request
ids, structured logs, metrics, the pulse dashboard and alarms.

Its own app because it cuts across every other one and belongs to none of them.
"""

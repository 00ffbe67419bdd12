"""What Prometheus scrapes: webhook latency measured as calls go, the hotline read from Redis.

`webhooks` times every carrier webhook in the process answering it (across
uvicorn workers through prometheus_client's multi-process files); `hotline`
reads queues, agents, the event stream and the transcription queue from
Redis at scrape time, so every worker answers a scrape with the same figures.
"""

"""Routing: who takes a call, and in which order waiting callers are served.

- `policy`: routing/policy.yaml as validated models;
- `scoring`: pure logic, the strategies' scores and what a caller needs right now;
- `index` (+ `lua/`): agent states, candidate pools and the atomic choice in Redis;
- `roster`: the agent registry; `router`: the `Router` the flow engine talks to;
- `queues`, `callbacks`: queue status and expected waits; callback promises.
"""

"""The JSON API: agents, tickets, flows, reports; token-checked by role."""

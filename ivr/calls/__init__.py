"""One call's state while it moves through the flow, kept in Redis."""

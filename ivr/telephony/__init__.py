"""The carrier side: signatures, TwiML, webhooks, and the `ivr call` simulator."""

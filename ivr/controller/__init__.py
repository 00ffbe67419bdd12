"""The call controller: drives each call's flow, understanding, routing, speech and tickets.

The carrier edge (ivr.telephony) validates a webhook and hands it to the
`Switchboard`, which answers it with the part its hook belongs to. See
docs/architecture.md for the layers and a webhook's way through them.
"""

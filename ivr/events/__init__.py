"""The call event log: the bottom layer every writer of events imports.

`CallEvent` and `event_id` (model.py) say what an event is; `EventLog` (stream.py)
appends events to the Redis stream under `STREAM_FIELD`, the one field name the
Lua that appends events in bulk (`ivr.calls.store`) and the persister read too.
"""

from ivr.events.model import EVENT_TYPES, CallEvent, event_id
from ivr.events.stream import STREAM_FIELD, EventLog

__all__ = ["EVENT_TYPES", "STREAM_FIELD", "CallEvent", "EventLog", "event_id"]

"""Every Redis key the service uses, in one place, under one prefix."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Keys:
    """Builds Redis keys under `prefix` (the setting IVR_REDIS_PREFIX)."""

    prefix: str = "ivr:"

    # --- calls (flow engine) ---
    def call(self, call_sid: str) -> str:
        """Hash-free JSON blob of one call's state (CallState), with an expiry."""
        return f"{self.prefix}call:{call_sid}"

    def call_lock(self, call_sid: str) -> str:
        """Serialises webhooks of one call across server processes."""
        return f"{self.prefix}call:{call_sid}:lock"

    def call_reply(self, call_sid: str, fingerprint: str) -> str:
        """The TwiML we answered to one webhook, so a carrier retry gets the same answer."""
        return f"{self.prefix}call:{call_sid}:reply:{fingerprint}"

    # --- configuration (flows edited through the API) ---
    def flows_version(self) -> str:
        """A counter bumped when a flow changes, so every server process reloads its flows."""
        return f"{self.prefix}flows:version"

    def clock_offset(self) -> str:
        """Seconds the simulator moved the service's clock on (ivr.clock; 0 when absent)."""
        return f"{self.prefix}clock:offset"

    def flows_live(self) -> str:
        """Hash: flow name -> its live (newest published) version number."""
        return f"{self.prefix}flows:live"

    def flow_text(self, name: str, version: int) -> str:
        """The YAML of one published flow version, for calls still on it in other processes."""
        return f"{self.prefix}flows:text:{name}:{version}"

    # --- tickets (write-behind event log) ---
    def events_stream(self) -> str:
        """The Redis stream every call event goes through on its way to the ticket store."""
        return f"{self.prefix}events"

    def events_dead_letter(self) -> str:
        """Stream entries the persister could not store (malformed), kept for a person to read."""
        return f"{self.prefix}events:dead"

    def tickets_health(self) -> str:
        """Why the ticket store refuses writes, set by a persister while it does (expires)."""
        return f"{self.prefix}tickets:health"

    def customer(self, caller: str) -> str:
        """A small summary of one caller's history, kept fresh by the event persister."""
        return f"{self.prefix}customer:{caller}"

    # --- speech ---
    def transcription(self, call_sid: str) -> str:
        """The outcome of transcribing one call's recording."""
        return f"{self.prefix}transcription:{call_sid}"

    def speech_check(self, call_sid: str) -> str:
        """Whether one call's newest recording holds speech (SpeechCheck), before its words."""
        return f"{self.prefix}speech:check:{call_sid}"

    def arq_queue(self) -> str:
        """The arq job queue for transcription."""
        return f"{self.prefix}arq:queue"

    def speech_workload(self) -> str:
        """Hash: transcription totals (jobs, audio and busy seconds, last real-time factor)."""
        return f"{self.prefix}speech:workload"

    # --- web pages (ivr.web) ---
    def web_session(self, session_id: str) -> str:
        """A signed-in browser session (principal, CSRF token), expiring when idle."""
        return f"{self.prefix}web:session:{session_id}"

    def console_online(self, agent_id: str) -> str:
        """Present while an agent's console holds its live channel open (short expiry)."""
        return f"{self.prefix}web:console:{agent_id}:online"

    def console_ring(self, call_sid: str) -> str:
        """A list the console pushes its answer to a ringing call onto (answer, decline, end)."""
        return f"{self.prefix}web:ring:{call_sid}"

    def console_call(self, agent_id: str) -> str:
        """The call an agent's console is ringing with or talking on, for a reloaded page."""
        return f"{self.prefix}web:console:{agent_id}:call"

    # --- routing: see ivr.routing (its keys are built here too) ---
    def routing(self, *parts: str) -> str:
        """A routing key, e.g. routing('agent', 'a1')."""
        return f"{self.prefix}routing:" + ":".join(parts)

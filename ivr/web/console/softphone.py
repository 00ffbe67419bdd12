"""The in-browser softphone's access token (Twilio Voice SDK), minted by the service.

With IVR_TWILIO_ACCOUNT_SID, IVR_TWILIO_API_KEY, IVR_TWILIO_API_SECRET and
IVR_TWILIO_TWIML_APP_SID set, the console registers a Twilio Device as the
agent's client identity (our `<Dial><Client><Identity>` rings it). Without
them the console rings through the simulator (ivr.web.console.ringing).
"""

from __future__ import annotations

from twilio.jwt.access_token import AccessToken
from twilio.jwt.access_token.grants import VoiceGrant

from ivr.config import Settings

TOKEN_SECONDS = 3600


def softphone_configured(settings: Settings) -> bool:
    """Whether every Twilio setting the softphone needs is there."""
    return all(
        (
            settings.twilio_account_sid,
            settings.twilio_api_key,
            settings.twilio_api_secret,
            settings.twilio_twiml_app_sid,
        )
    )


def access_token(settings: Settings, *, identity: str) -> str:
    """A signed JWT letting the browser register as `identity` and take incoming calls."""
    token = AccessToken(
        settings.twilio_account_sid,
        settings.twilio_api_key,
        settings.twilio_api_secret,
        identity=identity,
        ttl=TOKEN_SECONDS,
    )
    token.add_grant(
        VoiceGrant(outgoing_application_sid=settings.twilio_twiml_app_sid, incoming_allow=True)
    )
    jwt: str | bytes = token.to_jwt()
    return jwt.decode() if isinstance(jwt, bytes) else jwt

"""The public ids fixed by the contract: languages, topics, emotions, agent states."""

from enum import StrEnum


class Language(StrEnum):
    """A service language; the value is the contract id."""

    EN_US = "en-US"
    ZH_CN = "zh-CN"


class Topic(StrEnum):
    """What the caller is calling about."""

    LOST_STOLEN_CARD = "lost_stolen_card"
    CARD_SERVICES = "card_services"
    ACCOUNT_INQUIRY = "account_inquiry"
    PAYMENTS_TRANSFERS = "payments_transfers"
    LOANS = "loans"
    DIGITAL_BANKING = "digital_banking"
    FRAUD_DISPUTE = "fraud_dispute"
    COMPLAINT = "complaint"
    GENERAL = "general"


class Emotion(StrEnum):
    """The caller's emotion, as the bank's service manual names them."""

    NEUTRAL = "neutral"
    ANGRY = "angry"
    ANXIOUS = "anxious"
    SAD = "sad"
    AGITATED = "agitated"


class AgentState(StrEnum):
    """Where an agent stands right now."""

    AVAILABLE = "available"
    BUSY = "busy"
    WRAP_UP = "wrap_up"
    AWAY = "away"
    OFFLINE = "offline"


DEFAULT_LANGUAGE = Language.EN_US

# How strongly a non-neutral emotion must be read before the caller counts as upset.
UPSET_INTENSITY = 0.4


def is_upset(emotion: str | None, intensity: float | None) -> bool:
    """Whether a caller counts as upset: calming prompts, the supervisor's wall, reports."""
    if emotion is None or emotion == Emotion.NEUTRAL.value or intensity is None:
        return False
    return intensity >= UPSET_INTENSITY

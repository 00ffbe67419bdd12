"""The examples understanding learns from: `routing/topics.yaml` and `routing/emotions.yaml`.

Topics come with keyword rules and examples. (Not to be confused with
`ivr.flows.catalog`, the flows and prompts in force.)
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import TypeVar

import yaml
from pydantic import BaseModel, Field, ValidationError

from ivr.errors import ConfigError
from ivr.ids import Emotion, Language, Topic
from ivr.nlu.text import fold

_Model = TypeVar("_Model", bound=BaseModel)

TOPICS_FILE = "topics.yaml"
EMOTIONS_FILE = "emotions.yaml"


class TopicDefinition(BaseModel):
    """One topic as admins write it."""

    description: str = ""
    keywords: dict[Language, list[str]] = Field(default_factory=dict)
    examples: dict[Language, list[str]] = Field(default_factory=dict)


class TopicDefinitions(BaseModel):
    """Every topic of `topics.yaml`, keyed by its contract id."""

    topics: dict[Topic, TopicDefinition]

    def training_set(self) -> tuple[list[str], list[str]]:
        """(texts, topic ids) of every example in every language."""
        texts: list[str] = []
        labels: list[str] = []
        for topic, definition in self.topics.items():
            for examples in definition.examples.values():
                texts.extend(examples)
                labels.extend([topic.value] * len(examples))
        return texts, labels

    def phrases(self, language: Language) -> list[str]:
        """Every keyword and example of one language, once each: a recognition vocabulary."""
        seen: dict[str, None] = {}
        for definition in self.topics.values():
            for phrase in [
                *definition.keywords.get(language, []),
                *definition.examples.get(language, []),
            ]:
                seen.setdefault(phrase, None)
        return list(seen)

    def examples_hash(self) -> str:
        """A digest of the examples: the key of the trained-model cache."""
        texts, labels = self.training_set()
        blob = json.dumps([texts, labels], ensure_ascii=False).encode()
        return hashlib.sha256(blob).hexdigest()[:16]

    def keyword_rules(self) -> list[tuple[str, Topic]]:
        """(folded phrase, topic) for every keyword in every language, longest phrase first."""
        rules = {
            (fold(phrase), topic)
            for topic, definition in self.topics.items()
            for phrases in definition.keywords.values()
            for phrase in phrases
            if fold(phrase)
        }
        return sorted(rules, key=lambda rule: (-len(rule[0]), rule[0], rule[1].value))


def load_topics(routing_dir: Path) -> TopicDefinitions:
    """Parse and check `routing_dir/topics.yaml`; ConfigError names the file and the fault."""
    path = routing_dir / TOPICS_FILE
    catalogue = _parsed(path, TopicDefinitions)
    empty = [t.value for t, d in catalogue.topics.items() if not any(d.examples.values())]
    if empty:
        raise ConfigError(f"{path}: topics without examples: {', '.join(empty)}")
    if len(catalogue.topics) < 2:
        raise ConfigError(f"{path}: at least two topics are needed to train a classifier")
    return catalogue


class EmotionExamples(BaseModel):
    """`emotions.yaml`: what callers say when they feel each emotion, per language."""

    emotions: dict[Emotion, dict[Language, list[str]]]

    def training_set(self) -> tuple[list[str], list[str]]:
        """(texts, emotion ids) of every example in every language."""
        texts: list[str] = []
        labels: list[str] = []
        for emotion, by_language in self.emotions.items():
            for examples in by_language.values():
                texts.extend(examples)
                labels.extend([emotion.value] * len(examples))
        return texts, labels

    def examples_hash(self) -> str:
        """A digest of the examples: the key of the trained-model cache."""
        blob = json.dumps(self.training_set(), ensure_ascii=False).encode()
        return hashlib.sha256(blob).hexdigest()[:16]


def load_emotion_examples(routing_dir: Path) -> EmotionExamples | None:
    """Parse and check `routing_dir/emotions.yaml`; None when the file is absent.

    Without the file the emotion reader uses its lexicons, voice and behaviour only.
    """
    path = routing_dir / EMOTIONS_FILE
    if not path.exists():
        return None
    examples = _parsed(path, EmotionExamples)
    present = {e for e, by_language in examples.emotions.items() if any(by_language.values())}
    if Emotion.NEUTRAL not in present or len(present) < 2:
        raise ConfigError(f"{path}: examples of neutral and at least one emotion are needed")
    return examples


def _parsed(path: Path, model: type[_Model]) -> _Model:
    """`path`'s YAML checked against `model`; ConfigError names the file and the fault."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: {exc}") from exc
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        place = ".".join(str(part) for part in first["loc"])
        raise ConfigError(f"{path}: {place}: {first['msg']}") from exc

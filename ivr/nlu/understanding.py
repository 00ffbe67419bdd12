"""`Understanding`: the one object the flow engine asks what a caller meant and how they feel."""

from __future__ import annotations

import logging
import os
import pickle
import re
import tempfile
from collections.abc import Callable
from pathlib import Path

from ivr.ids import DEFAULT_LANGUAGE, Emotion, Language, Topic
from ivr.nlu.emotion import read_emotion
from ivr.nlu.encoder import encoder_fingerprint
from ivr.nlu.examples import TopicDefinitions, load_emotion_examples, load_topics
from ivr.nlu.focus import focus
from ivr.nlu.learner import TextClassifier
from ivr.nlu.models import Behaviour, EmotionReading, Reading, TopicPrediction, VoiceCues
from ivr.nlu.text import fold, has_content, has_language, normalize
from ivr.nlu.vectors import shipped_fingerprint

log = logging.getLogger(__name__)

# Bump when features or the learner change, so old caches are not loaded.
MODEL_VERSION = "6"
_CJK = re.compile(r"[\u3400-\u9fff]")
_PUNCTUATION = re.compile(r"[^\w\u3400-\u9fff']+")
# A keyword is a precise rule: it lifts its topic's probability by the bonus, and its
# confidence by as much, up to KEYWORD_CONFIDENCE (the model may be surer still).
KEYWORD_CONFIDENCE = 0.9
KEYWORD_BONUS = 0.5
# Input made only of words never seen in training reads as `general` at most this sure.
UNKNOWN_WORDS_CONFIDENCE = 0.2


class Understanding:
    """Topic and emotion of what a caller said; built once per process, never raises on text."""

    # Below this topic confidence the flow asks a short clarifying question (or offers keys).
    min_confidence: float = 0.5

    def __init__(
        self,
        *,
        catalogue: TopicDefinitions,
        classifier: TextClassifier,
        emotion_model: TextClassifier | None = None,
    ) -> None:
        self.catalogue = catalogue
        self.classifier = classifier
        # Trained from routing/emotions.yaml: one cue among the lexicon, voice and behaviour.
        self.emotion_model = emotion_model
        # Pay jieba's dictionary load and the scorers' set-up now, not on the first caller.
        self.classifier.ranked("hello 你好")
        if emotion_model is not None:
            emotion_model.ranked("hello 你好")
        self._needles = [
            (phrase if _CJK.search(phrase) else f" {_spaced(phrase)} ", topic)
            for phrase, topic in catalogue.keyword_rules()
        ]

    @classmethod
    def load(cls, routing_dir: Path, *, cache_dir: Path | None = None) -> Understanding:
        """Train from `routing_dir`'s topics.yaml and emotions.yaml, or load cached models."""
        catalogue = load_topics(routing_dir)
        # The models are keyed by learner, examples, word-piece vectors and encoder alike.
        version = f"{MODEL_VERSION}-{shipped_fingerprint()}-{encoder_fingerprint()}"
        classifier = _trained(
            f"topics-{version}-{catalogue.examples_hash()}.pickle",
            catalogue.training_set,
            cache_dir,
        )
        examples = load_emotion_examples(routing_dir)
        emotion_model = None
        if examples is not None:
            emotion_model = _trained(
                f"emotions-{version}-{examples.examples_hash()}.pickle",
                examples.training_set,
                cache_dir,
            )
        return cls(catalogue=catalogue, classifier=classifier, emotion_model=emotion_model)

    def topic(self, text: str, language: Language | str = DEFAULT_LANGUAGE) -> TopicPrediction:
        """The topic of `text` with a calibrated confidence and the runner-up."""
        try:
            return self._topic(text if isinstance(text, str) else str(text))
        except Exception:  # a caller must never meet a stack trace
            log.exception("topic classification failed; answering general")
            return TopicPrediction(topic=Topic.GENERAL, confidence=0.0, source="model")

    def _topic(self, text: str) -> TopicPrediction:
        if not has_language(normalize(text)):
            return TopicPrediction(topic=Topic.GENERAL, confidence=0.0, source="model")
        # What the caller is not calling about, and an aside after the request, are set aside.
        text = focus(fold(text))
        ranked = [(Topic(label), p) for label, p in self.classifier.ranked(text)]
        hits = self.keyword_topics(text)
        if hits:
            # A keyword lifts its topic; among several, or against a sure model, scores decide.
            lifted = sorted(
                ((t, p + (KEYWORD_BONUS if t in hits else 0.0)) for t, p in ranked),
                key=lambda item: -item[1],
            )
            best = lifted[0][0]
            if best is Topic.GENERAL and hits - {Topic.GENERAL}:
                # "A person about my mortgage": the named subject routes better than "general".
                best = next(t for t, _ in lifted if t in hits and t is not Topic.GENERAL)
            if best in hits:
                runner_up, runner_p = next((t, p) for t, p in ranked if t is not best)
                return TopicPrediction(
                    topic=best,
                    confidence=round(_keyword_confidence(dict(ranked)[best]), 4),
                    runner_up=runner_up,
                    runner_up_confidence=round(min(runner_p, 1.0 - KEYWORD_CONFIDENCE), 4),
                    source="keyword",
                )
        (top, top_p), (second, second_p) = ranked[0], ranked[1]
        if self.classifier.known_word_share(text) == 0.0 or not has_content(text):
            # Nothing the examples know, or nothing but "the thing from before": ask.
            return TopicPrediction(
                topic=Topic.GENERAL,
                confidence=round(
                    min(dict(ranked).get(Topic.GENERAL, 0.0), UNKNOWN_WORDS_CONFIDENCE), 4
                ),
                runner_up=top if top is not Topic.GENERAL else second,
                runner_up_confidence=round(min(top_p, UNKNOWN_WORDS_CONFIDENCE), 4),
                source="model",
            )
        return TopicPrediction(
            topic=top,
            confidence=round(top_p, 4),
            runner_up=second,
            runner_up_confidence=round(second_p, 4),
            source="model",
        )

    def keyword_topics(self, text: str) -> set[Topic]:
        """Topics whose keyword rules occur in the text (English on word boundaries)."""
        folded = f" {_spaced(fold(text))} "
        return {topic for needle, topic in self._needles if needle in folded}

    def emotion(
        self,
        text: str,
        language: Language | str = DEFAULT_LANGUAGE,
        *,
        voice: VoiceCues | None = None,
        behaviour: Behaviour | None = None,
        baseline: VoiceCues | None = None,
    ) -> EmotionReading:
        """The caller's emotion from text, voice (vs the call's `baseline`) and behaviour."""
        try:
            return read_emotion(
                text if isinstance(text, str) else str(text),
                voice=voice,
                baseline=baseline,
                behaviour=behaviour,
                model=self.emotion_model,
            )
        except Exception:  # a caller must never meet a stack trace
            log.exception("emotion reading failed; answering neutral")
            return EmotionReading(emotion=Emotion.NEUTRAL, intensity=0.0)

    def read(
        self,
        text: str,
        language: Language | str = DEFAULT_LANGUAGE,
        *,
        voice: VoiceCues | None = None,
        behaviour: Behaviour | None = None,
        baseline: VoiceCues | None = None,
    ) -> Reading:
        """Topic and emotion together, as `ivr nlu classify` prints them."""
        topic = self.topic(text, language)
        feeling = self.emotion(text, language, voice=voice, behaviour=behaviour, baseline=baseline)
        return Reading(
            text=text if isinstance(text, str) else str(text),
            language=resolve_language(language, text).value,
            topic=topic.topic,
            topic_confidence=topic.confidence,
            runner_up=topic.runner_up,
            topic_source=topic.source,
            emotion=feeling.emotion,
            emotion_intensity=feeling.intensity,
            cues=feeling.cues,
        )

    def needs_clarification(self, prediction: TopicPrediction) -> bool:
        """True when the flow should ask a clarifying question instead of routing."""
        return prediction.confidence < self.min_confidence


def _keyword_confidence(model_probability: float) -> float:
    """A keyword the model also favours is near-certain; one it doubts is less so."""
    lifted = min(KEYWORD_CONFIDENCE, model_probability + KEYWORD_BONUS)
    return min(1.0, max(model_probability, lifted))


def resolve_language(language: Language | str, text: str = "") -> Language:
    """The contract language for `language`; unknown codes are guessed from the text."""
    try:
        return Language(language)
    except ValueError:
        if isinstance(language, str) and language.lower().startswith(("zh", "cmn")):
            return Language.ZH_CN
        return Language.ZH_CN if _CJK.search(text or "") else DEFAULT_LANGUAGE


def _spaced(text: str) -> str:
    """Punctuation as spaces, so English keywords match on word boundaries."""
    return _PUNCTUATION.sub(" ", text)


def _trained(
    key: str, examples: Callable[[], tuple[list[str], list[str]]], cache_dir: Path | None
) -> TextClassifier:
    """The classifier cached under `key`, or one trained now from `examples` (and cached)."""
    classifier = _read_cache(cache_dir / key) if cache_dir is not None else None
    if classifier is None:
        texts, labels = examples()
        log.info("training %s (first start; cached afterwards)", key)
        # Asking the sentence encoder measured no gain on either hotline set (its head was
        # not kept, topics or emotions) and doubles the first start: it stays out here.
        classifier = TextClassifier(encoder=False).fit(
            texts, labels, progress=lambda stage: log.info("training %s: %s", key, stage)
        )
        if cache_dir is not None:
            _write_cache(cache_dir / key, classifier)
    return classifier


def _read_cache(path: Path) -> TextClassifier | None:
    """A cached classifier, or None when absent or unreadable (then we retrain)."""
    try:
        with path.open("rb") as handle:
            loaded = pickle.load(handle)  # our own data dir, written by us
        if not isinstance(loaded, TextClassifier):
            return None
        loaded.ranked("hello 你好")  # a model pickled by older code fails here, not on a caller
    except FileNotFoundError:
        return None
    except Exception:  # a stale or torn cache only costs a retrain
        log.warning("ignoring unreadable model cache %s", path)
        return None
    return loaded


def _write_cache(path: Path, classifier: TextClassifier) -> None:
    """Write atomically so concurrent workers never read half a file."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".model-", suffix=".tmp")
        with os.fdopen(fd, "wb") as handle:
            pickle.dump(classifier, handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
    except OSError:
        log.warning("could not cache a trained model in %s", path.parent)

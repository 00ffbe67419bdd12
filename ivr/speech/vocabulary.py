"""The bank vocabulary the recogniser is biased to, and the files pocketsphinx loads for it.

Training text comes from three places admins already edit: the bank phrases
in routing/vocabulary.yaml, the topic keywords and examples in
routing/topics.yaml, and the `hints` of the flows' menu nodes. The language
model and a pronunciation dictionary cut down to its words are written under
the data dir, keyed by a hash of their text, so a process builds them once.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ivr.errors import ConfigError
from ivr.speech.common_words import COMMON_WORDS
from ivr.speech.lm import build_arpa, tokenize

log = logging.getLogger(__name__)

LANGUAGE = "en-US"
VOCABULARY_FILE = "vocabulary.yaml"
TOPICS_FILE = "topics.yaml"
# How much of the unigram mass goes to common English words nobody wrote down.
BACKGROUND_WEIGHT = 0.1
DISCOUNT = 0.5
# Alternative pronunciations make more words sound alike than they help.
MAX_PRONUNCIATIONS = 1
# Word frequencies of the stock model fall off as rank ** -1.2 (Zipf).
BACKGROUND_ZIPF = 1.2


@dataclass(frozen=True, slots=True)
class DomainModel:
    """Files of a built domain model: an ARPA language model and its dictionary."""

    lm_path: Path
    dict_path: Path
    words: int
    dropped: tuple[str, ...] = ()


def _load_yaml(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: cannot read it for the speech vocabulary: {exc}") from exc


def _strings(node: Any) -> Iterator[str]:
    """Every string inside a YAML node (lists and mappings walked)."""
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from _strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from _strings(value)


def _under_key(node: Any, key: str) -> Iterator[Any]:
    """Values of every mapping entry named `key`, at any depth."""
    if isinstance(node, dict):
        for name, value in node.items():
            if name == key:
                yield value
            else:
                yield from _under_key(value, key)
    elif isinstance(node, list):
        for value in node:
            yield from _under_key(value, key)


def training_phrases(routing_dir: Path, flows_dir: Path) -> list[str]:
    """The English phrases the domain model learns from, in a stable order."""
    phrases: list[str] = []
    vocabulary = routing_dir / VOCABULARY_FILE
    if vocabulary.is_file():
        node = _load_yaml(vocabulary) or {}
        phrases.extend(_strings((node.get(LANGUAGE) or {}).get("phrases") or []))
    topics = routing_dir / TOPICS_FILE
    if topics.is_file():
        for node in _under_key(_load_yaml(topics), LANGUAGE):
            phrases.extend(_strings(node))
    if flows_dir.is_dir():
        for path in sorted(flows_dir.glob("*.yaml")):
            for node in _under_key(_load_yaml(path), "hints"):
                phrases.extend(_strings(node))
    # Hints hold Chinese too; keep what an English recogniser can say.
    return [p for p in phrases if tokenize(p)]


def pronunciations(routing_dir: Path) -> dict[str, str]:
    """Extra pronunciations (word -> CMU phones) admins wrote in vocabulary.yaml."""
    path = routing_dir / VOCABULARY_FILE
    if not path.is_file():
        return {}
    node = _load_yaml(path) or {}
    extra = (node.get(LANGUAGE) or {}).get("pronunciations") or {}
    return {str(w).lower(): str(p).upper() for w, p in extra.items()}


def read_dictionary(path: Path) -> dict[str, list[str]]:
    """A CMU-format pronunciation dictionary: word -> its pronunciations."""
    entries: dict[str, list[str]] = {}
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            word, _, phones = line.strip().partition(" ")
            if phones:
                entries.setdefault(word.split("(")[0], []).append(phones.strip())
    return entries


def _lm_sentences(phrases: Iterable[str], known: set[str]) -> tuple[list[list[str]], set[str]]:
    sentences: list[list[str]] = []
    dropped: set[str] = set()
    for phrase in phrases:
        words = tokenize(phrase)
        dropped.update(w for w in words if w not in known)
        # An unknown word splits the phrase, so no n-gram spans the gap.
        run: list[str] = []
        for word in [*words, ""]:
            if word in known:
                run.append(word)
            elif run:
                sentences.append(run)
                run = []
    return sentences, dropped


def build_domain_model(
    *, routing_dir: Path, flows_dir: Path, dictionary_path: Path, cache_dir: Path
) -> DomainModel:
    """Build (or reuse from `cache_dir`) the domain LM and its dictionary."""
    dictionary = read_dictionary(dictionary_path)
    for word, phones in pronunciations(routing_dir).items():
        dictionary[word] = [phones]
    known = set(dictionary)
    sentences, dropped = _lm_sentences(training_phrases(routing_dir, flows_dir), known)
    if not sentences:
        raise ConfigError(f"{routing_dir}: no English phrases to build a speech vocabulary from")
    background = {w: rank**-BACKGROUND_ZIPF for rank, w in enumerate(COMMON_WORDS, 1) if w in known}
    arpa = build_arpa(
        sentences, background=background, background_weight=BACKGROUND_WEIGHT, discount=DISCOUNT
    )
    words = sorted(
        {g.split("\t")[1] for g in arpa.splitlines() if g.count("\t") == 2} - {"<s>", "</s>"}
    )
    words = [w for w in words if " " not in w]
    lexicon = "".join(
        f"{w if i == 0 else f'{w}({i + 1})'} {p}\n"
        for w in words
        for i, p in enumerate(dictionary[w][:MAX_PRONUNCIATIONS])
    )
    digest = hashlib.sha256((arpa + lexicon).encode()).hexdigest()[:16]
    folder = cache_dir / digest
    lm_path, dict_path = folder / "domain.lm", folder / "domain.dict"
    if not (lm_path.is_file() and dict_path.is_file()):
        folder.mkdir(parents=True, exist_ok=True)
        for path, text in ((lm_path, arpa), (dict_path, lexicon)):
            # Write then rename, so a second process never reads half a file.
            partial = path.with_suffix(f".{os.getpid()}.part")
            partial.write_text(text, encoding="utf-8")
            partial.replace(path)
    if dropped:
        log.info("speech vocabulary: no pronunciation for %s", ", ".join(sorted(dropped)))
    return DomainModel(
        lm_path=lm_path, dict_path=dict_path, words=len(words), dropped=tuple(sorted(dropped))
    )

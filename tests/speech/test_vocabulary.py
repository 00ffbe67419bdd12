"""The domain language model: built from the shipped config, valid ARPA, cached by content."""

from __future__ import annotations

import math
from pathlib import Path

from pocketsphinx import Config, Decoder, get_model_path

from ivr.config import PROJECT_DIR
from ivr.speech.lm import build_arpa, tokenize
from ivr.speech.vocabulary import build_domain_model, training_phrases

DICTIONARY = Path(get_model_path("en-us/cmudict-en-us.dict"))


def _parse(arpa: str) -> dict[int, dict[tuple[str, ...], tuple[float, float]]]:
    grams: dict[int, dict[tuple[str, ...], tuple[float, float]]] = {1: {}, 2: {}, 3: {}}
    order = 0
    for line in arpa.splitlines():
        if line.endswith("-grams:"):
            order = int(line[1])
        elif order and "\t" in line:
            fields = line.split("\t")
            backoff = float(fields[2]) if len(fields) > 2 else 0.0
            grams[order][tuple(fields[1].split())] = (float(fields[0]), backoff)
    return grams


def _prob(
    grams: dict[int, dict[tuple[str, ...], tuple[float, float]]], gram: tuple[str, ...]
) -> float:
    """p(last word | history) under back-off, from parsed ARPA."""
    if gram in grams[len(gram)]:
        return 10 ** grams[len(gram)][gram][0]
    backoff = grams[len(gram) - 1].get(gram[:-1], (0.0, 0.0))[1]
    return 10**backoff * _prob(grams, gram[1:])


def test_tokenize_speaks_like_a_recogniser() -> None:
    assert tokenize("Press 1, I've LOST my card!") == ["press", "one", "i've", "lost", "my", "card"]
    assert tokenize("top-up") == ["top", "up"]


def test_back_off_probabilities_sum_to_one() -> None:
    sentences = [tokenize(s) for s in ("block my card", "block my account", "lost my card")]
    grams = _parse(
        build_arpa(sentences, background={"the": 3.0, "card": 1.0}, background_weight=0.2)
    )
    vocabulary = [g[0] for g in grams[1] if g[0] != "<s>"]
    for history in (("my",), ("block", "my"), ("the",), ("<s>",)):
        total = sum(_prob(grams, (*history, w)) for w in vocabulary)
        assert math.isclose(total, 1.0, abs_tol=1e-3), (history, total)
    # Bank phrasing beats a background word after "block my".
    assert _prob(grams, ("block", "my", "card")) > _prob(grams, ("block", "my", "the"))


def test_shipped_vocabulary_builds_loads_and_is_cached(tmp_path: Path) -> None:
    phrases = training_phrases(PROJECT_DIR / "routing", PROJECT_DIR / "flows")
    assert "i lost my card" in phrases  # routing/vocabulary.yaml
    assert any(p.lower().startswith("lost card") for p in phrases)  # a flow hint
    model = build_domain_model(
        routing_dir=PROJECT_DIR / "routing",
        flows_dir=PROJECT_DIR / "flows",
        dictionary_path=DICTIONARY,
        cache_dir=tmp_path,
    )
    assert model.words > 1000
    again = build_domain_model(
        routing_dir=PROJECT_DIR / "routing",
        flows_dir=PROJECT_DIR / "flows",
        dictionary_path=DICTIONARY,
        cache_dir=tmp_path,
    )
    assert again.lm_path == model.lm_path
    assert len(list(tmp_path.iterdir())) == 1
    lexicon = model.dict_path.read_text()
    assert "\niban " in lexicon  # a pronunciation written in vocabulary.yaml
    decoder = Decoder(
        Config(
            hmm=get_model_path("en-us/en-us"),
            lm=str(model.lm_path),
            dict=str(model.dict_path),
            logfn="/dev/null",
        )
    )
    assert decoder.lookup_word("card") is not None


def test_new_examples_change_the_model(tmp_path: Path) -> None:
    routing = tmp_path / "routing"
    routing.mkdir()
    (routing / "vocabulary.yaml").write_text('en-US:\n  phrases: ["check my balance"]\n')
    first = build_domain_model(
        routing_dir=routing,
        flows_dir=tmp_path / "none",
        dictionary_path=DICTIONARY,
        cache_dir=tmp_path / "c",
    )
    (routing / "topics.yaml").write_text(
        "topics:\n  loans:\n    examples:\n"
        "      en-US: [apply for a mortgage]\n      zh-CN: [贷款]\n"
    )
    second = build_domain_model(
        routing_dir=routing,
        flows_dir=tmp_path / "none",
        dictionary_path=DICTIONARY,
        cache_dir=tmp_path / "c",
    )
    assert first.lm_path != second.lm_path
    assert "mortgage" in second.lm_path.read_text()

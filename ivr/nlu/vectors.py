"""Static English word-piece vectors: what words mean beyond the examples that contain them.

A linear model over n-grams knows only words it was trained on; a caller who
says "my plastic got nicked" uses words no example had. These vectors come from
a pretrained sentence encoder (all-MiniLM-L6-v2, Apache-2.0), distilled once
into one vector per word piece (model2vec's method). A second set (VECTOR_SETS)
is refined on banking sentences so that a sentence's mean piece vector
approaches the encoder's embedding of the whole sentence. Each is reduced to
128 dimensions by PCA and stored as int8 with a per-dimension scale: 3 MB each
in the package, no download, no torch at run time. A text's vector is the mean
of its pieces' vectors, unit length; looking it up costs tens of microseconds.
`scripts/build_wordpiece_vectors.py` rebuilds both files (it needs torch).

The encoder's vocabulary is English: Chinese text has no pieces here and gets
the zero vector, so it adds nothing and changes nothing.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from functools import lru_cache
from importlib import resources

import numpy as np
from numpy.typing import NDArray

VECTORS_FILE = "minilm-wordpieces.npz"
# The sets a learner may choose from: as distilled, and refined on banking sentences
# (better on BANKING77's fine intents, not on the hotline's broad conversational topics).
VECTOR_SETS = (VECTORS_FILE, "minilm-wordpieces-banking.npz")
_WORD = re.compile(r"[a-z0-9]+")
# The encoder's tokenizer gives up on longer words ([UNK]); so do we.
_MAX_WORD = 100


class WordpieceVectors:
    """Word-piece vectors and the greedy longest-match tokenizer that finds them."""

    def __init__(self, tokens: list[str], vectors: NDArray[np.float32]) -> None:
        self.index = {token: i for i, token in enumerate(tokens)}
        self.vectors = vectors
        self.dimensions = int(vectors.shape[1])
        self._pieces = lru_cache(maxsize=50_000)(self._word_pieces)

    @classmethod
    def from_npz(cls, path: str) -> WordpieceVectors:
        """Load `tokens`, int8 `vectors` and their per-dimension `scale` from an npz file."""
        with np.load(path, allow_pickle=False) as data:
            tokens = [str(t) for t in data["tokens"]]
            vectors = data["vectors"].astype(np.float32) * data["scale"].astype(np.float32)
        return cls(tokens, vectors)

    def embed(self, text: str) -> NDArray[np.float32]:
        """The unit mean vector of the text's word pieces; zeros when none is known."""
        ids = [i for word in _WORD.findall(_plain(text)) for i in self._pieces(word)]
        if not ids:
            return np.zeros(self.dimensions, dtype=np.float32)
        mean: NDArray[np.float32] = self.vectors[ids].mean(axis=0)
        norm = float(np.sqrt(mean @ mean))
        return mean / np.float32(norm) if norm > 0.0 else mean

    def embed_many(self, texts: list[str]) -> NDArray[np.float32]:
        """One row of `embed` per text."""
        out = np.zeros((len(texts), self.dimensions), dtype=np.float32)
        for row, text in enumerate(texts):
            out[row] = self.embed(text)
        return out

    def _word_pieces(self, word: str) -> tuple[int, ...]:
        """WordPiece: the longest known prefix, then "##"-continuations; () if a part is unknown."""
        if len(word) > _MAX_WORD:
            return ()
        pieces: list[int] = []
        start = 0
        while start < len(word):
            for end in range(len(word), start, -1):
                piece = word[start:end] if start == 0 else f"##{word[start:end]}"
                found = self.index.get(piece)
                if found is not None:
                    pieces.append(found)
                    start = end
                    break
            else:
                return ()
        return tuple(pieces)


def _plain(text: str) -> str:
    """Lower case without accents, as the encoder's uncased tokenizer sees text."""
    decomposed = unicodedata.normalize("NFD", text.lower())
    return "".join(c for c in decomposed if unicodedata.category(c) != "Mn")


@lru_cache(maxsize=4)
def shipped_vectors(name: str = VECTORS_FILE) -> WordpieceVectors:
    """One set of vectors shipped in `ivr/nlu/data/` (see VECTOR_SETS), loaded once per process."""
    if name not in VECTOR_SETS:
        raise ValueError(f"no shipped word-piece vectors named {name!r}")
    with resources.as_file(resources.files("ivr.nlu") / "data" / name) as path:
        return WordpieceVectors.from_npz(str(path))


@lru_cache(maxsize=1)
def shipped_fingerprint() -> str:
    """A short hash of the shipped vector files: a cached model trained beside other
    vectors must not be scored with these (its weights would read the wrong dimensions)."""
    digest = hashlib.sha256()
    for name in VECTOR_SETS:
        digest.update((resources.files("ivr.nlu") / "data" / name).read_bytes())
    return digest.hexdigest()[:12]

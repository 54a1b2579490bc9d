"""Write the training corpus (train split of ../shared/data + recorded key strokes) to one pack file.

For training on a machine without ``../shared`` (e.g. a GPU machine that takes a
copy of the repository of at most 64 MB):

    python recipes/neural/pack_corpus.py gpu_pack/corpus.pkl --max-utterance-s 6

then ``python -m voxclean.neural.train CONFIG --corpus-pack gpu_pack/corpus.pkl``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from voxclean.neural.data import TrainCorpus


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("out", type=Path, help="pack file to write")
    p.add_argument("--max-utterance-s", type=float, default=None, help="keep the first seconds of each utterance")
    p.add_argument("--keystroke-dir", default="runs/extra_noise/kbsim", help="recorded key strokes ('' for none)")
    p.add_argument("--speech-level", type=float, default=0.92, help="Opus compression level of speech (0..1)")
    p.add_argument("--noise-level", type=float, default=0.88, help="Opus compression level of noise (0..1)")
    a = p.parse_args(argv)
    corpus = TrainCorpus.load(seed=0, keystroke_dir=Path(a.keystroke_dir) if a.keystroke_dir else None)
    a.out.parent.mkdir(parents=True, exist_ok=True)
    info = corpus.save_pack(
        a.out, max_utterance_s=a.max_utterance_s, speech_level=a.speech_level, noise_level=a.noise_level
    )
    print(json.dumps(info))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Where the default's realism distance comes from: the expression it asks for, or the faces it renders?

Issue 20's realism goal (Fréchet distance of the evaluator's features of the edits to real PrivateTest faces, at most
half of 0.64) is not met by the default (Table 1: 0.98, real-vs-real 0.15). This probe splits Table 1's own edits of
the default row (protocol (b), 350 PrivateTest faces to all 7 emotions, as 20_table1 saved them in
runs/20_table1/parts/) into the edits to the source's own emotion (no change asked) and the changed ones, and sets
beside them the 350 real source faces, each against the real PrivateTest faces (overall, and class-matched by the
emotion asked for / the label). It also prints how sure the evaluator is of the emotion asked for: its mean
probability of it, and how often it sees it.

Session 22 (the default row of 2026-12-04: local, CNN guidance 2, 1 for happy and surprise, 1.5 for neutral):

| faces | n | FD (real-vs-real) | class-matched FD (real-vs-real) | evaluator sees the emotion asked | its mean p |
|---|---|---|---|---|---|
| the real sources | 350 | 1.036 (0.618) | 0.349 (0.439) | 0.520 | 0.419 |
| edits to the source's own emotion | 350 | 3.240 (0.618) | 1.768 (0.439) | 0.817 | 0.633 |
| edits to another emotion | 2,100 | 0.961 (0.145) | 0.471 (0.133) | 0.664 | 0.490 |

(The sources' overall FD is not small because they have 50 faces of every class, the real set FER's own mix; their
class-matched distance is that of real faces.) The edits asked for no change are the farthest from real faces: the
guidance towards the source's own emotion (the label's and the CNN's) makes it plainer than the real faces show it (the
evaluator sees it in 0.817 of them, in 0.520 of the sources). The changed edits, too, are read with more certainty than
real faces (p 0.490 against 0.419). So part of the distance measures edits that are more decisive than real
expressions, not only rendering defects; how much is which, this probe does not separate. A realism measure on features
that do not encode the expression (or edits compared with real faces of the same evaluator confidence) would.

    FEXPR_DATA=../shared/data .venv/bin/python tools/realism_probe.py   # after 20_table1 measured the default
"""
import json, sys
from pathlib import Path
import numpy as np
import torch
from fexpr.core import fingerprint, _read_safetensors, _unflatten
from fexpr.data import load_fer2013
from fexpr.edit import checkpoint_dir, DEFAULT_METHOD
from fexpr.eval import Evaluator, realism
from fexpr.faces import faces_per_class

PART = Path('runs/20_table1/parts') / f"b_{DEFAULT_METHOD.replace(':', '_')}.pt"


def main():
    if not PART.is_file():
        sys.exit(f'{PART} not found: run 20_table1 for the default method first (tools/run_experiment.py 20_table1 '
                 f"--profile cpu -p update true -p methods '[\"{DEFAULT_METHOD}\"]' -p report_models '[]')")
    meta, tensors = _read_safetensors(PART)
    df, E, _ = _unflatten(json.loads(meta['skeleton']), tensors)
    key = json.loads(meta['key'])
    ev = Evaluator(checkpoint_dir() / 'evaluator_deepface_fer2013.safetensors', backend='direct')
    test = load_fer2013(split='test')
    n, t = E.shape[:2]
    faces, labels = faces_per_class(test, n // 7, 0)
    if key.get('faces') != fingerprint(faces, labels):
        sys.exit(f'{PART} holds other faces than 20_table1 protocol (b) with seed 0: run 20_table1 again')
    real_f, real_y = ev.features(test.images).double().numpy(), np.asarray(test.labels)
    tgt, src = np.tile(np.arange(t), n), np.repeat(labels.numpy(), t)
    flat = E.flatten(0, 1)
    def show(name, images, asked):
        f, p = ev.features(images).double().numpy(), ev.predict_proba(images).numpy()
        r = realism(f, real_f, fake_labels=asked, real_labels=real_y)
        print(f"{name}: n {len(images)}, FD {r['fd']:.3f} (real-vs-real {r['fd_real_vs_real']:.3f}), class-matched "
              f"{r['fd_matched']:.3f} ({r['fd_matched_real_vs_real']:.3f}); the evaluator sees the emotion asked "
              f"{(p.argmax(1) == asked).mean():.3f}, its mean p {p[np.arange(len(p)), asked].mean():.3f}", flush=True)
    show('the real sources', faces, labels.numpy())
    same = torch.from_numpy(tgt == src)
    show("edits to the source's own emotion", flat[same], tgt[same.numpy()])
    show('edits to another emotion', flat[~same], tgt[~same.numpy()])


if __name__ == '__main__': main()

"""Choose the default method's CNN guidance (and code shift) on PublicTest faces, apart from every measured face.

23_ablation and Table 1 measure edits of FER-2013 PrivateTest faces. This sweep edits N PublicTest faces per class
(default 10, drawn with seed 1) to every other emotion with `ddpm-vae:shift` (local) under each setting and prints,
per setting, edit success (the evaluator judges the target reached and dlib the same person), expression reached, same
person, how often fexpr's own emotion CNN (the network that guides) sees the target, and PSNR against the source.
The evaluator and dlib only pick one global setting on faces kept apart from the measured ones (as 22_tradeoff picks
guidance scales); they never guide or select an edit. Session 16 chose cnn_guidance 1.5, code shift 1 this way (the
setting with the best edit success among those that kept the person in >= 0.9 of the 420 edits).

    FEXPR_DATA=../shared/data .venv/bin/python tools/cnn_guidance_sweep.py --settings 0:2,1:2,1.5:1,1.5:2,2:1,3:2
"""
import argparse, time
import numpy as np
import torch
from fexpr.core import to_float
from fexpr.data import load_fer2013
from fexpr.edit import Editor, checkpoint_dir, _fer_view
from fexpr.eval import Evaluator, face_descriptors, measure_edits, DLIB_SAME_PERSON
from fexpr.faces import faces_per_class


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--per-class', type=int, default=10, help='PublicTest faces per class (default 10)')
    p.add_argument('--settings', default='0:2,1.5:1', help='comma-separated cnn_guidance:code_shift pairs')
    p.add_argument('--guidance', type=float, default=10., help='label guidance scale (default 10, the method\'s)')
    p.add_argument('--steps', type=int, default=10, help='DDIM steps (default 10)')
    a = p.parse_args(argv)
    val = load_fer2013(split='val')
    faces, labels = faces_per_class(val, a.per_class, 1)
    ed = Editor('ddpm-vae:shift')
    ev = Evaluator(checkpoint_dir() / 'evaluator_deepface_fer2013.safetensors', backend='direct')
    desc = face_descriptors(faces)
    for pair in a.settings.split(','):
        lam, shift = (float(v) for v in pair.split(':'))
        t0 = time.perf_counter()
        df, E = measure_edits(ed, faces, labels, ev, 'all', source_descriptors=desc, steps=a.steps, seed=0,
                              guidance=a.guidance, local=True, code_shift=shift, cnn_guidance=lam)
        with torch.no_grad(): own = ed.classifier.eval()(_fer_view(to_float(E.flatten(0, 1)))).argmax(1).numpy()
        off = (df.source != df.target).to_numpy()
        hit, same = (df.pred == df.target).to_numpy(), (df.identity_distance < DLIB_SAME_PERSON).to_numpy()
        print(f'cnn_guidance {lam:g}, code shift {shift:g}: edit success {(hit & same)[off].mean():.3f}, expression '
              f'{hit[off].mean():.3f}, same person {same[off].mean():.3f}, own CNN sees the target '
              f'{(own == df.target.to_numpy())[off].mean():.3f}, PSNR {df.psnr[off].mean():.2f} (n={int(off.sum())} '
              f'edits of {len(faces)} faces, {time.perf_counter() - t0:.0f} s)', flush=True)


if __name__ == '__main__': main()

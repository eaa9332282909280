"""Does undoing an edit's small changes keep the person more often? And how steady is dlib's same-person verdict?

Issue 20 suggests keeping the source's own pixels where the edit does not need to change them. The default method
already keeps them outside the expressive regions (`local`); inside, the DDIM inversion and decoding also drift a few
grey levels where the expression does not change. This probe edits N PublicTest faces per class (default 10, seed 1,
apart from every measured face) to every emotion with the default method, then undoes each edit's small changes: where
the change (|edit - source|, blurred 1 px) is under `a` grey levels the source returns, over 2a the edit stays, a blend
between. It prints edit success, expression, same person (with the edits that flip each way against the default's),
PSNR, SSIM and realism FD (also class-matched, against real PrivateTest faces), overall and per target
(success / same person). (Session 22 first warped the source along DIS flow to the edit before adding the gated
residual; at 48x48 DIS sees no motion worth the name (the warp alone: PSNR 41 dB to the source, expression 0.079),
so the warp is left out here.)

Session 22 (2 threads; 420 changed edits of 70 faces each; flips: +gained / -lost against the default's edits):

| undo below | edit success | expression | same person | PSNR | SSIM | FD (class-matched; real-vs-real 0.35) |
|---|---|---|---|---|---|---|
| 0 (the default) | 0.586 | 0.652 | 0.902 | 21.04 | 0.844 | 1.218 (0.626) |
| 2 grey levels | 0.583 (+4/-5) | 0.652 (+1/-1) | 0.910 (+8/-5) | 21.04 | 0.844 | 1.218 (0.625) |
| 3 | 0.586 (+4/-4) | 0.650 (+1/-2) | 0.914 (+8/-3) | 21.05 | 0.844 | 1.216 (0.624) |
| 4 | 0.581 (+4/-6) | 0.650 (+2/-3) | 0.905 (+6/-5) | 21.06 | 0.845 | 1.214 (0.622) |
| 6 | 0.586 (+7/-7) | 0.650 (+3/-4) | 0.902 (+8/-8) | 21.09 | 0.846 | 1.207 (0.615) |
| 8 | 0.569 (+6/-13) | 0.640 (+2/-7) | 0.895 (+8/-11) | 21.17 | 0.850 | 1.197 (0.605) |

No setting keeps the person more often beyond chance, and none was adopted. What the table shows instead: undoing
changes of under 2-4 grey levels (PSNR unchanged to 0.01 dB) flips dlib's same-person verdict in 11-13 of the 420
edits, both ways. dlib's verdict on a 48x48 edit has a jitter of about 3% of edits under invisible changes, so a
difference of a few edits in the same-person rate (Table 1: 0.896 against the goal's 0.90) is within what the
measure itself moves by.

    FEXPR_DATA=../shared/data .venv/bin/python tools/small_change_probe.py --levels 2,3,4,6,8
"""
import argparse
import numpy as np
import torch
from fexpr.data import load_fer2013
from fexpr.ddpm import gaussian_blur
from fexpr.edit import Editor, checkpoint_dir
from fexpr.eval import Evaluator, face_descriptors, measure_edits, realism, _similarity_columns, DLIB_SAME_PERSON
from fexpr.faces import faces_per_class, EMOTIONS


def undo_small_changes(edits:torch.Tensor, sources:torch.Tensor, level:float) -> torch.Tensor:
    "uint8 (N,T,C,S,S) edits with changes under `level` grey levels (blurred 1 px) undone, over 2 x level kept."
    x0 = sources.float()[:, None]
    d = edits.float() - x0
    mag = gaussian_blur(d.abs().flatten(0, 1), 1.0).view_as(d).amax(2, keepdim=True)
    return (x0 + ((mag - level) / level).clamp(0, 1) * d).round().clamp(0, 255).to(torch.uint8)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--per-class', type=int, default=10, help='PublicTest faces per class (default 10)')
    p.add_argument('--levels', default='2,3,4,6,8', help='comma-separated grey levels to undo changes under')
    a = p.parse_args(argv)
    faces, labels = faces_per_class(load_fer2013(split='val'), a.per_class, 1)
    ed = Editor('ddpm-vae:shift')
    ev = Evaluator(checkpoint_dir() / 'evaluator_deepface_fer2013.safetensors', backend='direct')
    desc = face_descriptors(faces)
    _, E = measure_edits(ed, faces, labels, ev, 'all', source_descriptors=desc, steps=10, seed=0)
    test = load_fer2013(split='test')
    real_f, real_y = ev.features(test.images).double().numpy(), np.asarray(test.labels)
    n, t = E.shape[:2]
    tgt, off = np.tile(np.arange(t), n), np.tile(np.arange(t), n) != np.repeat(labels.numpy(), t)
    base = {}
    def score(name, X):
        pred, sim = ev.predict(X.flatten(0, 1)).numpy(), _similarity_columns(X, faces, desc)
        hit, same = pred == tgt, sim['identity_distance'] < DLIB_SAME_PERSON
        succ = hit & same
        r = realism(ev.features(X.flatten(0, 1)[off]).double().numpy(), real_f, fake_labels=tgt[off], real_labels=real_y)
        if not base: base.update(succ=succ, hit=hit, same=same)
        flips = lambda v, k: f"+{int((v & ~base[k])[off].sum())}/-{int((~v & base[k])[off].sum())}"
        print(f"{name}: edit success {succ[off].mean():.3f} ({flips(succ, 'succ')}), expression {hit[off].mean():.3f} "
              f"({flips(hit, 'hit')}), same person {same[off].mean():.3f} ({flips(same, 'same')}), PSNR "
              f"{np.mean(sim['psnr'][off]):.2f}, SSIM {np.mean(sim['ssim'][off]):.3f}, FD {r['fd']:.3f} (real-vs-real "
              f"{r['fd_real_vs_real']:.2f}), class-matched {r['fd_matched']:.3f} ({r['fd_matched_real_vs_real']:.2f})",
              flush=True)
        print('  ' + '; '.join(f'{e} {succ[off & (tgt == k)].mean():.3f} / {same[off & (tgt == k)].mean():.3f}'
                               for k, e in enumerate(EMOTIONS)), flush=True)
    score('the default', E)
    for level in (float(v) for v in a.levels.split(',')):
        score(f'undo below {level:g} grey levels', undo_small_changes(E, faces, level))


if __name__ == '__main__': main()

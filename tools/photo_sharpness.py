"""How much of a photo's face sharpness its edits keep: over the face box, and outside the source's lips.

The sharpness of 24_photo_edits (`fexpr.eval.sharpness`: variance of the luminance's Laplacian over the face box,
edit / source) charges an edit for every edge it removes, the teeth of a smiling source included: an edit that closes
her mouth sharply still loses their edges. This script prints, for each edit of one photo (scikit-image's astronaut by
default, the photo of `fexpr demo`), the ratio over the whole face box and over the box without the source's lips and
teeth (the outer lip contour of its 68 landmarks, dilated 2 photo pixels), and the share of the source's Laplacian
energy inside the lips, for the default transfer and for the old paste-back.

    .venv/bin/python tools/photo_sharpness.py                      # the astronaut, default method
    .venv/bin/python tools/photo_sharpness.py photo.jpg --method ddpm-label:invert
"""
import argparse
import numpy as np
import torch
from fexpr.edit import edit, FACE_BOXES
from fexpr.eval import sharpness
from fexpr.photo import landmarks68, read_image


def lips_mask(result) -> np.ndarray:
    "(H,W) bool: the source's lips and teeth in the photo (outer lip contour of the crop's landmarks, dilated 2 px)."
    import cv2
    f = result.faces[0]
    pts = landmarks68(f.crop[None].cpu(), box=FACE_BOXES.get('fer'))[0][48:60]
    ph = np.c_[pts, np.ones(len(pts))] @ np.asarray(f.face.matrix, dtype=np.float64).T
    m = np.zeros(result.photo.shape[:2], np.uint8)
    cv2.fillPoly(m, [np.round(ph).astype(np.int32)], 1)
    return cv2.dilate(m, np.ones((5, 5), np.uint8)).astype(bool)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('photo', nargs='?', default=None, help="a photo (default: scikit-image's astronaut)")
    p.add_argument('--method', default=None, help='editing method (default: the default method)')
    p.add_argument('--seed', type=int, default=0)
    a = p.parse_args(argv)
    if a.photo is None:
        from skimage import data as skdata
        photo, name = skdata.astronaut(), 'astronaut'
    else: photo, name = read_image(a.photo), a.photo
    chw = lambda im: torch.from_numpy(np.ascontiguousarray(im)).permute(2, 0, 1)  # (H,W,3) -> (3,H,W) uint8
    for label, kw in (('default transfer', {}), ('paste-back', dict(transfer='paste', mouth_fill=False))):
        r = edit(photo, 'all', a.method, seed=a.seed, **kw)
        b = r.faces[0].face.box
        box = np.s_[max(b.top, 0):b.bottom, max(b.left, 0):b.right]
        keys = [k for k in r.images if k != r.faces[0].source]
        faces = torch.stack([chw(photo[box])] + [chw(r.images[k][box]) for k in keys])  # the source first
        lips = lips_mask(r)[box]
        whole, rest = sharpness(faces), sharpness(faces, ~lips)  # 24_photo_edits' measure, and without the lips
        whole, rest = whole[1:] / whole[0], rest[1:] / rest[0]
        if label == 'default transfer':  # the Laplacian's energy inside the lips (its mean is ~0: area x variance)
            share = lips.mean() * sharpness(faces[:1], lips)[0] / sharpness(faces[:1])[0]
            print(f'{name}: {r.method}, face box {b.width}x{b.height} px, source {r.source_emotion}; the lips and '
                  f'teeth are {lips.mean():.0%} of the box and hold {share:.0%} of its Laplacian energy')
        print(f'  {label} ({r.settings["transfer"]}): sharpness kept, edit / source, over the {len(keys)} edits '
              f'(mean, min-max): face box {whole.mean():.3f} ({whole.min():.3f}-{whole.max():.3f}); '
              f'outside the lips {rest.mean():.3f} ({rest.min():.3f}-{rest.max():.3f})')
        for k, w, o in zip(keys, whole, rest): print(f'    {k:9s} {w:.3f}  {o:.3f}')

if __name__ == '__main__':
    import sys
    from fexpr.core import FexprError
    try: main()
    except (FexprError, ValueError, OSError) as e: sys.exit(f'photo_sharpness: {e}')

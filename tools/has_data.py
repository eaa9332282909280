"""Exit 0 when the data root ($FEXPR_DATA, else ./data) holds at least one dataset fexpr reads, else 1 (with a note).

`make reproduce` uses it to decide whether to go on from the demo to the experiment notebooks. The names it looks for
are the loaders' own (`fexpr.data.DATASET_FILES`).
"""
import sys
from fexpr.core import data_root
from fexpr.data import available_datasets

found = available_datasets()
if found:
    print(f'data root {data_root()}: ' + ', '.join(f'{k} ({p.name})' for k, p in found.items()))
    sys.exit(0)
print(f'no dataset in the data root {data_root().resolve()} (set FEXPR_DATA, see data/README.md): stopping after the demo')
sys.exit(1)

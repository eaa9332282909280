# fexpr: the two commands a new user needs are `make reproduce` and `make test` (see README.md).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PROFILE ?= cpu
FLAGS ?=
# Experiment notebooks in dependency order (train -> evaluate -> figures).
EXPERIMENTS ?= 00_datasets 10_train_cnn 11_train_vae 12_train_ddpm 14_train_evaluator 13_train_fvae 20_table1 21_samples 22_tradeoff 23_ablation 24_photo_edits \
	40_train_celeba 42_train_attr_guide 41_celeba_figures \
	30_fvae_psnr 31_fvae_editing 32_interpolation 33_flow_upsampling 34_perception_study 90_bench_ddpm 91_bench_batch 99_results
# 12_train_ddpm trains one model per condition of the CS230 report.
DDPM_CONDS ?= label label+cnn label+vae
# 13_train_fvae trains the flow VAE, its confidence net and the pixel VAE once per paired data set (30-34 use both).
FVAE_DATASETS ?= ckplus taiwanese

.PHONY: install test check browser-check reproduce demo experiments hooks lab clean-runs $(EXPERIMENTS)

# Creates .venv if missing and installs fexpr (editable) with the pinned versions in constraints.txt.
$(VENV)/.installed: settings.ini setup.py constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip setuptools wheel -c constraints.txt
	$(BIN)/python -m pip install -q -c constraints.txt -e ".[dev]"
	@touch $@

install: $(VENV)/.installed

# Cleanliness checks, then every notebook under nbdev_test; ends with "N passed, N failed".
test: install
	$(BIN)/python tools/checks.py
	$(BIN)/python tools/run_tests.py $(if $(FLAGS),--flags "$(FLAGS)")

check: install
	$(BIN)/python tools/checks.py

# The editing studio in a real browser: JupyterLab on a local port, nbs/studio.ipynb run in headless Chromium on the
# example photo until its edits appear -> figures/studio_browser.png. Installs Chromium (apt) and Playwright (pip)
# when missing.
browser-check: install
	$(BIN)/python tools/browser_check.py

# The demo (no dataset needed): scikit-image's astronaut photo edited to all 7 expressions with the shipped
# checkpoints, carried into the photo's own pixels (fexpr.photo.transfer_edit) -> figures/demo_astronaut*.png,
# figures/demo/astronaut_<emotion>.png.
# Then, when a data root holds datasets, the experiment notebooks of a profile (smoke | cpu | paper) with papermill:
# figures and tables to figures/, executed copies and logs to runs/. Data: $$FEXPR_DATA, else ./data (data/README.md).
reproduce: demo
	@if $(BIN)/python tools/has_data.py; then $(MAKE) --no-print-directory experiments PROFILE=$(PROFILE); fi

demo: install
	$(BIN)/fexpr demo --out figures

experiments: install
	@for nb in $(EXPERIMENTS); do $(MAKE) --no-print-directory $$nb PROFILE=$(PROFILE) || exit 1; done

$(filter-out 12_train_ddpm 13_train_fvae 40_train_celeba,$(EXPERIMENTS)): install
	$(BIN)/python tools/run_experiment.py $@ --profile $(PROFILE)

# The cpu profile trains the CelebA attribute DDPM in two stretches: from scratch (runs/40_train_celeba), then
# CELEBA_MORE more steps from the first stretch's EMA weights under a new one-cycle schedule, with the attribute
# classifier (the judge of 41) kept as it is (runs/40_train_celeba_more, which keeps a copy of the first model as
# init.safetensors). Each stretch resumes from its checkpoint when interrupted; the paper profile trains in one go.
CELEBA_MORE ?= -p ddpm_steps 5000 -p lr 0.0002 -p ema_start 0
40_train_celeba: install
	$(BIN)/python tools/run_experiment.py $@ --profile $(PROFILE)
	@if [ "$(PROFILE)" = cpu ]; then \
	  mkdir -p runs/$@_more && { test -f runs/$@_more/init.safetensors || cp checkpoints/ddpm_attrs_celeba.safetensors runs/$@_more/init.safetensors; } && \
	  $(BIN)/python tools/run_experiment.py $@ --profile $(PROFILE) --tag more -p init_ckpt $(CURDIR)/runs/$@_more/init.safetensors \
	    -p train_classifier false $(CELEBA_MORE); fi

12_train_ddpm: install
	@for c in $(DDPM_CONDS); do $(BIN)/python tools/run_experiment.py $@ --profile $(PROFILE) --tag $$c -p cond $$c || exit 1; done

13_train_fvae: install
	@for d in $(FVAE_DATASETS); do $(BIN)/python tools/run_experiment.py $@ --profile $(PROFILE) --tag $$d -p dataset $$d || exit 1; done

# Jupyter save hooks (clean notebooks on save) and the nbdev merge driver for notebooks.
hooks: install
	$(BIN)/nbdev_install_hooks

# JupyterLab (in the dev extras) on the notebooks, opened on the editing studio (nbs/studio.ipynb), with fexpr's
# kernel and widgets; LAB_FLAGS e.g. --no-browser --port 8899.
LAB_FLAGS ?=
lab: install
	$(BIN)/jupyter lab --notebook-dir nbs $(LAB_FLAGS) nbs/studio.ipynb

clean-runs:
	rm -rf runs

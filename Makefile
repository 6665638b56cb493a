# fashion-stream: `make run SOURCE=...` runs the main job, `make test` runs the tests.
# Both create ./.venv and install everything they need on first use.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
# The CPU build of torch 2.13.0 (on PyPI it is the CUDA build on Linux x86-64 GPU machines too).
TORCH_SPEC ?= torch==2.13.0
EXTRAS ?= onnx,openvino,postgres,parquet,serve,dev
STAMP := $(VENV)/.installed-$(EXTRAS)

SOURCE ?=
MODEL ?=
CONFIG ?= configs/offline.yaml
OUT ?= out/run
ARGS ?=

.PHONY: setup run test clean

# A make variable as one shell word, whatever it holds (spaces, &, ;, quotes, $): camera URLs do.
shell_word = '$(subst ','\'',$(1))'

setup: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q "$(TORCH_SPEC)"
	$(PY) -m pip install -q -e ".[$(EXTRAS)]"
	touch $@

run: $(STAMP)
	@test -n $(call shell_word,$(value SOURCE)) || { echo "usage: make run SOURCE=<video, image folder, webcam index or URL> [MODEL=<hub id or dir>] [CONFIG=configs/offline.yaml] [OUT=out/run] [ARGS='--detect-every 5']"; exit 2; }
	@$(VENV)/bin/fashion-stream run --config $(call shell_word,$(value CONFIG)) --source $(call shell_word,$(value SOURCE)) \
		--out $(call shell_word,$(value OUT)) --overwrite $(if $(MODEL),--model $(call shell_word,$(value MODEL))) $(ARGS)

test: $(STAMP)
	$(PY) -m pytest -q $(ARGS)

clean:
	rm -rf $(VENV) out .pytest_cache

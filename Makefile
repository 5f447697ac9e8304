# Two entry points on a fresh machine with only python3 and pip: `make demo` and `make test`.
# Each creates the virtual environment it needs in .venv.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# The CPU build of PyTorch; a bare `torch` resolves to a multi-GB CUDA build on Linux.
TORCH ?= torch==2.13.0

SAMPLE_INPUTS := \
	--input stackexchange=samples/stackexchange \
	--input wikihow=samples/wikihow \
	--input writingprompts=samples/writingprompts \
	--input superni=samples/superni \
	--input authored=samples/authored/examples.jsonl

.PHONY: demo test lint format sample-manifest verify-sample fuzz llama-tokenizer eval-loop clean

$(BIN)/lima-curate: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q -e .
	touch $@

$(VENV)/.test-deps: pyproject.toml $(BIN)/lima-curate
	$(BIN)/python -m pip install -q "$(TORCH)" -e ".[train,dev]"
	touch $@

demo: $(BIN)/lima-curate  ## build the sample manifest from the shipped dumps and print a summary
	$(BIN)/lima-curate build --recipe filters/sample.toml $(SAMPLE_INPUTS) --out build/demo --no-cache
	$(BIN)/lima-curate verify build/demo/manifest.jsonl

test: $(VENV)/.test-deps  ## run the test suite
	$(BIN)/python -m pytest -q -n 2 --durations=15 -rfEs

lint: $(VENV)/.test-deps  ## ruff (lint and format check) and mypy on the extension points
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(VENV)/.test-deps  ## apply ruff's fixes and formatting
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

sample-manifest: $(BIN)/lima-curate  ## rebuild the published manifests/sample from the shipped dumps
	$(BIN)/lima-curate build --recipe filters/sample.toml $(SAMPLE_INPUTS) --out manifests/sample --no-cache

verify-sample: $(BIN)/lima-curate
	$(BIN)/lima-curate verify manifests/sample/manifest.jsonl

FUZZ_MINUTES ?= 10
FUZZ_TARGETS ?=
fuzz: $(VENV)/.test-deps  ## the fuzz targets of tests/test_fuzz.py for FUZZ_MINUTES (split across targets): examples and failures per target
	$(BIN)/python tests/fuzz_targets.py --minutes $(FUZZ_MINUTES) $(FUZZ_TARGETS)

# LLaMA-1/2's tokenizer for tests/test_tokens_llama.py and benchmarks/tokens_llama.py, from the npm
# package llama-tokenizer-js (its vocabulary is Meta's: kept under the ignored data/, never committed).
LLAMA_TOKENIZER_JS ?= llama-tokenizer-js@1.2.2
llama-tokenizer:  ## fetch LLaMA's tokenizer (npm) into data/llama-tokenizer-js/ and check it against the package's tests
	rm -rf data/llama-tokenizer-js && mkdir -p data/llama-tokenizer-js
	cd data/llama-tokenizer-js && npm pack -q $(LLAMA_TOKENIZER_JS) >/dev/null && tar xzf llama-tokenizer-js-*.tgz
	LIMA_LLAMA_TOKENIZER_JS= $(BIN)/python benchmarks/tokens_llama.py check

eval-loop: $(VENV)/.test-deps  ## the quantity ablation end to end on CPU: sets, tiny models, answers, 1-6 ratings, the figure (docs/evaluation.md)
	BIN=$(BIN) scripts/eval_loop.sh

clean:
	rm -rf build .pytest_cache

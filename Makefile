# `make run` and `make test` are all a new machine needs; every target sets itself up.
PYTHON_VERSION ?= 3.10.13
PYTHON ?= $(shell PYENV_VERSION=$(PYTHON_VERSION) pyenv which python3.10 2>/dev/null || command -v python3.10)
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
MODEL := models/bot.tar.gz
# A model is retrained when its data, domain, config or custom NLU components change.
MODEL_INPUTS := $(shell find data bot/rasa bot/nlu -name '*.yml' -o -name '*.py' 2>/dev/null)
TRAIN_DATA := data bot/rasa/rules.yml bot/rasa/stories.yml
export TF_CPP_MIN_LOG_LEVEL ?= 2
export SQLALCHEMY_SILENCE_UBER_WARNING ?= 1
export RASA_TELEMETRY_ENABLED ?= false

.PHONY: setup run test train eval bench lint clean

setup: $(INSTALLED)

$(INSTALLED): pyproject.toml
	@test -n "$(PYTHON)" || { echo "Python 3.10 is needed (pyenv install $(PYTHON_VERSION))"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

$(MODEL): $(INSTALLED) $(MODEL_INPUTS)
	$(BIN)/rasa train --config bot/rasa/config.yml --domain bot/rasa/domain \
		--data $(TRAIN_DATA) --out models --fixed-model-name bot
	touch $@

train: $(MODEL)

run: $(MODEL)
	$(BIN)/python -m bot run

test: $(MODEL)
	$(BIN)/ruff check .
	$(BIN)/pytest

eval: $(MODEL)
	$(BIN)/python -m bench.eval

bench: $(MODEL)
	$(BIN)/python -m bench.run
	$(BIN)/python -m bench.wechat
	$(BIN)/python -m bench.handoff

lint: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean:
	rm -rf models results .pytest_cache

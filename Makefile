# Two commands do all the set-up on a fresh machine with Python 3.11+: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test
ARGS ?=

.PHONY: demo test lint i18n bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# The chat needs only the runtime; the test tool-chain (Synapse, hypothesis, ruff, …) comes with `make test`.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --no-compile -e .
	touch $(STAMP)

$(TEST_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(TEST_STAMP)

## demo: the console chat on SQLite with the shipped knowledge
demo: $(STAMP)
	@$(BIN)/helferbot console $(ARGS)

## test: the whole suite (set HELFERBOT_TEST_DATABASE_URL to run it on PostgreSQL)
test: $(TEST_STAMP)
	$(BIN)/python -m pytest $(ARGS)

## lint: style, and the architecture's import rules (pyproject's [tool.importlinter], see ARCHITECTURE.md)
lint: $(TEST_STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports

## i18n: extract texts and update the catalogs after changing user-facing text
i18n: $(TEST_STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _ -k N_ -k gettext -k ngettext:1,2 --no-location --sort-output \
		-o bot/locale/helferbot.pot .
	$(BIN)/pybabel update -i bot/locale/helferbot.pot -d bot/locale -D helferbot --no-fuzzy-matching --ignore-obsolete

bench: $(STAMP)
	$(BIN)/python bench/places.py $(ARGS)

clean:
	rm -rf $(VENV) helferbot-data .pytest_cache

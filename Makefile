# Two commands do all the set-up on a fresh machine with Python 3.11+: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
ARGS ?=

.PHONY: demo test lint i18n bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

## demo: the console chat on SQLite with the shipped knowledge
demo: $(STAMP)
	@$(BIN)/helferbot console $(ARGS)

## test: the whole suite (set HELFERBOT_TEST_DATABASE_URL to run it on PostgreSQL)
test: $(STAMP)
	$(BIN)/python -m pytest $(ARGS)

## lint: style, and the architecture's import rules (pyproject's [tool.importlinter], see ARCHITECTURE.md)
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports

## i18n: extract texts and update the catalogs after changing user-facing text
i18n: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _ -k N_ -k gettext -k ngettext:1,2 --no-location --sort-output \
		-o bot/locale/helferbot.pot .
	$(BIN)/pybabel update -i bot/locale/helferbot.pot -d bot/locale -D helferbot --no-fuzzy-matching --ignore-obsolete

bench: $(STAMP)
	$(BIN)/python bench/places.py $(ARGS)

clean:
	rm -rf $(VENV) helferbot-data .pytest_cache

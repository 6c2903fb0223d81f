# tui-crm: every set-up step lives here, so a fresh machine needs only `make run` or `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test
# Debian packages the tests need: tmux drives end-to-end journeys in a real terminal,
# postgresql serves the PostgreSQL path of the same code, libreoffice-calc-nogui (headless
# soffice) opens the Excel exports as a real spreadsheet.
SYSTEM_PACKAGES := tmux postgresql libreoffice-calc-nogui

.PHONY: run test bench lint format install compile system-deps i18n clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e .
	touch $@

$(TEST_STAMP): $(STAMP)
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

install: $(STAMP)

# Byte-compile the package as pip does for an installed wheel: an editable install in an
# environment with PYTHONDONTWRITEBYTECODE would otherwise compile ~40 modules at every
# start (a fifth of the cold start). Up-to-date files are skipped; stale ones Python redoes.
compile: $(STAMP)
	@$(BIN)/python -m compileall -q tui_crm

run: compile
	$(BIN)/tui-crm --demo

system-deps:
	@missing=""; for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

test: $(TEST_STAMP) system-deps
	$(BIN)/python -m pytest -q -n 2 --dist loadgroup

bench: compile
	$(BIN)/python -m bench

lint: $(TEST_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(TEST_STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Recompile the message catalogs after editing a .po file.
i18n: $(STAMP)
	$(BIN)/python -m tui_crm.i18n compile

clean:
	rm -rf $(VENV) dist build .pytest_cache .ruff_cache

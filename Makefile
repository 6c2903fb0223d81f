# tui-crm: every set-up step lives here, so a fresh machine needs only `make run` or `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test
# The exact versions the suite passed with (pip, the build backend, every dependency and
# test tool): every install below is constrained by it, so a fresh machine gets what the
# last green run had, whatever PyPI released since. Refresh it on purpose with `make lock`.
LOCK := requirements.lock
PIP_LOCKED := $(BIN)/python -m pip install --quiet --constraint $(LOCK) --build-constraint $(LOCK)
# Debian packages the tests need: tmux drives end-to-end journeys in a real terminal,
# postgresql serves the PostgreSQL path of the same code, libreoffice-calc-nogui (headless
# soffice) opens the Excel exports as a real spreadsheet.
SYSTEM_PACKAGES := tmux postgresql libreoffice-calc-nogui fonts-noto-core fonts-noto-cjk fonts-symbola

.PHONY: run test bench lint format install compile system-deps i18n lock clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --constraint $(LOCK) pip

$(STAMP): $(BIN)/python pyproject.toml $(LOCK)
	$(PIP_LOCKED) -e .
	touch $@

$(TEST_STAMP): $(STAMP)
	$(PIP_LOCKED) -e '.[test]'
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

# The layer rules first (import-linter's contracts in pyproject.toml; ARCHITECTURE.md).
test: $(TEST_STAMP) system-deps
	$(BIN)/lint-imports --no-cache
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

# Resolve pyproject.toml's ranges afresh in a throw-away environment and write the exact
# versions to $(LOCK). Run the tests after it: the lock is the set they passed with.
LOCK_VENV := .lock-venv
lock:
	rm -rf $(LOCK_VENV)
	$(PYTHON) -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(LOCK_VENV)/bin/python -m pip install --quiet -e '.[test,postgres]' hatchling
	{ echo "# Exact versions for every install (make lock writes it; make run/test/bench use it)."; \
	  $(LOCK_VENV)/bin/python -m pip freeze --all --exclude-editable | grep -v '^#' | grep -v '^setuptools=='; } > $(LOCK).new
	mv $(LOCK).new $(LOCK)
	rm -rf $(LOCK_VENV)
	rm -f $(STAMP) $(TEST_STAMP)

clean:
	rm -rf $(VENV) dist build .pytest_cache .ruff_cache

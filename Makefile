# Two commands on a fresh machine: `make run` and `make test` (see README.md).
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
VENDOR := backend/embed/static/vendor

.PHONY: install system-deps services run test test-python test-sqlite test-postgresql test-php test-e2e plugin bench translations-update clean

install: $(STAMP) $(VENDOR)/htmx.min.js translations

$(STAMP): requirements.txt requirements-dev.txt
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q --disable-pip-version-check -r requirements-dev.txt
	touch $@

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

$(VENDOR)/htmx.min.js: node_modules/.package-lock.json
	mkdir -p $(VENDOR)
	cp node_modules/htmx.org/dist/htmx.min.js node_modules/chart.js/dist/chart.umd.min.js $(VENDOR)/

# Quiet when it works (`make run` prints only what a newcomer needs); pybabel's output on failure.
translations: $(STAMP)
	@out=$$($(VENV)/bin/pybabel compile --statistics -d backend/translations 2>&1) || { echo "$$out" >&2; exit 1; }

# After adding UI strings: refresh the catalog, then translate (scripts/translate_bn.py).
translations-update: $(STAMP)
	$(VENV)/bin/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o backend/translations/messages.pot .
	$(VENV)/bin/pybabel update --no-fuzzy-matching -i backend/translations/messages.pot -d backend/translations
	$(PY) scripts/translate_bn.py

system-deps:
	bash scripts/install-system-deps.sh

services:
	bash scripts/ensure-services.sh

# `make run` needs Redis (the work queue's broker): Debian's redis-server when missing, quietly.
run: install
	@bash scripts/install-system-deps.sh redis-server
	@bash scripts/run-demo.sh

# pytest exits non-zero when it collects no tests, so an empty suite fails too.
test: install system-deps services test-python test-php test-e2e

# Both databases at once (scripts/test-python.sh says why that is safe and faster).
test-python: install services
	bash scripts/test-python.sh

test-sqlite: install services
	BIKRI_TEST_DB=sqlite $(VENV)/bin/pytest -q -p no:cacheprovider tests --ignore=tests/e2e

test-postgresql: install services
	BIKRI_TEST_DB=postgresql $(VENV)/bin/pytest -q -p no:cacheprovider tests --ignore=tests/e2e

test-php: system-deps services
	bash scripts/wp/test.sh

test-e2e: install system-deps services plugin
	$(VENV)/bin/pytest -q -p no:cacheprovider tests/e2e

plugin: system-deps
	bash scripts/wp/build-plugin.sh

bench: install system-deps services plugin
	$(PY) bench/auth.py
	$(PY) bench/sms_send.py
	$(PY) bench/backfill.py
	$(PY) bench/events.py
	$(PY) bench/dashboard.py
	$(PY) bench/otp.py
	$(PY) bench/export.py --e2e
	$(PY) bench/isolation.py
	$(PY) bench/booking.py
	$(PY) bench/jobs_scale.py
	$(PY) bench/notifications.py

clean:
	rm -rf $(VENV) node_modules $(VENDOR) dist instance

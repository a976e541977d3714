# The project's commands; each delegates to a script that also works alone.
#   make run                 the whole system with the demo city (scripts/run)
#   make test ARGS="-m smoke"   the tests; ARGS go to pytest (scripts/test)
#   make ci                  what CI runs: PostgreSQL + Redis, then the embedded smoke run (.ci/run)
#   make bench               the benchmarks behind docs/benchmarks.md

.PHONY: run test ci bench

ARGS ?=

run:
	bash scripts/run

test:
	bash scripts/test $(ARGS)

ci:
	bash .ci/run

bench:
	@if [ -f benchmarks/run_all.py ]; then \
		bash -c 'source scripts/_venv.sh && ensure_venv requirements/bench.txt' && \
		.venv/bin/python benchmarks/run_all.py $(ARGS); \
	else \
		echo "No benchmarks/run_all.py yet. Run a benchmark on its own (they need PostgreSQL and Redis on"; \
		echo "127.0.0.1, see docs/benchmarks.md), after: bash -c 'source scripts/_venv.sh && ensure_venv requirements/bench.txt'"; \
		ls benchmarks/*.py 2>/dev/null | sed 's/^/    .venv\/bin\/python /'; \
	fi

# Short ways in. The README's quick start is `make run` and `make test`.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run test lint check train evaluate evaluate-chat train-chat-net train-chat-gate bench bench-queue bench-pipeline loadtest clean bench-queue-100k bench-scaleout

run: ## set everything up, then serve http://127.0.0.1:8000 with a worker
	./scripts/bootstrap.sh run
	./scripts/run.sh

test: ## the whole test suite (embedded defaults, or DATABASE_URL / REDIS_URL when set)
	./scripts/bootstrap.sh dev
	./scripts/test.sh

lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

check: ## what CI checks besides the tests
	$(BIN)/ruff check .
	$(BIN)/python manage.py makemigrations --check --dry-run
	DJANGO_DEBUG=false DJANGO_SECRET_KEY=ci-only-$$(head -c 64 /dev/urandom | base64 | tr -dc a-zA-Z0-9) \
	  DJANGO_ALLOWED_HOSTS=clinic.example.org $(BIN)/python manage.py check --deploy --fail-level WARNING

train: ## both networks, per-kind heads and answer fusion, evaluation, from ../shared (about 70 min on 2 CPU cores)
	./scripts/bootstrap.sh dev
	$(BIN)/python -m ml.training.pipeline

evaluate:
	$(BIN)/python -m ml.training.evaluate

evaluate-chat: ## chatbot: held-out targets, then the 2026-12 batches b1-b44 (all development data now; b43-b44 (12s) the latest first-sight batch, 2026-12-04; misses reported, not fatal)
	$(BIN)/python -m chatbot.evaluate
	-$(BIN)/python -m chatbot.evaluate --data tests/data/chat_eval_2026-12.jsonl --conversations tests/data/chat_conversations_2026-12.jsonl
	-$(BIN)/python -m chatbot.evaluate --data tests/data/chat_eval_2026-12b.jsonl --conversations tests/data/chat_conversations_2026-12b.jsonl
	-$(BIN)/python -m chatbot.evaluate --data tests/data/chat_eval_2026-12c.jsonl --conversations tests/data/chat_conversations_2026-12c.jsonl
	-$(BIN)/python -m chatbot.evaluate --data tests/data/chat_eval_2026-12d.jsonl --conversations tests/data/chat_conversations_2026-12d.jsonl
	-$(BIN)/python -m chatbot.evaluate --data tests/data/chat_eval_2026-12e-dev.jsonl
	-$(BIN)/python -m chatbot.evaluate --data tests/data/chat_eval_2026-12f.jsonl --conversations tests/data/chat_conversations_2026-12f.jsonl
	-$(BIN)/python -m chatbot.evaluate --data tests/data/chat_eval_2026-12g.jsonl --conversations tests/data/chat_conversations_2026-12g.jsonl
	-$(BIN)/python -m chatbot.evaluate --data tests/data/chat_eval_2026-12h.jsonl --conversations tests/data/chat_conversations_2026-12h.jsonl
	-$(BIN)/python -m chatbot.evaluate --data tests/data/chat_eval_2026-12i.jsonl --conversations tests/data/chat_conversations_2026-12i.jsonl
	-$(BIN)/python -m chatbot.evaluate --data tests/data/chat_eval_2026-12j.jsonl --conversations tests/data/chat_conversations_2026-12j.jsonl
	-$(BIN)/python -m chatbot.evaluate --data tests/data/chat_eval_2026-12k.jsonl --conversations tests/data/chat_conversations_2026-12k.jsonl
	-$(BIN)/python -m chatbot.evaluate --data tests/data/chat_eval_2026-12m.jsonl --conversations tests/data/chat_conversations_2026-12m.jsonl
	-$(BIN)/python -m chatbot.evaluate --data tests/data/chat_eval_2026-12o.jsonl --conversations tests/data/chat_conversations_2026-12o.jsonl
	-$(BIN)/python -m chatbot.evaluate --data tests/data/chat_eval_2026-12p.jsonl --conversations tests/data/chat_conversations_2026-12p.jsonl
	-$(BIN)/python -m chatbot.evaluate --data tests/data/chat_eval_2026-12q.jsonl --conversations tests/data/chat_conversations_2026-12q.jsonl
	-$(BIN)/python -m chatbot.evaluate --data tests/data/chat_eval_2026-12r.jsonl --conversations tests/data/chat_conversations_2026-12r.jsonl
	-$(BIN)/python -m chatbot.evaluate --data tests/data/chat_eval_2026-12s.jsonl --conversations tests/data/chat_conversations_2026-12s.jsonl

train-chat-net: ## chatbot: retrain the learned emergency net and its bands (grouped CV; about 4 min, deterministic)
	$(BIN)/python -m chatbot.engine.train_net

train-chat-gate: ## chatbot: retrain the learned sentence gate and its thresholds (grouped CV through the engine; about 5 min, deterministic)
	$(BIN)/python -m chatbot.engine.train_gate

bench:
	$(BIN)/python -m ml.bench

clean:
	rm -rf data/test staticfiles

BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/skintriage_bench
bench-queue: ## queue latency with 10,000 open cases in PostgreSQL (own database, created if missing)
	psql "$(dir $(BENCH_DATABASE_URL))postgres" -tc "SELECT 1 FROM pg_database WHERE datname='skintriage_bench'" | grep -q 1 \
	  || psql "$(dir $(BENCH_DATABASE_URL))postgres" -c "CREATE DATABASE skintriage_bench"
	DATABASE_URL=$(BENCH_DATABASE_URL) $(BIN)/python manage.py migrate --noinput -v 0
	DATABASE_URL=$(BENCH_DATABASE_URL) $(BIN)/python manage.py bench_queue --cases 10000

bench-pipeline: ## upload -> prediction latency with a real worker (uses the configured database/broker)
	$(BIN)/python manage.py migrate --noinput -v 0
	$(BIN)/python manage.py setup_site --no-demo-users
	$(BIN)/python manage.py bench_pipeline --n 20

loadtest: ## concurrent patients and nurses against gunicorn + workers + Redis + PostgreSQL on loopback
	./scripts/load.sh --patients 12 --nurses 2 --duration 30 --rate 12

BENCH_100K_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/skintriage_bench_100k
bench-queue-100k: ## queue latency with 100,000 open cases in PostgreSQL (own database, seeded once, kept)
	psql "$(dir $(BENCH_100K_DATABASE_URL))postgres" -tc "SELECT 1 FROM pg_database WHERE datname='$(notdir $(BENCH_100K_DATABASE_URL))'" | grep -q 1 \
	  || psql "$(dir $(BENCH_100K_DATABASE_URL))postgres" -c "CREATE DATABASE $(notdir $(BENCH_100K_DATABASE_URL))"
	DATABASE_URL=$(BENCH_100K_DATABASE_URL) $(BIN)/python manage.py migrate --noinput -v 0
	DATABASE_URL=$(BENCH_100K_DATABASE_URL) $(BIN)/python manage.py bench_queue --cases 100000 --requests 100

bench-scaleout: ## uploads classified/s with 1, 2, 4 worker processes and 2 "hosts" (gunicorn, Redis, PostgreSQL, SeaweedFS)
	$(BIN)/python -m tests.load.scaleout --photos 60 --configs 1,2,4,hosts,1,2

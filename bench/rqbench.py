"""Raw RQ baselines, without Django: `python -m bench.rqbench enqueue|work ...`.

- ``enqueue``: `Queue.enqueue_many` of no-op jobs in batches (JSON serializer); prints jobs/s
  of each batch.
- ``work``: a stock `rq.worker.Worker` (fork) or `SimpleWorker` with the JSON serializer, in
  burst mode (drain and exit) or until SIGTERM (for the latency baseline).
"""

import argparse
import datetime as dt
import json
import time

from redis import Redis
from rq import Queue
from rq.serializers import JSONSerializer
from rq.worker import SimpleWorker, Worker

NOOP = "bench.baseline.tasks.noop"


def parse_rq_time(raw: bytes | str | None) -> dt.datetime | None:
    """A time RQ wrote into a job hash, or None."""
    if not raw:
        return None
    text = raw.decode() if isinstance(raw, bytes) else raw
    for fmt in ("%Y-%m-%dT%H:%M:%S.%fZ", "%Y-%m-%dT%H:%M:%SZ"):
        try:
            return dt.datetime.strptime(text, fmt).replace(tzinfo=dt.UTC)
        except ValueError:
            continue
    return None


def enqueue(url: str, queue_name: str, jobs: int, batches: int, timeout: float) -> dict[str, object]:
    connection = Redis.from_url(url)
    queue = Queue(queue_name, connection=connection, serializer=JSONSerializer)
    rates = []
    deadline = time.monotonic() + timeout
    for _ in range(batches):
        if time.monotonic() > deadline:
            break
        started = time.perf_counter()
        queue.enqueue_many([Queue.prepare_data(NOOP, args=(i,), result_ttl=600) for i in range(jobs)])
        rates.append(jobs / (time.perf_counter() - started))
    return {"jobs_per_batch": jobs, "rates": [round(r, 1) for r in rates]}


def work(url: str, queue_name: str, kind: str, burst: bool) -> None:
    connection = Redis.from_url(url)
    queue = Queue(queue_name, connection=connection, serializer=JSONSerializer)
    worker_class = Worker if kind == "fork" else SimpleWorker
    worker = worker_class([queue], connection=connection, serializer=JSONSerializer)
    worker.work(burst=burst, logging_level="WARNING")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p_enqueue = sub.add_parser("enqueue")
    p_enqueue.add_argument("--url", required=True)
    p_enqueue.add_argument("--queue", default="default")
    p_enqueue.add_argument("--jobs", type=int, default=1000)
    p_enqueue.add_argument("--batches", type=int, default=1)
    p_enqueue.add_argument("--timeout", type=float, default=60)
    p_work = sub.add_parser("work")
    p_work.add_argument("--url", required=True)
    p_work.add_argument("--queue", default="default")
    p_work.add_argument("--kind", choices=["fork", "simple"], default="fork")
    p_work.add_argument("--burst", action="store_true")
    args = parser.parse_args()
    if args.command == "enqueue":
        print(json.dumps(enqueue(args.url, args.queue, args.jobs, args.batches, args.timeout)), flush=True)
    else:
        work(args.url, args.queue, args.kind, args.burst)


if __name__ == "__main__":
    main()

"""Conveyor's RQ workers: they keep Django's DB connections sane and report lost jobs.

`ForkWorker` (default) runs each job in a forked child: a crash or leak in a task cannot take
the worker down. The parent claims the job, marks it running if the horse outlasts
WORKER_RUNNING_AFTER_MS, and records the outcome the horse hands back, all on its persistent
connection: a horse whose task does not use the database opens none (jobs.engine.runner).
Each job's horse is forked ahead, while the job before runs, by a fork server the worker forks
once (`ForkWorker.fork_work_horse`): the worker itself never forks again.
`SimpleWorker` runs jobs in-process, faster, without that isolation and without hard-stopping a
running job (cancel is then cooperative, through `progress()`). Choose with
CONVEYOR_WORKER=fork|simple.

Both ride out an outage of Redis or the database (jobs.engine.outage): every step of RQ's work loop
waits for the stores to come back instead of ending the process, and a job whose outcome could
not be recorded is handed to `lifecycle.job_lost` once they are back. A fork worker's work horses
die with their worker (`ForkWorker._become_horse`).
"""

import contextlib
import ctypes
import gc
import json
import math
import os
import pickle
import select
import signal
import struct
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import Any

from django import db
from django.conf import settings
from redis.exceptions import ConnectionError as RedisConnectionError
from rq import worker as rq_worker
from rq.executions import Execution
from rq.job import Job as RQJob
from rq.job import JobStatus
from rq.queue import Queue
from rq.results import Result
from rq.serializers import JSONSerializer
from rq.utils import now
from rq.worker import WorkerStatus

from audit.context import attribute
from jobs import alerts
from jobs.engine import lifecycle, runner
from jobs.engine.entrypoints import RUN_JOB, ConveyorQueue, JsonJob
from jobs.engine.lifecycle import Run
from jobs.engine.outage import BACKOFF_MAX, OUTAGE_ERRORS, Outage, on_a_live_connection
from jobs.models import JobState

ALIVE_KEY = "conveyor:worker-alive:{}"
PR_SET_PDEATHSIG = 1  # linux/prctl.h


class _ConveyorWorker(rq_worker.BaseWorker):
    # RQ's own wait between failed dequeues (it retries those itself); ours cap it too.
    max_connection_wait_time = BACKOFF_MAX
    queue_class = ConveyorQueue  # as django-rq's command passes it: one round trip to pop over several queues
    # The row changes of the job being performed, sent with RQ's end-of-job bookkeeping.
    _announcements: list[lifecycle.Announcement] | None = None
    _state_unsent = False  # the worker's state changed and goes out with the next heartbeat
    _beat: tuple[float, ...] = (-math.inf, 0, 0)  # the last heartbeat: when, RQ's TTL, ours

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # JSON only, whoever constructs the worker (CLI, tests, django-rq).
        kwargs["job_class"] = JsonJob
        kwargs["serializer"] = JSONSerializer
        kwargs.setdefault("job_monitoring_interval", settings.WORKER_MONITORING_INTERVAL)
        super().__init__(*args, **kwargs)
        self.outage = Outage("worker", self.connection)

    # RQ's work loop ends the process on any error in these steps; each is safe to repeat, so
    # an outage is waited out and the step run again.
    def check_for_suspension(self, burst: bool) -> None:
        self.outage.call(super().check_for_suspension, burst)

    def run_maintenance_tasks(self) -> None:
        self.outage.call(super().run_maintenance_tasks)

    def dequeue_job_and_maintain_ttl(self, timeout: int | None, max_idle_time: int | None = None) -> Any:
        return self.outage.call(super().dequeue_job_and_maintain_ttl, timeout, max_idle_time)

    def execute_job(self, job: RQJob, queue: Queue) -> None:
        """Run `job`; if an outage kept its outcome from being recorded, record it as lost (or
        retried by its policy) once the stores are back. Not repeated: the task may have run."""
        try:
            super().execute_job(job, queue)
            self.outage.call(self.record_outcome)
            if not self.outcome_unrecorded():
                return
        except OUTAGE_ERRORS as exc:
            self.outage.ride_out(exc)
        # A no-op unless the row still says running, or queued with this worker's claim (the
        # work horse died, or the outcome could not be written).
        self.outage.call(
            lifecycle.job_lost,
            job.id,
            "the job's outcome was not recorded (its run lost a store, or the work horse died)",
            run=self.run_of(job.id),
        )

    def record_outcome(self) -> None:
        """Record the outcome of the job just executed, if the worker (not the task's own code
        path) is the one to record it."""

    def outcome_unrecorded(self) -> bool:
        """Whether the job just executed may have ended without recording its outcome."""
        return False

    def run_of(self, job_id: str) -> Run | None:
        """This worker's claim on job `job_id`, if it holds one."""
        claimed = runner.last_claim
        return claimed if claimed is not None and claimed.job_id == job_id else None

    def _pubsub_exception_handler(self, exc: Exception, pubsub: Any, pubsub_thread: Any) -> None:
        # RQ logs every reconnection attempt of its command listener; the main loop already
        # logs the outage once.
        if not isinstance(exc, RedisConnectionError):
            super()._pubsub_exception_handler(exc, pubsub, pubsub_thread)

    def alive_ttl(self, timeout: int | None) -> int:
        """How long this heartbeat vouches for the worker while it runs a job."""
        return int(timeout or self.worker_ttl + 60)

    def set_state(self, state: str, pipeline: Any = None) -> None:
        if pipeline is None and state == WorkerStatus.IDLE:
            # RQ sets IDLE right before a heartbeat, twice per job (after it, and before the next
            # dequeue): the state goes out with the first heartbeat, and once.
            self._state_unsent = self._state_unsent or self._state != state
            self._state = state
            return
        super().set_state(state, pipeline)

    def heartbeat(self, timeout: int | None = None, pipeline: Any = None) -> None:
        if pipeline is None:
            # RQ sends its three heartbeat commands one by one, three times per job: one round
            # trip instead of four each time, and none when the last one, under a second ago,
            # already vouches for as long (short jobs: two of the three).
            sent, *ttls = self._beat
            lasting = all(have >= need for have, need in zip(ttls, self._ttls(timeout), strict=True))
            fresh = time.monotonic() - sent < 1 and lasting
            if not fresh or self._state_unsent:
                self.outage.call(self._heartbeat_now, timeout)
            return
        # Appended after RQ's own commands: maintain_heartbeats reads their results by position.
        super().heartbeat(timeout, pipeline)
        pipeline.set(ALIVE_KEY.format(self.name), 1, ex=self.alive_ttl(timeout))
        if self._state_unsent:
            pipeline.hset(self.key, "state", self._state)
            self._state_unsent = False
        self._beat = (time.monotonic(), *self._ttls(timeout))

    def _ttls(self, timeout: int | None) -> list[int]:
        """How long a heartbeat keeps RQ's worker key, and the alive key, alive."""
        return [timeout or self.worker_ttl + 60, self.alive_ttl(timeout)]

    def _heartbeat_now(self, timeout: int | None) -> None:
        with self.connection.pipeline(transaction=False) as pipe:
            self.heartbeat(timeout, pipe)
            pipe.execute()

    def handle_execution_ended(self, job: RQJob, queue: Queue, heartbeat_ttl: int) -> None:
        if job.get_status(refresh=False) == JobStatus.STARTED and _rq_needs_nothing_of(job, self.default_result_ttl):
            job.ended_at = now()  # no heartbeat written to a hash that handle_job_success deletes
            return
        super().handle_execution_ended(job, queue, heartbeat_ttl)

    def handle_job_success(self, job: RQJob, queue: Queue, started_job_registry: Any, execution: Any) -> None:
        """A run of Conveyor's entry point ended: RQ's end-of-job bookkeeping in one round trip.

        RQ's own handling is written for what Conveyor's jobs never use (RQ dependents, repeats,
        groups, rate limits, callbacks, a stored result: the row is the record, RQ_RESULT_TTL 0)
        and reads its registries back before deleting (seven round trips). What it leaves in Redis
        is the same (tests/jobs/test_worker.py): the worker's counters, and no trace of the job."""
        if not _rq_needs_nothing_of(job, self.default_result_ttl):
            super().handle_job_success(job, queue, started_job_registry, execution)
            return
        with self.connection.pipeline() as pipe:
            self.increment_successful_job_count(pipeline=pipe)
            assert job.started_at is not None and job.ended_at is not None
            self.increment_total_working_time(job.ended_at - job.started_at, pipe)
            execution.delete(job=job, pipeline=pipe)
            keys = (job.key, job.dependents_key, job.dependencies_key, job.execution_registry.key)
            pipe.delete(*keys, Result.get_key(job.id))
            if self._announcements:  # the row's change, told in the same round trip
                lifecycle.add_announcements(pipe, self._announcements)
                self._announcements.clear()
            pipe.execute()
        self.executions.pop(execution.id, None)

    def handle_job_failure(
        self,
        job: RQJob,
        queue: Queue,
        started_job_registry: Any = None,
        exc_string: str = "",
        execution: Any = None,
    ) -> None:
        """RQ gave up on an execution; if the row still says running (or queued with this
        worker's claim), the task never reported. A work horse leaves that to its parent."""
        super().handle_job_failure(job, queue, started_job_registry, exc_string, execution)
        if self.is_horse:
            return
        lost = lifecycle.job_lost(job.id, exc_string or "the worker lost the job", run=self.run_of(job.id))
        if lost is not None and lost.state == JobState.FAILED:
            alerts.job_failed(lost)


class ForkWorker(_ConveyorWorker, rq_worker.Worker):
    _horse_status: int | None = None  # the last work horse's wait status
    _worker_pid = 0  # this worker's pid, as its horse knows it
    _claimed: tuple[Any, Run] | None = None  # the job row and run of the job being executed
    _outcomes: int | None = None  # a file the horse writes its job's outcome to (runner.Outcome)
    _marked = False  # whether this parent marked the current run running
    _zygote: "_Zygote | None" = None  # the fork server that forks this worker's horses

    def alive_ttl(self, timeout: int | None) -> int:
        # The parent heartbeats every job_monitoring_interval while its horse works, so three
        # missed beats mean the worker is gone (RQ's own key lingers for another minute).
        return 3 * self.job_monitoring_interval

    def maintain_heartbeats(self, job: RQJob, execution: Any) -> None:
        """Heartbeat while the horse works; during an outage, skip the beat and keep watching
        the horse (the next beat is one monitoring interval away)."""
        try:
            super().maintain_heartbeats(job, execution)
        except OUTAGE_ERRORS as exc:
            self.outage.down(exc)
        else:
            self.outage.up("redis")

    def run_of(self, job_id: str) -> Run | None:
        run = self._claimed[1] if self._claimed is not None else None
        return run if run is not None and run.job_id == job_id else None

    def execute_job(self, job: RQJob, queue: Queue) -> None:
        """Claim the job here, in the parent, so the horse needs no database to start it."""
        self._claimed = self.outage.call(on_a_live_connection, lifecycle.job_claim, job.id, worker=self.name)
        if self._outcomes is None:
            self._outcomes = _scratch_file()
        os.ftruncate(self._outcomes, 0)
        os.lseek(self._outcomes, 0, os.SEEK_SET)
        try:
            super().execute_job(job, queue)
        finally:
            self._claimed = None

    def fork_work_horse(self, job: RQJob, queue: Queue) -> None:
        """Have the worker's fork server start the job's horse (`_Zygote`).

        Forking the worker itself for each job cost it more than the fork: every page it wrote
        afterwards was copied (some 1,400 page faults a job in an 80 MiB worker). The fork
        server, forked once, writes next to nothing, and forks each horse ahead, while the job
        before runs; the worker only sends it the job and waits for its report."""
        self._horse_status = None
        self._marked = False
        assert self.execution is not None
        order = pickle.dumps((job.id, queue.name, (self.execution.id, self.execution.created_at), self._claimed))
        for _ in range(2):  # a fork server found gone before it took the job is replaced once
            if self._zygote is None:
                self._zygote = self._fork_zygote()
            pid = self._zygote.start(order)
            if pid is not None:
                self._horse_pid = pid
                return
            self._drop_zygote()
        raise RuntimeError("the work horse's fork server died twice before taking a job")

    def _fork_zygote(self) -> "_Zygote":
        """Fork the fork server: a copy of this worker that forks its horses (`_serve`)."""
        self._worker_pid = os.getpid()
        orders_read, orders = os.pipe()
        reports, reports_write = os.pipe()
        pid = os.fork()
        if pid == 0:
            try:
                os.close(orders)
                os.close(reports)
                # Its own process group, deaf to the signals that stop the worker: it ends when
                # its worker closes the orders pipe or dies (PDEATHSIG).
                os.setpgrp()
                signal.signal(signal.SIGINT, signal.SIG_IGN)
                signal.signal(signal.SIGTERM, signal.SIG_IGN)
                self._become_horse()
                self._worker_pid = os.getpid()  # what its horses check their parent against
                os.environ["RQ_WORKER_ID"] = self.name  # as RQ sets it for its horses
                gc.freeze()  # a collection in a horse then leaves the pages it shares alone
                self._serve(os.fdopen(orders_read, "rb"), reports_write)
            finally:
                os._exit(1)
        os.close(orders_read)
        os.close(reports_write)
        return _Zygote(pid, os.fdopen(orders, "wb"), reports)

    def _serve(self, orders: Any, reports: int) -> None:
        """In the fork server: hand each order to a horse forked ahead, report its pid, fork
        the next one, and report how the horse ended; exit when the orders pipe closes."""
        spare = self._fork_spare()
        while (header := orders.read(_LENGTH.size)) and len(header) == _LENGTH.size:
            order = orders.read(_LENGTH.unpack(header)[0])
            while not spare.hand(order):
                spare = self._fork_spare()  # the one forked ahead died: a fresh one
            os.write(reports, _REPORT.pack(spare.pid, _RUNNING))
            horse, spare = spare, self._fork_spare()
            _, status = os.waitpid(horse.pid, 0)
            os.write(reports, _REPORT.pack(horse.pid, status))
        spare.dismiss()
        os._exit(0)

    def _fork_spare(self) -> "_Spare":
        """In the fork server: fork a work horse that waits for its job (`_Spare.hand`)."""
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:
            try:
                os.close(write)
                os.setpgrp()
                self.setup_work_horse_signals()
                self._become_horse()
                with os.fdopen(read, "rb") as orders:
                    given = orders.read()  # until the fork server closes its end
                if not given:
                    os._exit(0)  # dismissed
                self._start(*pickle.loads(given))  # noqa: S301 (the worker's own objects, over its own pipes)
            finally:
                os._exit(1)  # _start exits on its own; anything else is a horse that failed to start
        os.close(read)
        return _Spare(pid, write)

    def _start(self, job_id: str, queue_name: str, execution: tuple[str, Any], claimed: Any) -> None:
        """In a horse forked ahead: become the horse of `job_id` as RQ's fork would."""
        job = self.job_class.fetch(job_id, connection=self.connection, serializer=self.serializer)
        queue = next(q for q in self.queues if q.name == queue_name)
        run = Execution(execution[0], job_id, connection=self.connection, worker_name=self.name)
        run.created_at = run.last_heartbeat = execution[1]
        self.executions.clear()
        self.execution = run
        self._claimed = claimed
        # What RQ's fork_work_horse sets in a horse for the task's own code (written, not read:
        # a task may read them, as under stock RQ); RQ_WORKER_ID is the fork server's already.
        os.environ["RQ_JOB_ID"] = job_id
        runner.handoff = runner.Handoff(self._claimed, self._send_outcome)
        self.main_work_horse(job, queue)

    def wait_for_horse(self) -> Any:
        """The horse's end, as the fork server reports it; a fork server that died took the
        horse with it (PDEATHSIG), which is reported as a SIGKILL.

        RQ waits under an alarm whose handler raises (its monitoring interval), then asks again.
        The report is read with that signal held and kept until the next job: an alarm that
        lands as it is read cannot lose it (the next wait would never end)."""
        if self._horse_status is None:
            assert self._zygote is not None
            self._zygote.wait()  # an alarm may cut this short: nothing is read yet
            with _signals_held():
                report = self._zygote.report()
                if report is None:
                    self._drop_zygote()
                # A dead fork server's horse: a wait status of killed by SIGKILL.
                self._horse_status = report[1] if report is not None else signal.SIGKILL
        return self.horse_pid, self._horse_status, None

    def _drop_zygote(self) -> None:
        assert self._zygote is not None
        self._zygote.stop()
        self._zygote = None

    def _become_horse(self) -> None:
        """In a new work horse: first make it die with its worker, and let go of the worker's
        database connections.

        The horse runs in its own process group, so a worker killed with SIGKILL (OOM killer,
        `kill -9`) used to leave it running the job unwatched. On Linux the kernel now sends it
        SIGKILL when the worker dies; a worker that died before that was set is caught by the
        parent pid check. The job then ends through reconcile (`WorkerLost`, or a retry).
        """
        if sys.platform == "linux":
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
            if os.getppid() != self._worker_pid:
                os._exit(1)
        _detach_inherited_connections()

    def teardown(self) -> None:
        if self._zygote is not None and not self.is_horse:
            self._drop_zygote()
        super().teardown()

    def _send_outcome(self, outcome: runner.Outcome) -> None:
        """In the horse: hand the outcome to the parent (which writes it to the row)."""
        if outcome.error is None and (error := lifecycle.result_error(outcome.result)) is not None:
            outcome = runner.Outcome(error=error)
        assert self._outcomes is not None
        os.write(self._outcomes, json.dumps(asdict(outcome)).encode())

    def monitor_work_horse(self, job: RQJob, queue: Queue, execution: Any) -> None:
        if self._claimed is not None and self._horse_outlasts(settings.WORKER_RUNNING_AFTER_MS / 1000):
            self._mark_running()
        super().monitor_work_horse(job, queue, execution)

    def _horse_outlasts(self, seconds: float) -> bool:
        assert self._zygote is not None
        ready, _, _ = select.select([self._zygote.reports], [], [], seconds)
        return not ready  # the fork server reports the horse's end

    def _attribution(self) -> Any:
        assert self._claimed is not None
        job, run = self._claimed
        return attribute(channel="job", job_id=run.job_id, reason=runner.REASON, user=job.submitted_by)

    def _mark_running(self) -> None:
        """The horse still works: write `running`; stop the horse if the job was canceled."""
        assert self._claimed is not None
        try:
            with self._attribution():
                marked = lifecycle.job_mark_running(self._claimed[1])
        except OUTAGE_ERRORS as exc:
            self.outage.down(exc)  # the run's end is still recorded, from queued, in one change
            return
        self._marked = marked
        if not marked:
            self.kill_horse()

    def record_outcome(self) -> None:
        """Write the outcome the horse handed back (none: it skipped, was stopped or died)."""
        if self._claimed is None or self._outcomes is None:
            return
        data = os.pread(self._outcomes, os.fstat(self._outcomes).st_size, 0)
        if data:
            # A run marked running ends from running: no merged attempt first.
            run = None if self._marked else self._claimed[1]
            with self._attribution():
                runner.record(str(self._claimed[0].pk), run, runner.Outcome(**json.loads(data)))

    def outcome_unrecorded(self) -> bool:
        # A horse that handed back its job's outcome exits 0 (a task's own failure included);
        # one that met an outage exits 1 (RQ's `main_work_horse`).
        return self._horse_status is not None and self._horse_status != 0

    def perform_job(self, job: RQJob, queue: Queue, execution: Any) -> bool:
        try:
            return super().perform_job(job, queue, execution)
        finally:
            if self.is_horse:
                db.connections.close_all()  # only what the task opened (see below)


@dataclass
class _Zygote:
    """A worker's fork server, as the worker sees it: the pipe it sends orders down (each one
    job, length-prefixed) and the pipe it reads reports from (`_REPORT`: a horse started, a
    horse ended with its wait status)."""

    pid: int
    orders: Any  # a buffered writer
    reports: int

    def start(self, order: bytes) -> int | None:
        """Have it start a horse on `order`: the horse's pid, or None if it was gone before it
        took the order. One that took it and died before saying which horse runs it may have
        handed it on: its own pid then stands for the horse (`ForkWorker.wait_for_horse` reads
        its death as the horse's), and the job is never ordered twice."""
        try:
            self.orders.write(_LENGTH.pack(len(order)) + order)
            self.orders.flush()
        except BrokenPipeError:
            return None
        report = self.report()
        return report[0] if report is not None else self.pid

    def wait(self) -> None:
        """Until a report (or the fork server's end) can be read."""
        select.select([self.reports], [], [])

    def report(self) -> tuple[int, int] | None:
        """The next report (pid, wait status or `_RUNNING`), or None if the fork server died.
        Records are written whole and are shorter than PIPE_BUF, so a read gets one whole."""
        data = os.read(self.reports, _REPORT.size)
        return _REPORT.unpack(data) if data else None

    def stop(self) -> None:
        """Close its orders (it dismisses its spare and exits), and reap it."""
        with contextlib.suppress(OSError):
            self.orders.close()
        os.close(self.reports)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(self.pid, 0)


_LENGTH = struct.Struct("<I")
_REPORT = struct.Struct("<ii")
_RUNNING = -1  # a report's status while the horse runs


@dataclass
class _Spare:
    """In the fork server: a work horse forked ahead of its job, reading its order from a pipe."""

    pid: int
    orders: int  # the pipe's write end

    def hand(self, order: bytes) -> bool:
        """Give it the job; False if it is gone (the caller forks a new horse instead)."""
        try:
            with os.fdopen(self.orders, "wb") as orders:
                orders.write(order)
        except BrokenPipeError:
            self._reap()
            return False
        return True

    def dismiss(self) -> None:
        """Let it exit (its pipe closes empty), and reap it."""
        with contextlib.suppress(OSError):
            os.close(self.orders)
        self._reap()

    def _reap(self) -> None:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(self.pid, 0)


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """Hold the signals whose handlers raise (RQ's alarm, a second stop request) until the
    block ends; they are handled then."""
    held = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM, signal.SIGINT, signal.SIGTERM})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)


def _rq_needs_nothing_of(job: RQJob, default_result_ttl: int) -> bool:
    """Whether `job` is one of Conveyor's runs, as dispatch pushes them: nothing for RQ to do
    after it but forget it."""
    return (
        job.func_name == RUN_JOB
        and job.get_result_ttl(default_result_ttl) == 0
        and not job.repeats_left
        and not job.group_id
        and not job.has_rate_limit
        and job._success_callback_name is None
    )


def _scratch_file() -> int:
    """An unnamed file (in memory on Linux) that the parent and its horses share."""
    if hasattr(os, "memfd_create"):
        return os.memfd_create("conveyor-outcome")
    fd, path = tempfile.mkstemp(prefix="conveyor-outcome-")
    os.unlink(path)
    return fd


_inherited: list[Any] = []  # the parent's connection objects, kept from garbage collection


def _detach_inherited_connections() -> None:
    """In a work horse: forget the parent's database connections, and any connection pool it
    holds, without closing them. Their sockets are shared with the parent; closing one here (or
    using a pooled one) would end or garble the parent's session. The horse exits with
    os._exit, so nothing finalizes them; a task that uses the database connects anew.
    (Worker processes run without a pool, config.settings; a ForkWorker run in a pooled
    process, as in tests, meets one.)"""
    for connection in db.connections.all(initialized_only=True):
        if connection.connection is not None:
            _inherited.append(connection.connection)
            connection.connection = None
        pools = getattr(type(connection), "_connection_pools", None)
        if pools:
            _inherited.append(dict(pools))
            pools.clear()


class SimpleWorker(_ConveyorWorker, rq_worker.SimpleWorker):
    def perform_job(self, job: RQJob, queue: Queue, execution: Any) -> bool:
        try:
            with lifecycle.announcements_held() as self._announcements:
                return super().perform_job(job, queue, execution)
        finally:
            self._announcements = None
            db.close_old_connections()  # one the task broke, or left outside autocommit

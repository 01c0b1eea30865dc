"""Provides `seed_scenario` and `seeded_simulator`: a realistic, reproducible mix of jobs.

Across the five families, most jobs finished long ago, some are running (so the demo
board moves), some failed with messages, a few custom-object jobs completed with hundreds
of row errors, and AQuA jobs carry several batches with result files. Every seeded job
is built by running its own state machine from its creation time up to the clock's now,
so its fields are consistent.
"""

from __future__ import annotations

import math
import random

from ztui.sim.aqua import AquaBatch, AquaJob
from ztui.sim.config import FAMILIES, SimConfig
from ztui.sim.custom_objects import SEED_OBJECTS, CustomObjectJob
from ztui.sim.simulator import Simulator
from ztui.sim.uno import DB_TYPES, BatchJob, DataBackfillJob, Env
from ztui.sim.util import IdMaker

DAY = 86400.0
USERS = (
    "ana.lopez@example.com",
    "ben.okafor@example.com",
    "chen.wei@example.com",
    "dara.singh@example.com",
    "revops-bot@example.com",
)
CO_USERS = (
    "2c92c0f86a8dd422016a9e7a70116b0d",
    "8a90e5e46f1f2d1b016f2a3b4c5d6e7f",
    "5f3c1e2a-9b8d-4c7e-a6f5-0d1e2c3b4a59",
)
DB_FAILURES = (
    "Processing failed: another backfill job is running on this tenant.",
    "timeout of 120000ms exceeded while updating revenue fields",
    "Internal error, please contact Zuora Global Support (53100360).",
)
AQUA_QUERIES = (
    ("accounts", "select Id, Name, AccountNumber, Balance, Status from Account"),
    ("invoices", "select Id, InvoiceNumber, Amount, Balance, DueDate, Status from Invoice"),
    ("payments", "select Id, PaymentNumber, Amount, EffectiveDate, Status from Payment"),
    ("subscriptions", "select Id, Name, Status, TermStartDate, TermEndDate from Subscription"),
    ("charges", "select Id, ChargeNumber, MRR, EffectiveStartDate from RatePlanCharge"),
    ("usage", "select Id, AccountNumber, Quantity, StartDateTime from Usage"),
    ("credit_memos", "select Id, MemoNumber, TotalAmount, Status from CreditMemo"),
)
AQUA_JOB_NAMES = ("nightly-export", "finance-recon", "dw-sync", "ar-aging", "usage-audit")


def _fate(rng: random.Random) -> str:
    r = rng.random()
    if r < 0.08:
        return "running"
    if r < 0.18:
        return "failed"
    if r < 0.22:
        return "stopped"
    return "completed"


class _Running:
    """How many more seeded jobs of each family may be left running (`SimConfig.running`)."""

    def __init__(self, limit: int | None) -> None:
        self._left: dict[str, int] | None = None
        if limit is not None:
            share, extra = divmod(limit, len(FAMILIES))
            self._left = {f: share + (i < extra) for i, f in enumerate(FAMILIES)}

    def fate(self, family: str, fate: str) -> str:
        """`fate`, or "completed" when it is "running" and the family's share is spent."""
        if fate != "running" or self._left is None:
            return fate
        if self._left[family] <= 0:
            return "completed"
        self._left[family] -= 1
        return fate


def _past(rng: random.Random, now: float, duration: float) -> float:
    """A creation time in the past three weeks, denser in the last few days.

    It lies far enough back for a job lasting `duration` to have finished by now.
    """
    ago = min(21 * DAY, 600.0 + rng.expovariate(1 / (4 * DAY)))
    return now - max(ago, duration + 300.0)


def seed_scenario(sim: Simulator, n: int, seed: int, co_extra: int = 0) -> None:
    """Fill `sim` with `n` jobs reproducibly from `seed`, plus `co_extra` custom-object
    jobs."""
    rng = random.Random(seed)
    ids = IdMaker(rng)
    env = Env(sim.files, ids, sim.config)
    cfg = sim.config
    now = sim.clock.now()
    tick = cfg.tick_s
    n_db, n_bd, n_prop, n_aqua = (round(n * w) for w in (0.25, 0.10, 0.10, 0.25))
    n_co = max(0, n - n_db - n_bd - n_prop - n_aqua) + co_extra
    jobs: list[DataBackfillJob | BatchJob | CustomObjectJob | AquaJob] = []
    running_left = _Running(cfg.running)

    def ticks_for(seconds: float) -> int:
        return max(1, int(seconds / tick))

    # ---------------------------------------------------------------- data backfill
    for _ in range(n_db):
        fate = running_left.fate("data_backfill", _fate(rng))
        kind = rng.choice(DB_TYPES)
        total = rng.choice(
            (rng.randrange(20, 500), rng.randrange(500, 5000), rng.randrange(5000, 40000))
        )
        running = fate == "running"
        duration = rng.uniform(120, 600) if running else rng.uniform(30, 3600)
        created = now - rng.uniform(5, 90) if running else _past(rng, now, duration)
        ext = ".zip" if rng.random() < 0.2 else ".csv"
        day = int(created // DAY)
        job = DataBackfillJob(
            id=ids.uno(),
            import_type=kind,
            uploaded_file_id=ids.hex32(),
            uploaded_file_name=f"{kind[0].lower()}{kind[1:]}_backfill_{day}{ext}",
            input_size=120 + total * 86,
            uploaded_by=rng.choice(USERS),
            uploaded_on=created,
            total=total,
            rows_per_tick=max(1, math.ceil(total / ticks_for(duration))),
            validation_s=cfg.db_validation_s if running else rng.uniform(2, 30),
            tick_s=tick,
            stop_s=cfg.db_stop_s,
            fail_every=0 if rng.random() < 0.6 else rng.randrange(15, 400),
        )
        # The job describes its file when it is downloaded (`DataBackfillJob.stored_file`).
        sim.files.add_source(job.uploaded_file_id, job)
        if fate == "failed":
            if rng.random() < 0.3:
                job.validation_error = (
                    "File validation failed: column 'Amount' is not in the template."
                )
                job.total = 0
            else:
                job.outcome = "failed"
                job.outcome_at = created + job.validation_s + rng.uniform(0, duration)
        elif fate == "stopped":
            t_stop = created + job.validation_s + rng.uniform(0, duration / 2)
            job.advance(t_stop, env)
            if job.active:
                job.stop(t_stop, env)
            elif rng.random() < 0.5:
                job.status = "Canceled"
        job.advance(now, env)
        if job.status == "Failed" and not job.validation_error:
            job.failure_message = rng.choice(DB_FAILURES)
        jobs.append(job)

    # ---------------------------------------------------------------- booking / propagation
    for family, count in (("booking_date", n_bd), ("propagation", n_prop)):
        for _ in range(count):
            fate = running_left.fate(family, _fate(rng))
            running = fate == "running"
            duration = rng.uniform(120, 600) if running else rng.uniform(60, 7200)
            created = now - rng.uniform(5, 60) if running else _past(rng, now, duration)
            if family == "booking_date":
                kind, batch_size, total = "BookingDate", None, rng.randrange(5, 300)
            else:
                kind = rng.choice(("RatePlanCharge", "OrderLineItem"))
                batch_size = rng.choice((100, 500, 1000))
                total = max(1, math.ceil(rng.randrange(1000, 300000) / batch_size))
            bjob = BatchJob(
                family=family,
                id=ids.uno(),
                type=kind,
                created_on=created,
                updated_by=rng.choice(USERS),
                total_batches=total,
                per_tick=max(1, math.ceil(total / ticks_for(duration))),
                accept_s=cfg.bd_accept_s if running else rng.uniform(2, 60),
                tick_s=tick,
                stop_s=cfg.bd_stop_s,
                error_every=0 if rng.random() < 0.7 else rng.randrange(3, 50),
                batch_size=batch_size,
                dry_run=rng.random() < 0.2,
            )
            if fate == "failed":
                bjob.outcome = "failed"
                bjob.outcome_at = created + bjob.accept_s + rng.uniform(0, duration)
            elif fate == "stopped":
                t_stop = created + bjob.accept_s + rng.uniform(0, duration / 2)
                bjob.advance(t_stop, env)
                if bjob.active:
                    bjob.status = "STOPPED"
                    bjob.updated_on = t_stop
            bjob.advance(now, env)
            jobs.append(bjob)

    # ---------------------------------------------------------------- custom objects
    active_co = 0
    for _ in range(n_co):
        fate = _fate(rng)
        if fate == "running" and active_co >= 2:
            fate = "completed"
        fate = running_left.fate("custom_object", fate)
        running = fate == "running"
        op = rng.choices(("create", "update", "delete"), (4, 4, 2))[0]
        duration = rng.uniform(120, 600) if running else rng.uniform(20, 1800)
        created = now - rng.uniform(5, 60) if running else _past(rng, now, duration + 600)
        total = rng.randrange(50, 20000)
        cjob = CustomObjectJob(
            id=ids.uuid4(),
            created_by=rng.choice(CO_USERS),
            created=created,
            namespace="default",
            object=rng.choice(SEED_OBJECTS),
            operation=op,
            status="accepted" if op == "delete" else "pending",
            tick_s=tick,
            rows_per_tick=max(1, math.ceil(total / ticks_for(duration))),
            accept_s=cfg.co_accept_s if running else rng.uniform(1, 30),
            total=total,
        )
        if fate == "stopped":
            cjob.cancel(created + rng.uniform(5, 120))
        else:
            if op != "delete":
                cjob.status = "in_progress"
                cjob.has_file = True
                cjob.started = cjob.updated = created + (0 if running else rng.uniform(2, 300))
            if fate == "failed":
                cjob.outcome = "failed"
                cjob.outcome_at = created + rng.uniform(0, duration)
            elif op != "delete" and rng.random() < 0.35:
                many = rng.random() < 0.3
                cjob.seeded_errors = min(
                    total, rng.randrange(200, 2001) if many else rng.randrange(1, 12)
                )
            cjob.advance(now)
        if cjob.active:
            active_co += 1
        jobs.append(cjob)

    # ---------------------------------------------------------------- AQuA
    aqua_ids: list[str] = []
    for _ in range(n_aqua):
        fate = running_left.fate("aqua", _fate(rng))
        running = fate == "running"
        created = now - rng.uniform(2, 30) if running else _past(rng, now, 3 * 3600)
        picks = rng.sample(AQUA_QUERIES, rng.randrange(1, 5))
        stateful = rng.random() < 0.2
        fmt = rng.choice(("CSV", "CSV", "GZIP", "ZIP"))
        batches = [
            AquaBatch(
                batch_id=ids.aqua(),
                name=name,
                query=query,
                batch_type=rng.choice(("zoql", "zoql", "zoqlexport")),
                api_version="91.0",
                planned_records=rng.randrange(0, 2000),
                full=not stateful or rng.random() < 0.3,
            )
            for name, query in picks
        ]
        ajob = AquaJob(
            id=ids.aqua(),
            name=rng.choice(AQUA_JOB_NAMES),
            version="1.1" if stateful else rng.choice(("1.0", "1.1")),
            format=fmt,
            encrypted="none",
            created=created,
            submit_s=cfg.aqua_submit_s if running else rng.uniform(1, 20),
            batch_s=rng.uniform(20, 90) if running else rng.uniform(5, 600),
            batches=batches,
            partner="Salesforce" if stateful else None,
            project="00170000011K3Ub" if stateful else None,
        )
        if fate == "failed":
            ajob.outcome = rng.choice(("aborted", "aborted", "deleted_notallowed"))
            ajob.outcome_at = created + ajob.submit_s + rng.uniform(0, ajob.batch_s * len(batches))
        elif fate == "stopped":
            ajob.outcome = "cancelled"
            ajob.outcome_at = created + rng.uniform(0, ajob.submit_s + ajob.batch_s)
        ajob.advance(now, env)
        aqua_ids.append(ajob.id)
        jobs.append(ajob)

    for seeded in sorted(jobs, key=_created):
        sim.add_job(seeded)
    sim._seeded_aqua.extend(aqua_ids)


def _created(job: DataBackfillJob | BatchJob | CustomObjectJob | AquaJob) -> float:
    if isinstance(job, DataBackfillJob):
        return job.uploaded_on
    if isinstance(job, BatchJob):
        return job.created_on
    return job.created


def seeded_simulator(config: SimConfig | None = None) -> Simulator:
    """A new simulator holding the scenario its config asks for (`jobs` jobs, `seed`)."""
    sim = Simulator(config or SimConfig())
    if sim.config.jobs or sim.config.co_jobs:
        seed_scenario(sim, sim.config.jobs, sim.config.seed, sim.config.co_jobs)
    return sim

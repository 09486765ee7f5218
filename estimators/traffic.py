"""Traffic: tasks, model calls, QPS and tokens per minute (DESIGN §4, Traffic)."""

from __future__ import annotations

from dataclasses import dataclass

SECONDS_PER_DAY = 86_400


@dataclass(frozen=True)
class Load:
    daily_active_users: float
    tasks_per_user_per_day: float
    days_per_month: float = 30
    calls_per_task: float = 1
    retry_rate: float = 0.0
    peak_factor: float = 1.0
    turns: int = 1  # each turn of a conversation is one model request


@dataclass(frozen=True)
class Traffic:
    tasks_per_day: float
    tasks_per_month: float
    calls_per_day: float  # model requests, retries and every turn included
    calls_per_month: float
    avg_qps: float
    peak_qps: float


def model_calls_per_task(load: Load) -> float:
    """Model requests one task makes: calls/task x turns x (1 + retry rate)."""
    return load.calls_per_task * load.turns * (1 + load.retry_rate)


def traffic(load: Load) -> Traffic:
    """tasks/month = DAU x tasks/user/day x days; calls = tasks x calls/task x turns x (1 + retry)."""
    tasks_per_day = load.daily_active_users * load.tasks_per_user_per_day
    calls_per_day = tasks_per_day * model_calls_per_task(load)
    avg_qps = calls_per_day / SECONDS_PER_DAY
    return Traffic(
        tasks_per_day=tasks_per_day,
        tasks_per_month=tasks_per_day * load.days_per_month,
        calls_per_day=calls_per_day,
        calls_per_month=calls_per_day * load.days_per_month,
        avg_qps=avg_qps,
        peak_qps=avg_qps * load.peak_factor,
    )


def peak_tpm(peak_qps: float, tokens_per_call: float) -> float:
    """Peak tokens per minute = peak QPS x 60 x tokens per call."""
    return peak_qps * 60 * tokens_per_call

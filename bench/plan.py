"""The measurements of one run: the full plan (~10 minutes) and ``--quick`` (~3)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Plan:
    name: str
    #: Seconds of load per wrk measurement, and of warm-up per protocol.
    seconds: int
    warmup: int
    #: Each inspect measurement runs this many times, the paths in one order
    #: and then in the reverse order, so that drift hits them alike. List
    #: measurements run once, with a window long enough for slow lists.
    repeats: int
    clients: tuple[int, ...]
    list_sizes: tuple[int, ...]
    #: Maximum window of one list measurement, in seconds.
    max_window: int
    #: Containers per path in the lifecycle runs, and the concurrent run's
    #: number of clients.
    lifecycle_count: int
    lifecycle_concurrency: int
    #: Seconds of load before and after a slow stop; the load during it
    #: lasts as long as the stop.
    slow_stop_seconds: int
    slow_stop_protocols: tuple[str, ...]
    #: Slow stops at once in the extra run, 0 for none.
    slow_stop_many: int
    server_configs: tuple[tuple[int, int], ...]
    scaling_clients: tuple[int, ...]
    profile_seconds: int
    profile_scenarios: tuple[tuple[str, str], ...]
    client_calls: int
    zeep_builds: int
    #: The run skips what is left once this many seconds have passed.
    budget_seconds: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


FULL = Plan(
    name="full",
    seconds=3,
    warmup=2,
    repeats=2,
    clients=(1, 8, 32),
    list_sizes=(10, 100, 500),
    max_window=15,
    lifecycle_count=40,
    lifecycle_concurrency=4,
    slow_stop_seconds=5,
    slow_stop_protocols=("direct", "rest", "soap"),
    slow_stop_many=16,
    server_configs=((1, 16), (2, 16), (4, 8)),
    scaling_clients=(32,),
    profile_seconds=6,
    profile_scenarios=(("rest", "inspect"), ("soap", "inspect"), ("soap", "list")),
    client_calls=200,
    zeep_builds=10,
    budget_seconds=780,
)

QUICK = Plan(
    name="quick",
    seconds=2,
    warmup=1,
    repeats=1,
    clients=(1, 8, 32),
    list_sizes=(10, 100),
    max_window=4,
    lifecycle_count=5,
    lifecycle_concurrency=4,
    slow_stop_seconds=2,
    slow_stop_protocols=("rest",),
    slow_stop_many=0,
    server_configs=((1, 16),),
    scaling_clients=(32,),
    profile_seconds=2,
    profile_scenarios=(("rest", "inspect"), ("soap", "inspect")),
    client_calls=50,
    zeep_builds=3,
    budget_seconds=240,
)

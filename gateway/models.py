"""Request and response models of the domain operations.

The REST views validate JSON and query strings against these models, and the
SOAP service builds them from its typed messages, so both protocols apply the
same rules. Field names are the JSON ones; the SOAP messages use the
camelCase form of each name (``working_dir`` is ``workingDir``).
"""

from __future__ import annotations

import ipaddress
import re
import signal
from datetime import datetime
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

ContainerState = Literal["created", "running", "paused", "restarting", "exited", "dead"]
CONTAINER_STATES: tuple[str, ...] = (
    "created",
    "running",
    "paused",
    "restarting",
    "exited",
    "dead",
)
RestartPolicyName = Literal["no", "always", "unless-stopped", "on-failure"]
LogStream = Literal["stdout", "stderr", "both"]

# Docker's own rule for container names, plus the leading slash it reports.
NAME_PATTERN = r"^/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$"
# A reference is a name, a full id or an id prefix: the same alphabet.
REFERENCE_PATTERN = re.compile(r"^/?[a-zA-Z0-9][a-zA-Z0-9_.-]{0,254}$")
IMAGE_PATTERN = r"^[a-zA-Z0-9][a-zA-Z0-9._/:@+-]*$"
MEMORY_PATTERN = re.compile(r"^([0-9]+)([bkmg]?)$", re.IGNORECASE)
MEMORY_UNITS = {"": 1, "b": 1, "k": 1024, "m": 1024**2, "g": 1024**3}
# Docker refuses memory limits below 6 MiB.
MIN_MEMORY_BYTES = 6 * 1024**2
MAX_SIGNAL_NUMBER = 64
MAX_TAIL = 999_999_999
#: Prefix of the labels that mark a container as this gateway's.
RESERVED_LABEL_PREFIX = "io.container-gateway."

Text = Annotated[str, StringConstraints(max_length=4096)]
ShortText = Annotated[str, StringConstraints(min_length=1, max_length=255)]


def _reject_nul(value: str, what: str) -> str:
    if "\x00" in value:
        raise ValueError(f"{what} must not contain a NUL character")
    return value


def parse_memory(value: int | str) -> int:
    """Convert a byte count or a unit string such as ``256m`` to bytes.

    Only whole numbers with an optional ``b``, ``k``, ``m`` or ``g`` suffix
    are accepted (``2.5g`` is rejected rather than rounded).
    """
    if isinstance(value, bool):
        raise ValueError("memory must be a byte count or a unit string like 256m")
    if isinstance(value, int):
        size = value
    else:
        match = MEMORY_PATTERN.match(value.strip())
        if match is None:
            raise ValueError(
                f"memory {value!r} is not a whole number with an optional unit "
                "b, k, m or g (for example 256m)"
            )
        size = int(match.group(1)) * MEMORY_UNITS[match.group(2).lower()]
    if size < MIN_MEMORY_BYTES:
        raise ValueError(f"memory must be at least 6m ({MIN_MEMORY_BYTES} bytes)")
    return size


def check_reference(ref: str) -> str:
    """Return *ref* if it can name a container (name, id or id prefix)."""
    if not REFERENCE_PATTERN.match(ref):
        shown = ref if len(ref) <= 80 else ref[:77] + "..."
        raise ValueError(
            f"container reference {shown!r} is not a container name, id or id "
            "prefix (letters, digits, '_', '.', '-', at most 255 characters)"
        )
    return ref


def parse_signal(value: str | int) -> str:
    """Normalise a signal name (``TERM``, ``SIGTERM``) or number to a string."""
    if isinstance(value, int) and not isinstance(value, bool):
        if 1 <= value <= MAX_SIGNAL_NUMBER:
            return str(value)
        raise ValueError(f"signal number must be 1 to {MAX_SIGNAL_NUMBER}")
    if isinstance(value, str):
        text = value.strip().upper()
        if text.isdigit():
            return parse_signal(int(text))
        name = text if text.startswith("SIG") else "SIG" + text
        if name in signal.Signals.__members__:
            return name
    raise ValueError(f"{value!r} is not a signal name such as SIGTERM or a number")


class Model(BaseModel):
    """Base of request models: strict types and no unknown fields."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


class ResourceLimits(Model):
    memory: int | str | None = Field(
        None, description="Memory limit in bytes, or a unit string such as 256m."
    )
    # Docker's smallest CPU limit is 0.01 of a CPU; less would round to no
    # limit at all or fail when the container starts.
    cpus: float | None = Field(None, ge=0.01, le=1024, description="CPUs, e.g. 0.5.")
    pids: int | None = Field(None, ge=1, le=4_194_304, description="Max processes.")

    @field_validator("memory")
    @classmethod
    def _memory_bytes(cls, value: int | str | None) -> int | None:
        return None if value is None else parse_memory(value)


class RestartPolicy(Model):
    name: RestartPolicyName = "no"
    maximum_retry_count: int = Field(0, ge=0, le=1000)

    @model_validator(mode="after")
    def _retry_count_needs_on_failure(self) -> RestartPolicy:
        if self.maximum_retry_count and self.name != "on-failure":
            raise ValueError("maximum_retry_count is only valid with on-failure")
        return self


class PortBinding(Model):
    """Publish a container port on the host, at ``host_ip:host_port``."""

    container_port: int = Field(ge=1, le=65535)
    protocol: Literal["tcp", "udp", "sctp"] = "tcp"
    host_ip: str = Field("127.0.0.1", max_length=45)
    host_port: int = Field(0, ge=0, le=65535, description="0 lets the engine pick.")

    @field_validator("host_ip")
    @classmethod
    def _ip_address(cls, value: str) -> str:
        try:
            ipaddress.ip_address(value)
        except ValueError:
            raise ValueError(f"host_ip {value!r} is not an IP address") from None
        return value


ShortList = Annotated[list[ShortText], Field(max_length=64)]


class CreateRequest(Model):
    image: Annotated[str, StringConstraints(max_length=255, pattern=IMAGE_PATTERN)]
    name: (
        Annotated[str, StringConstraints(max_length=255, pattern=NAME_PATTERN)] | None
    ) = None
    command: list[Text] | None = Field(None, max_length=256)
    env: dict[ShortText, Text] = Field(default_factory=dict, max_length=256)
    labels: dict[ShortText, Text] = Field(default_factory=dict, max_length=256)
    working_dir: Annotated[str, StringConstraints(max_length=4096)] | None = None
    limits: ResourceLimits = Field(default_factory=ResourceLimits)
    restart_policy: RestartPolicy = Field(default_factory=RestartPolicy)
    network: (
        Annotated[str, StringConstraints(max_length=255, pattern=NAME_PATTERN)] | None
    ) = None
    ports: list[PortBinding] = Field(default_factory=list, max_length=64)
    start: bool = False

    # Options that give a container power over the host. They are part of the
    # model so that a request naming one is refused by the create policy with
    # that field named (gateway/policy.py), not silently dropped.
    privileged: bool = False
    cap_add: ShortList = Field(default_factory=list)
    devices: ShortList = Field(default_factory=list)
    binds: ShortList = Field(default_factory=list, description="Host bind mounts.")
    volumes_from: ShortList = Field(default_factory=list)
    pid_mode: ShortText | None = None
    ipc_mode: ShortText | None = None
    userns_mode: ShortText | None = None
    security_opt: ShortList = Field(default_factory=list)
    sysctls: dict[ShortText, ShortText] = Field(default_factory=dict, max_length=64)
    cgroup_parent: ShortText | None = None
    runtime: ShortText | None = None

    @field_validator("command")
    @classmethod
    def _command_strings(cls, value: list[str] | None) -> list[str] | None:
        if value is not None:
            if not value:
                raise ValueError("command must not be empty; omit it for the default")
            for part in value:
                _reject_nul(part, "command")
        return value

    @field_validator("env")
    @classmethod
    def _env_names(cls, value: dict[str, str]) -> dict[str, str]:
        for key, item in value.items():
            if "=" in key:
                raise ValueError(f"environment variable name {key!r} contains '='")
            _reject_nul(key, "environment variable name")
            _reject_nul(item, f"environment variable {key!r}")
        return value

    @field_validator("labels")
    @classmethod
    def _label_text(cls, value: dict[str, str]) -> dict[str, str]:
        for key, item in value.items():
            if key.startswith(RESERVED_LABEL_PREFIX):
                raise ValueError(
                    f"label {key!r} uses the prefix {RESERVED_LABEL_PREFIX!r}, "
                    "which the gateway keeps for its own labels"
                )
            _reject_nul(key, "label key")
            _reject_nul(item, f"label {key!r}")
        return value

    @field_validator("working_dir")
    @classmethod
    def _absolute_dir(cls, value: str | None) -> str | None:
        if value is not None:
            _reject_nul(value, "working_dir")
            if not value.startswith("/"):
                raise ValueError("working_dir must be an absolute path")
        return value


class StopRequest(Model):
    timeout: int | None = Field(None, ge=0, description="Seconds before SIGKILL.")


class KillRequest(Model):
    signal: str | int = "SIGKILL"

    @field_validator("signal")
    @classmethod
    def _known_signal(cls, value: str | int) -> str:
        return parse_signal(value)


class RemoveRequest(Model):
    force: bool = False
    volumes: bool = False


class ListQuery(Model):
    # Query strings carry text only, so these models convert "true" or "10".
    model_config = ConfigDict(strict=False, extra="forbid", frozen=True)

    all: bool = False
    state: ContainerState | None = None
    label: list[Annotated[str, StringConstraints(min_length=1, max_length=512)]] = (
        Field(default_factory=list, max_length=32)
    )
    name: Annotated[str, StringConstraints(min_length=1, max_length=255)] | None = None


class LogsQuery(Model):
    model_config = ConfigDict(strict=False, extra="forbid", frozen=True)

    tail: int | Literal["all"] = Field("all", description="Last N lines, or all.")
    since: datetime | None = None
    timestamps: bool = False
    stream: LogStream = "both"

    @field_validator("tail")
    @classmethod
    def _tail_count(cls, value: int | str) -> int | str:
        if isinstance(value, int) and not 0 <= value <= MAX_TAIL:
            raise ValueError(f"tail must be 0 to {MAX_TAIL}, or 'all'")
        return value


class ContainerLimits(BaseModel):
    memory: int | None = None
    cpus: float | None = None
    pids: int | None = None


class Container(BaseModel):
    """One container as inspect and list return it.

    List fills only what the engine's list call returns: ``started_at``,
    ``finished_at``, ``exit_code`` and ``limits`` are ``None`` there and set by
    inspect.
    """

    container_id: str
    short_id: str
    name: str
    image: str
    command: str = Field(description="Entrypoint and arguments, space-joined.")
    state: str
    status: str
    created_at: datetime | None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    exit_code: int | None = None
    labels: dict[str, str] = Field(default_factory=dict)
    limits: ContainerLimits | None = None


class ActionResult(BaseModel):
    """Outcome of start, stop, restart, kill, pause and unpause."""

    changed: bool
    container: Container


class RemoveResult(BaseModel):
    container_id: str
    removed: bool = True


class Logs(BaseModel):
    container_id: str
    lines: list[str]
    truncated: bool
    size_bytes: int = Field(description="UTF-8 bytes of the returned lines.")

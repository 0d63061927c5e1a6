"""The create policy: which create options a request may use.

Options that hand a container power over the host are always refused:
privileged mode, added capabilities, devices, host bind mounts, the host's
PID or user namespace, unconfined seccomp or AppArmor, sysctls, a cgroup
parent and volumes from other containers. What the operator can configure
(``GATEWAY_POLICY_*`` variables) has safe defaults: the host network is
refused, ports publish on 127.0.0.1 only, only the runc runtime is allowed,
and memory, CPU and process limits get defaults and maxima.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from gateway import errors
from gateway.models import CreateRequest, ResourceLimits, parse_memory

# IPC modes that share nothing with the host or another container.
PRIVATE_IPC_MODES = frozenset({"private", "shareable", "none"})
# Security options that only take privileges away.
SAFE_SECURITY_OPTIONS = frozenset({"no-new-privileges", "no-new-privileges:true"})


def _csv(name: str, default: str) -> frozenset[str]:
    raw = os.environ.get(name, default)
    return frozenset(item.strip() for item in raw.split(",") if item.strip())


def _float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    try:
        return default if not raw else float(raw)
    except ValueError:
        raise errors.ConfigurationError(
            f"{name} must be a number, got {raw!r}"
        ) from None


def _memory(name: str, default: str) -> int:
    raw = os.environ.get(name) or default
    try:
        return parse_memory(raw)
    except ValueError as exc:
        raise errors.ConfigurationError(f"{name}: {exc}") from None


@dataclass(frozen=True)
class CreatePolicy:
    refused_networks: frozenset[str] = frozenset({"host"})
    publish_addresses: frozenset[str] = frozenset({"127.0.0.1"})
    runtimes: frozenset[str] = frozenset({"runc"})
    #: Repository prefixes images must start with; empty allows any image.
    images: frozenset[str] = frozenset()
    default_memory: int = 256 * 1024**2
    max_memory: int = 2 * 1024**3
    default_cpus: float = 1.0
    max_cpus: float = 2.0
    default_pids: int = 256
    max_pids: int = 4096

    @classmethod
    def from_env(cls) -> CreatePolicy:
        return cls(
            refused_networks=_csv("GATEWAY_POLICY_REFUSED_NETWORKS", "host"),
            publish_addresses=_csv("GATEWAY_POLICY_PUBLISH_ADDRESSES", "127.0.0.1"),
            runtimes=_csv("GATEWAY_POLICY_RUNTIMES", "runc"),
            images=_csv("GATEWAY_POLICY_IMAGES", ""),
            default_memory=_memory("GATEWAY_POLICY_DEFAULT_MEMORY", "256m"),
            max_memory=_memory("GATEWAY_POLICY_MAX_MEMORY", "2g"),
            default_cpus=_float("GATEWAY_POLICY_DEFAULT_CPUS", 1.0),
            max_cpus=_float("GATEWAY_POLICY_MAX_CPUS", 2.0),
            default_pids=int(_float("GATEWAY_POLICY_DEFAULT_PIDS", 256)),
            max_pids=int(_float("GATEWAY_POLICY_MAX_PIDS", 4096)),
        )

    def apply(self, request: CreateRequest) -> CreateRequest:
        """Return *request* with default limits, or raise PolicyViolation."""
        _refuse_host_access(request)
        self._check_image(request.image)
        if request.network in self.refused_networks:
            _refuse("network", f"network {request.network!r} is not allowed")
        for index, port in enumerate(request.ports):
            if port.host_ip not in self.publish_addresses:
                _refuse(
                    f"ports.{index}.host_ip",
                    f"ports may be published on {sorted(self.publish_addresses)} "
                    f"only, not on {port.host_ip}",
                )
        if request.runtime is not None and request.runtime not in self.runtimes:
            _refuse("runtime", f"runtime {request.runtime!r} is not allowed")
        return request.model_copy(update={"limits": self._limits(request.limits)})

    def _check_image(self, image: str) -> None:
        if self.images and not any(image.startswith(prefix) for prefix in self.images):
            _refuse("image", f"image {image!r} is not from an allowed repository")

    def _limits(self, limits: ResourceLimits) -> ResourceLimits:
        memory = limits.memory if limits.memory is not None else self.default_memory
        cpus = limits.cpus if limits.cpus is not None else self.default_cpus
        pids = limits.pids if limits.pids is not None else self.default_pids
        if isinstance(memory, int) and memory > self.max_memory:
            _refuse("limits.memory", f"memory exceeds the maximum of {self.max_memory}")
        if cpus > self.max_cpus:
            _refuse("limits.cpus", f"cpus exceeds the maximum of {self.max_cpus}")
        if pids > self.max_pids:
            _refuse("limits.pids", f"pids exceeds the maximum of {self.max_pids}")
        return ResourceLimits(memory=memory, cpus=cpus, pids=pids)


def _refuse(field: str, reason: str) -> None:
    raise errors.PolicyViolation(f"{field}: {reason} by the create policy", field=field)


def _refuse_host_access(request: CreateRequest) -> None:
    always_refused = {
        "privileged": request.privileged,
        "cap_add": request.cap_add,
        "devices": request.devices,
        "binds": request.binds,
        "volumes_from": request.volumes_from,
        "pid_mode": request.pid_mode,
        "userns_mode": request.userns_mode,
        "sysctls": request.sysctls,
        "cgroup_parent": request.cgroup_parent,
    }
    for field, value in always_refused.items():
        if value:
            _refuse(
                field, f"{field} gives a container access to the host and is refused"
            )
    if request.ipc_mode is not None and request.ipc_mode not in PRIVATE_IPC_MODES:
        _refuse("ipc_mode", f"ipc_mode {request.ipc_mode!r} is not allowed")
    for index, option in enumerate(request.security_opt):
        if option not in SAFE_SECURITY_OPTIONS:
            _refuse(
                f"security_opt.{index}", f"security option {option!r} is not allowed"
            )

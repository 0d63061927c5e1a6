"""SOAP operations: read the message, call the engine, build the reply."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from spyne import (
    Boolean,
    DateTime,
    Integer32,
    Iterable,
    ServiceBase,
    Unicode,
    rpc,
)

from gateway import errors
from gateway.engine import Engine
from gateway.models import (
    CreateRequest,
    KillRequest,
    ListQuery,
    LogsQuery,
    RemoveRequest,
    StopRequest,
)
from gateway.validation import validate
from soap_service import types
from soap_service.faults import GatewayFault, RaisedFault

Ref = Unicode(min_occurs=1, nillable=False, doc="Container name, id or id prefix.")
Timeout = Integer32(doc="Seconds to wait before SIGKILL.")
Flag = Boolean(doc="Defaults to false.")
THROWS = [GatewayFault]


class HostOptions(types.Base):
    """Options that reach into the host; the create policy refuses them."""

    privileged = Boolean
    capAdd = Unicode(max_occurs="unbounded")
    devices = Unicode(max_occurs="unbounded")
    binds = Unicode(max_occurs="unbounded")
    volumesFrom = Unicode(max_occurs="unbounded")
    pidMode = Unicode
    ipcMode = Unicode
    usernsMode = Unicode
    securityOpt = Unicode(max_occurs="unbounded")
    sysctls = types.KeyValue.customize(max_occurs="unbounded")
    cgroupParent = Unicode
    runtime = Unicode


def host_options_to_dict(options: Any) -> dict[str, Any]:
    return types.drop_none(
        {
            "privileged": options.privileged,
            "cap_add": options.capAdd,
            "devices": options.devices,
            "binds": options.binds,
            "volumes_from": options.volumesFrom,
            "pid_mode": options.pidMode,
            "ipc_mode": options.ipcMode,
            "userns_mode": options.usernsMode,
            "security_opt": options.securityOpt,
            "sysctls": types.key_values_to_dict(options.sysctls, "sysctls"),
            "cgroup_parent": options.cgroupParent,
            "runtime": options.runtime,
        }
    )


def engine_of(ctx: Any) -> Engine:
    engine: Engine = ctx.app.engine
    return engine


class ContainerService(ServiceBase):
    """One SOAP operation per engine operation."""

    @classmethod
    def call_wrapper(cls, ctx: Any, args: Any = None) -> Any:
        # Every gateway error becomes a fault here, and only here.
        try:
            return super().call_wrapper(ctx, args)
        except errors.GatewayError as exc:
            raise RaisedFault(exc) from exc

    @rpc(
        Unicode(min_occurs=1, nillable=False),
        Unicode,
        Unicode(max_occurs="unbounded", doc="Entrypoint arguments, one per element."),
        types.KeyValue.customize(max_occurs="unbounded"),
        types.KeyValue.customize(max_occurs="unbounded"),
        Unicode,
        types.ResourceLimits,
        types.RestartPolicy,
        Unicode,
        types.PortBinding.customize(max_occurs="unbounded"),
        Flag,
        HostOptions,
        _in_arg_names={
            "working_dir": "workingDir",
            "restart_policy": "restartPolicy",
            "host_options": "hostOptions",
        },
        _returns=types.Container,
        _out_variable_name="container",
        _throws=THROWS,
    )
    def CreateContainer(
        ctx: Any,
        image: str,
        name: str | None,
        command: list[str] | None,
        env: list[Any] | None,
        labels: list[Any] | None,
        working_dir: str | None,
        limits: Any,
        restart_policy: Any,
        network: str | None,
        ports: list[Any] | None,
        start: bool | None,
        host_options: Any,
    ) -> types.Container:
        data = types.drop_none(
            {
                "image": image,
                "name": name,
                "command": command,
                "env": types.key_values_to_dict(env, "env"),
                "labels": types.key_values_to_dict(labels, "labels"),
                "working_dir": working_dir,
                "network": network,
                "start": start,
            }
        )
        if limits is not None:
            data["limits"] = types.drop_none(
                {"memory": limits.memory, "cpus": limits.cpus, "pids": limits.pids}
            )
        if ports is not None:
            # A nil item stays None, so that validation names ports.N.
            data["ports"] = [
                None
                if port is None
                else types.drop_none(
                    {
                        "container_port": port.containerPort,
                        "protocol": port.protocol,
                        "host_ip": port.hostIp,
                        "host_port": port.hostPort,
                    }
                )
                for port in ports
            ]
        if host_options is not None:
            data.update(host_options_to_dict(host_options))
        if restart_policy is not None:
            data["restart_policy"] = types.drop_none(
                {
                    "name": restart_policy.name,
                    "maximum_retry_count": restart_policy.maximumRetryCount,
                }
            )
        container = engine_of(ctx).create(validate(CreateRequest, data))
        return types.to_soap_container(container)

    @rpc(Ref, _returns=types.ActionResult, _out_variable_name="result", _throws=THROWS)
    def StartContainer(ctx: Any, container: str) -> types.ActionResult:
        return types.to_soap_action(engine_of(ctx).start(container))

    @rpc(
        Ref,
        Timeout,
        _returns=types.ActionResult,
        _out_variable_name="result",
        _throws=THROWS,
    )
    def StopContainer(
        ctx: Any, container: str, timeout: int | None
    ) -> types.ActionResult:
        request = validate(StopRequest, types.drop_none({"timeout": timeout}))
        return types.to_soap_action(engine_of(ctx).stop(container, request))

    @rpc(
        Ref,
        Timeout,
        _returns=types.ActionResult,
        _out_variable_name="result",
        _throws=THROWS,
    )
    def RestartContainer(
        ctx: Any, container: str, timeout: int | None
    ) -> types.ActionResult:
        request = validate(StopRequest, types.drop_none({"timeout": timeout}))
        return types.to_soap_action(engine_of(ctx).restart(container, request))

    @rpc(
        Ref,
        Unicode(doc="Signal name such as SIGTERM, or its number. Default SIGKILL."),
        _returns=types.ActionResult,
        _out_variable_name="result",
        _throws=THROWS,
    )
    def KillContainer(
        ctx: Any, container: str, signal: str | None
    ) -> types.ActionResult:
        request = validate(KillRequest, types.drop_none({"signal": signal}))
        return types.to_soap_action(engine_of(ctx).kill(container, request))

    @rpc(Ref, _returns=types.ActionResult, _out_variable_name="result", _throws=THROWS)
    def PauseContainer(ctx: Any, container: str) -> types.ActionResult:
        return types.to_soap_action(engine_of(ctx).pause(container))

    @rpc(Ref, _returns=types.ActionResult, _out_variable_name="result", _throws=THROWS)
    def UnpauseContainer(ctx: Any, container: str) -> types.ActionResult:
        return types.to_soap_action(engine_of(ctx).unpause(container))

    @rpc(Ref, _returns=types.Container, _out_variable_name="container", _throws=THROWS)
    def InspectContainer(ctx: Any, container: str) -> types.Container:
        return types.to_soap_container(engine_of(ctx).inspect(container))

    @rpc(
        Flag,
        Unicode,
        Unicode(max_occurs="unbounded", doc="key or key=value; all must match."),
        Unicode,
        _in_arg_names={"include_stopped": "all"},
        _returns=Iterable(types.Container, member_name="container"),
        _out_variable_name="containers",
        _throws=THROWS,
    )
    def ListContainers(
        ctx: Any,
        include_stopped: bool | None,
        state: str | None,
        label: list[str] | None,
        name: str | None,
    ) -> Iterator[types.Container]:
        data = types.drop_none(
            {"all": include_stopped, "state": state, "label": label, "name": name}
        )
        containers = engine_of(ctx).list(validate(ListQuery, data, strict=False))
        return iter([types.to_soap_container(item) for item in containers])

    @rpc(
        Ref,
        Unicode(pattern="all|[0-9]+", doc="Last N lines, or all (the default)."),
        DateTime,
        Flag,
        Unicode(values=["stdout", "stderr", "both"]),
        _returns=types.Logs,
        _out_variable_name="logs",
        _throws=THROWS,
    )
    def GetContainerLogs(
        ctx: Any,
        container: str,
        tail: str | None,
        since: datetime | None,
        timestamps: bool | None,
        stream: str | None,
    ) -> types.Logs:
        data = types.drop_none(
            {"tail": tail, "since": since, "timestamps": timestamps, "stream": stream}
        )
        tail = data.get("tail")
        if isinstance(tail, str) and tail.isdigit():
            # The schema allows any digit string; a count beyond int range of
            # the engine is an invalid request, not a conversion crash.
            if len(tail) > 9:
                raise errors.InvalidRequest(
                    "tail must be at most 999999999 lines, or all", field="tail"
                )
            data["tail"] = int(tail)
        query = validate(LogsQuery, data)
        return types.to_soap_logs(engine_of(ctx).logs(container, query))

    @rpc(
        Ref,
        Flag,
        Flag,
        _returns=types.RemoveResult,
        _out_variable_name="result",
        _throws=THROWS,
    )
    def RemoveContainer(
        ctx: Any, container: str, force: bool | None, volumes: bool | None
    ) -> types.RemoveResult:
        request = validate(
            RemoveRequest, types.drop_none({"force": force, "volumes": volumes})
        )
        result = engine_of(ctx).remove(container, request)
        return types.RemoveResult(containerId=result.container_id, removed=True)

"""The create policy over both protocols: refusals name the field."""

from __future__ import annotations

from typing import Any

import docker
import pytest
import requests

from tests.conftest import DEMO_IMAGE, SOAP_NS, Containers, Server, create_body

# field in JSON, the same request's SOAP elements, the field reported.
REFUSED = [
    pytest.param(
        {"privileged": True},
        "<hostOptions><privileged>true</privileged></hostOptions>",
        "privileged",
        id="privileged",
    ),
    pytest.param(
        {"cap_add": ["SYS_ADMIN"]},
        "<hostOptions><capAdd>SYS_ADMIN</capAdd></hostOptions>",
        "cap_add",
        id="cap-add",
    ),
    pytest.param(
        {"devices": ["/dev/sda"]},
        "<hostOptions><devices>/dev/sda</devices></hostOptions>",
        "devices",
        id="devices",
    ),
    pytest.param(
        {"binds": ["/:/host"]},
        "<hostOptions><binds>/:/host</binds></hostOptions>",
        "binds",
        id="host-bind",
    ),
    pytest.param(
        {"volumes_from": ["other"]},
        "<hostOptions><volumesFrom>other</volumesFrom></hostOptions>",
        "volumes_from",
        id="volumes-from",
    ),
    pytest.param(
        {"pid_mode": "host"},
        "<hostOptions><pidMode>host</pidMode></hostOptions>",
        "pid_mode",
        id="pid-host",
    ),
    pytest.param(
        {"ipc_mode": "host"},
        "<hostOptions><ipcMode>host</ipcMode></hostOptions>",
        "ipc_mode",
        id="ipc-host",
    ),
    pytest.param(
        {"userns_mode": "host"},
        "<hostOptions><usernsMode>host</usernsMode></hostOptions>",
        "userns_mode",
        id="userns-host",
    ),
    pytest.param(
        {"security_opt": ["seccomp=unconfined"]},
        "<hostOptions><securityOpt>seccomp=unconfined</securityOpt></hostOptions>",
        "security_opt.0",
        id="seccomp-unconfined",
    ),
    pytest.param(
        {"security_opt": ["apparmor=unconfined"]},
        "<hostOptions><securityOpt>apparmor=unconfined</securityOpt></hostOptions>",
        "security_opt.0",
        id="apparmor-unconfined",
    ),
    pytest.param(
        {"sysctls": {"net.ipv4.ip_forward": "1"}},
        "<hostOptions><sysctls><key>net.ipv4.ip_forward</key><value>1</value>"
        "</sysctls></hostOptions>",
        "sysctls",
        id="sysctls",
    ),
    pytest.param(
        {"cgroup_parent": "/"},
        "<hostOptions><cgroupParent>/</cgroupParent></hostOptions>",
        "cgroup_parent",
        id="cgroup-parent",
    ),
    pytest.param(
        {"runtime": "nvidia"},
        "<hostOptions><runtime>nvidia</runtime></hostOptions>",
        "runtime",
        id="runtime",
    ),
    pytest.param(
        {"network": "host"}, "<network>host</network>", "network", id="host-network"
    ),
    pytest.param(
        {"ports": [{"container_port": 80, "host_ip": "0.0.0.0", "host_port": 8080}]},
        "<ports><containerPort>80</containerPort><hostIp>0.0.0.0</hostIp>"
        "<hostPort>8080</hostPort></ports>",
        "ports.0.host_ip",
        id="publish-all-addresses",
    ),
    pytest.param(
        {"limits": {"memory": "64g"}},
        "<limits><memory>64g</memory></limits>",
        "limits.memory",
        id="memory-above-max",
    ),
    pytest.param(
        {"limits": {"cpus": 64.0}},
        "<limits><cpus>64</cpus></limits>",
        "limits.cpus",
        id="cpus-above-max",
    ),
]


def soap_create(server: Server, name: str, extra: str) -> requests.Response:
    network = "" if "<network>" in extra else "<network>none</network>"
    # Elements follow the WSDL's sequence: image, name, ..., network, ports,
    # start, hostOptions.
    order = ["<limits>", "<network>", "<ports>", "<hostOptions>"]
    parts = {key: "" for key in order}
    for key in order:
        if extra.startswith(key):
            parts[key] = extra
    body = (
        f"<image>{DEMO_IMAGE}</image><name>{name}</name>"
        f"{parts['<limits>']}{parts['<network>'] or network}{parts['<ports>']}"
        f"{parts['<hostOptions>']}"
    )
    envelope = (
        '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>'
        f'<CreateContainer xmlns="{SOAP_NS}">{body}</CreateContainer>'
        "</s:Body></s:Envelope>"
    )
    return requests.post(
        server.soap,
        data=envelope.encode(),
        headers={"Content-Type": "text/xml; charset=utf-8"},
        timeout=30,
    )


@pytest.mark.parametrize(("json_fields", "soap_fields", "field"), REFUSED)
def test_rest_policy_refuses(
    server: Server,
    containers: Containers,
    docker_api: docker.APIClient,
    json_fields: dict[str, Any],
    soap_fields: str,
    field: str,
) -> None:
    name = containers.name("policy")
    body = {**create_body(name), **json_fields}
    response = requests.post(f"{server.api}/containers", json=body, timeout=30)
    assert response.status_code == 403, response.text
    problem = response.json()
    assert problem["code"] == "policy_violation"
    assert problem["field"] == field
    assert field.split(".")[0] in problem["detail"]
    assert docker_api.containers(all=True, filters={"name": name}) == []


@pytest.mark.parametrize(("json_fields", "soap_fields", "field"), REFUSED)
def test_soap_policy_refuses(
    server: Server,
    containers: Containers,
    docker_api: docker.APIClient,
    json_fields: dict[str, Any],
    soap_fields: str,
    field: str,
) -> None:
    name = containers.name("policy")
    response = soap_create(server, name, soap_fields)
    assert response.status_code == 500, response.text[:300]
    assert "Client.PolicyViolation</faultcode>" in response.text
    assert f"<tns:field>{field}</tns:field>" in response.text.replace("gw:", "tns:")
    assert docker_api.containers(all=True, filters={"name": name}) == []


def test_default_limits_applied(server: Server, containers: Containers) -> None:
    name = containers.name("limits")
    response = requests.post(
        f"{server.api}/containers", json=create_body(name), timeout=30
    )
    assert response.status_code == 201, response.text
    limits = response.json()["limits"]
    assert limits == {"memory": 256 * 1024**2, "cpus": 1.0, "pids": 256}


def test_safe_options_accepted(
    server: Server, containers: Containers, docker_api: docker.APIClient
) -> None:
    name = containers.name("safe")
    body = {
        **create_body(name),
        "security_opt": ["no-new-privileges"],
        "ipc_mode": "private",
    }
    response = requests.post(f"{server.api}/containers", json=body, timeout=30)
    assert response.status_code == 201, response.text
    host = docker_api.inspect_container(name)["HostConfig"]
    assert host["SecurityOpt"] == ["no-new-privileges"]
    assert host["IpcMode"] == "private"
    assert host["Privileged"] is False


@pytest.mark.parametrize(
    "ports",
    [
        pytest.param([{"container_port": 0}], id="port-zero"),
        pytest.param([{"container_port": 70000}], id="port-too-big"),
        pytest.param([{"container_port": 80, "protocol": "icmp"}], id="protocol"),
        pytest.param([{"container_port": 80, "host_ip": "localhost"}], id="not-ip"),
        pytest.param([{"container_port": "80/tcp"}], id="string-spec"),
    ],
)
def test_bad_port_spec(
    server: Server, containers: Containers, ports: list[Any]
) -> None:
    name = containers.name("ports")
    body = {**create_body(name), "ports": ports}
    response = requests.post(f"{server.api}/containers", json=body, timeout=30)
    assert response.status_code == 400, response.text
    assert response.json()["field"].startswith("ports.0")


def test_reserved_label_refused(server: Server, containers: Containers) -> None:
    name = containers.name("label")
    body = {**create_body(name), "labels": {"io.container-gateway.owner": "root"}}
    response = requests.post(f"{server.api}/containers", json=body, timeout=30)
    assert response.status_code == 400
    assert response.json()["field"] == "labels"

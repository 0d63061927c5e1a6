"""The full container lifecycle through the SOAP service with zeep."""

from __future__ import annotations

import logging
import warnings

import docker
import pytest
import requests
import zeep

from tests.conftest import DEMO_IMAGE, REPO, Containers, Server


def test_soap_lifecycle(soap: zeep.proxy.ServiceProxy, containers: Containers) -> None:
    name = containers.name("soap")
    created = soap.CreateContainer(
        image=DEMO_IMAGE,
        name=name,
        command=["sh", "-c", "echo ready; sleep 300"],
        env=[{"key": "GREETING", "value": "hello"}],
        labels=[{"key": "course", "value": "cloud"}],
        workingDir="/tmp",
        limits={"memory": "64m", "cpus": 0.5, "pids": 64},
        restartPolicy={"name": "on-failure", "maximumRetryCount": 2},
        network="none",
    )
    assert created.name == name
    assert created.state == "created"
    assert created.limits.memory == 64 * 1024**2
    labels = {item.key: item.value for item in created.labels}
    assert labels["course"] == "cloud"
    assert labels["io.container-gateway.owner"] == "local"

    started = soap.StartContainer(container=name)
    assert started.changed is True
    assert started.container.state == "running"
    assert soap.StartContainer(container=name).changed is False

    inspected = soap.InspectContainer(container=created.containerId[:12])
    assert inspected.containerId == created.containerId
    assert inspected.startedAt is not None

    assert soap.PauseContainer(container=name).container.state == "paused"
    assert soap.UnpauseContainer(container=name).container.state == "running"

    listed = soap.ListContainers(label=["course=cloud"], name=name)
    assert [item.name for item in listed] == [name]

    logs = soap.GetContainerLogs(container=name, tail="10")
    assert logs.lines == ["ready"]
    assert logs.truncated is False

    restarted = soap.RestartContainer(container=name, timeout=0)
    assert restarted.container.state == "running"
    killed = soap.KillContainer(container=name, signal="SIGKILL")
    assert killed.container.exitCode == 137
    stopped = soap.StopContainer(container=name, timeout=1)
    assert stopped.changed is False
    assert stopped.container.state == "exited"

    removed = soap.RemoveContainer(container=name)
    assert removed.removed is True
    with pytest.raises(zeep.exceptions.Fault) as fault:
        soap.InspectContainer(container=name)
    assert fault.value.code.endswith("Client.ContainerNotFound")


def test_soap_create_and_start(
    soap: zeep.proxy.ServiceProxy, containers: Containers, docker_api: docker.APIClient
) -> None:
    name = containers.name("soapstart")
    created = soap.CreateContainer(
        image=DEMO_IMAGE,
        name=name,
        command=["sleep", "300"],
        network="none",
        start=True,
    )
    assert created.state == "running"
    assert docker_api.inspect_container(name)["State"]["Running"] is True
    soap.StopContainer(container=name, timeout=0)
    removed = soap.RemoveContainer(container=name, force=True, volumes=True)
    assert removed.removed is True


def test_wsdl_matches_committed(server: Server) -> None:
    served = requests.get(server.soap + "?wsdl", timeout=10)
    committed = (REPO / "wsdl" / "container_gateway.wsdl").read_bytes()
    assert served.status_code == 200
    assert served.headers["Content-Type"].startswith("text/xml")
    assert served.content == committed, (
        "the served WSDL differs from wsdl/container_gateway.wsdl; refresh it "
        "with: python -m soap_service > wsdl/container_gateway.wsdl"
    )


def test_wsdl_address_from_config(tmp_path_factory: pytest.TempPathFactory) -> None:
    from tests.conftest import start_server, stop_server

    server = start_server(
        tmp_path_factory.mktemp("public"),
        GATEWAY_PUBLIC_URL="https://gateway.example.test/base",
    )
    try:
        wsdl = requests.get(
            server.soap + "?wsdl", headers={"Host": "attacker.test"}, timeout=10
        ).text
    finally:
        stop_server(server)
    assert 'location="https://gateway.example.test/base/soap"' in wsdl
    assert "attacker.test" not in wsdl


def test_zeep_loads_wsdl_cleanly(
    server: Server, caplog: pytest.LogCaptureFixture
) -> None:
    with warnings.catch_warnings(), caplog.at_level(logging.WARNING, logger="zeep"):
        warnings.simplefilter("error")
        client = zeep.Client(server.soap + "?wsdl")
    assert caplog.records == []
    operations = set(client.service._binding._operations)
    assert operations == {
        "CreateContainer",
        "StartContainer",
        "StopContainer",
        "RestartContainer",
        "KillContainer",
        "PauseContainer",
        "UnpauseContainer",
        "InspectContainer",
        "ListContainers",
        "GetContainerLogs",
        "RemoveContainer",
    }


def test_text_xml_forbids_escaped(
    server: Server,
    soap: zeep.proxy.ServiceProxy,
    containers: Containers,
    docker_api: docker.APIClient,
) -> None:
    # Labels, names and commands are set by any client of the engine; one
    # that XML cannot carry comes back escaped, and the container stays listed.
    name = containers.name("ctrl")
    docker_api.create_container(
        DEMO_IMAGE,
        ["sleep", "300", "\x01"],
        name=name,
        labels={
            "io.container-gateway.instance": "default",
            "io.container-gateway.owner": "local",
            "color": "\x1b[31mred\ufffe",
        },
        host_config=docker_api.create_host_config(network_mode="none"),
    )
    found = soap.InspectContainer(container=name)
    labels = {item.key: item.value for item in found.labels}
    assert labels["color"] == "\\x1b[31mred\\ufffe"
    assert found.command == "sleep 300 '\\x01'"
    listed = soap.ListContainers(all=True, label=["color"])
    assert [c.name for c in listed] == [name]
    rest = requests.get(f"{server.api}/containers/{name}", timeout=10).json()
    assert rest["labels"]["color"] == "\x1b[31mred\ufffe"

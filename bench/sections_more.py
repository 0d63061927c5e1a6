"""The report's sections on payloads, clients, profiles and the floor."""

from __future__ import annotations

from typing import Any

from bench.markdown import image, ms, number, share, table
from bench.protocols import PROTOCOLS

NAMES = {"direct": "direct", "rest": "REST", "soap": "SOAP"}


def _bytes(entry: dict[str, int] | None, key: str) -> str:
    if not entry:
        return "-"
    return f"{entry[key]:,} ({entry[key + '_body']:,})"


def payloads(results: dict[str, Any], plots: dict[str, list[str]]) -> list[str]:
    data = results.get("payloads")
    if not data:
        return ["## Payloads", "_Did not run._"]
    rows = []
    for operation, by_path in data["bytes"].items():
        cells = [operation]
        for name in PROTOCOLS:
            entry = by_path.get(name)
            cells += [_bytes(entry, "request"), _bytes(entry, "response")]
        rows.append(cells)
    header = ["Operation"]
    for name in PROTOCOLS:
        header += [f"{NAMES[name]} request", f"{NAMES[name]} response"]
    return [
        "## Payloads",
        (
            "Bytes on the wire for one call of each operation: the whole "
            "HTTP message, with the body alone in brackets. One container "
            "goes through every operation in turn; list returns the "
            f"{data['list_size']} containers of the list set and logs its last "
            f"{data['log_lines']} lines. Requests are those of a plain client "
            "(the SOAP bodies are zeep's); the engine's logs come in its "
            "multiplexed stream format. The direct path's responses to actions "
            "are empty (204), while the gateway returns the container."
        ),
        table(header, rows),
        image(plots, "payloads", "Request and response bytes"),
    ]


def client_side(results: dict[str, Any], plots: dict[str, list[str]]) -> list[str]:
    data = results.get("client")
    if not data:
        return ["## Client side", "_Did not run._"]
    built = data["construction"]
    rows = [
        [
            name,
            str(int(v["calls"])),
            ms(v["p50_ms"]),
            ms(v["p90_ms"]),
            number(v["cpu_us"]),
        ]
        for name, v in data["per_call"].items()
    ]
    return [
        "## Client side: zeep against requests",
        (
            f"Building a zeep client from the served WSDL ({built['wsdl_bytes']:,} "
            f"bytes, fetched in {ms(built['fetch_ms'])} ms) takes "
            f"{ms(built['build_ms'])} ms (median of {built['builds']}, fastest "
            f"{ms(built['build_min_ms'])} ms), {ms(built['build_cpu_ms'])} ms of it "
            "CPU in the client. A client does this once and reuses it."
        ),
        (
            "Per call: the same inspect, one call at a time, from each client in "
            "rotating rounds of 10. Wall time includes the server; the CPU column "
            "is the client process's own CPU per call, so it isolates the "
            "client library's cost."
        ),
        table(["Client", "Calls", "p50 ms", "p90 ms", "Client CPU us/call"], rows),
        image(plots, "client", "Client-side cost per call"),
    ]


def _function_rows(items: list[list[Any]]) -> list[list[str]]:
    return [[f"`{name}`", share(value)] for name, value in items]


def profiles(results: dict[str, Any], plots: dict[str, list[str]]) -> list[str]:
    found = [p for p in results.get("profiles", []) if p.get("samples")]
    parts = [
        "## Where the time goes: profiles",
        (
            "py-spy (`py-spy record --subprocesses --gil --format raw --rate 200` "
            "on the gunicorn master, so every worker is sampled) while wrk "
            "drives one operation with 8 clients. With `--gil` only the thread "
            "that holds the interpreter lock is sampled, so threads waiting for "
            "a request or for the engine's reply do not count: the shares are "
            "shares of the time the workers ran Python code. Each sample goes "
            "to one category: to logging or to the engine client when either "
            "is on the stack, otherwise to the library nearest the top of the "
            'stack. "Interpreter busy" is the samples taken over the samples '
            "possible at that rate for all workers. Throughput while sampling "
            "is lower than in the tables above, because py-spy pauses the "
            "workers to read their stacks."
        ),
    ]
    if not found:
        return [*parts, "_No profile was taken._"]
    parts.append(image(plots, "profile", "CPU samples by category"))
    labels = [label for label, _ in found[0].get("watch", [])]
    if labels:
        header = [
            "Function",
            *(f"{NAMES[p['protocol']]} {p['operation']}" for p in found),
        ]
        rows = [
            [label, *(share(dict(p["watch"]).get(label)) for p in found)]
            for label in labels
        ]
        parts += [
            (
                "Chosen functions, by share of samples in which they are on the "
                "stack (they overlap, so the column does not add up to 100 %):"
            ),
            table(header, rows),
        ]
    for profile in found:
        size = f" of {profile['size']}" if profile.get("size") else ""
        parts += [
            f"### {NAMES[profile['protocol']]} {profile['operation']}{size}",
            (
                f"{profile['samples']:,} samples at {number(profile['rps'])} req/s "
                f"with {profile['clients']} clients; interpreter busy "
                f"{share(profile.get('gil_busy'))}."
            ),
            table(
                ["Category", "Share of samples"],
                [[name, share(value)] for name, value in profile["categories"]],
            ),
            (
                "Functions by share of samples in which they are on the stack, "
                "without the pass-through frames of threads, middleware and "
                "WSGI entry points:"
            ),
            table(["Function (file)", "Share"], _function_rows(profile["inclusive"])),
            "Functions by share of samples in which they are running themselves:",
            table(["Function (file)", "Share"], _function_rows(profile["self"])),
        ]
    return parts


def floor(results: dict[str, Any]) -> list[str]:
    data = results.get("floor")
    if not data:
        return []
    rows = [
        [name, str(v["calls"]), ms(v["p50_ms"]), ms(v["mean_ms"])]
        for name, v in data.items()
    ]
    values = list(data.values())
    added = (values[1]["p50_ms"] - values[0]["p50_ms"]) * 1000
    return [
        "## The floor and socat",
        (
            "The same engine inspect, one call at a time with the benchmark's "
            "own HTTP client, straight over the Unix socket and through socat, "
            f"in alternating rounds. socat adds {added:.0f} us per request at the "
            "median here; under load it also takes CPU (the socat column above)."
        ),
        table(["Path to the engine", "Calls", "p50 ms", "mean ms"], rows),
    ]


def notes(results: dict[str, Any]) -> list[str]:
    items = list(results.get("notes", []))
    for section, message in results.get("errors", {}).items():
        items.append(f"The {section} part failed: {message}")
    if not items:
        return []
    return ["## Notes", "\n".join(f"- {item}" for item in items)]


def _framework_cpu(row: dict[str, Any]) -> str:
    cpu = row.get("cpu_us", {})
    if row["protocol"] == "direct":
        server = cpu.get("dockerd", 0) + cpu.get("socat", 0)
    else:
        # The gateway's rows also count the engine's work for each request.
        engine_call = row["protocol"].partition("-")[0] in ("rest", "soap")
        server = cpu.get("gateway", 0) + (cpu.get("dockerd", 0) if engine_call else 0)
    return number(server)


def frameworks(results: dict[str, Any]) -> list[str]:
    data = results.get("frameworks")
    if not data:
        return []
    labels = data["labels"]
    direct = {r["clients"]: r for r in data["rows"] if r["protocol"] == "direct"}
    rows = []
    for row in data["rows"]:
        floor = direct.get(row["clients"])
        rows.append(
            [
                str(row["clients"]),
                labels.get(row["protocol"], row["protocol"]),
                number(row["rps"]),
                f"{row['rps'] / floor['rps']:.2f}" if floor else "-",
                ms(row["p50_ms"]),
                ms(row["p99_ms"]),
                _framework_cpu(row),
                number(row.get("cpu_us", {}).get("wrk")),
            ]
        )
    header = [
        "Clients",
        "Served by",
        "req/s",
        "x engine",
        "p50 ms",
        "p99 ms",
        "CPU us/req, server side",
        "wrk",
    ]
    parts = [
        "## Framework ceilings",
        (
            "How fast the server and each framework alone can return the same "
            "inspect reply. Three minimal apps (bench/framework_apps.py) run "
            f"under gunicorn with the gateway's settings ({data['workers']} "
            f"workers x {data['threads']} threads, the same gunicorn.conf.py). "
            "Two return the bytes of a REST inspect of the benchmark's "
            "container. The Spyne app returns the same container through the "
            "gateway's own SOAP types, operation and reply writer. None of them "
            "calls the engine. They are measured "
            "beside the engine and the gateway, in rotating order. A framework's "
            "ratio to the engine bounds the gateway's on this machine: "
            "the gateway does all of that framework's work and more. The "
            "server-side CPU column adds dockerd's share for the engine and the "
            "gateway, and is the app's own for the minimal apps."
        ),
        table(header, rows),
    ]
    if data.get("baseline"):
        parts.insert(
            2,
            (
                f'The rows "at {data["baseline"]}" are the gateway at that git '
                "revision, served by a second gunicorn with the same settings "
                "and measured in the same rotation: the same requests before and "
                "after a change, under the same load."
            ),
        )
    return parts

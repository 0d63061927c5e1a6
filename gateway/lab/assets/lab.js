// The protocol lab. It reads one form, builds a REST request and a SOAP 1.1
// envelope from it, sends both with fetch at the same time and shows the two
// exchanges side by side. No library and no build step.
"use strict";

(function () {
  const SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/";
  const GW_NS = "urn:container-gateway:soap:v1";
  // Resolved against the page's own address, so the lab also works when the
  // gateway is served under a path prefix.
  const API = new URL("api/v1", document.baseURI).href;
  const SOAP_URL = new URL("soap", document.baseURI).href;
  const SOAP_OPERATIONS = {
    create: "CreateContainer",
    start: "StartContainer",
    stop: "StopContainer",
    restart: "RestartContainer",
    kill: "KillContainer",
    pause: "PauseContainer",
    unpause: "UnpauseContainer",
    inspect: "InspectContainer",
    list: "ListContainers",
    logs: "GetContainerLogs",
    remove: "RemoveContainer",
  };
  const ACTIONS = ["start", "stop", "restart", "kill", "pause", "unpause"];
  const HISTORY_ROWS = 50;
  const LIST_ROWS = 50;

  // The bearer token lives in this variable and in the password field only:
  // never in storage, a cookie or the URL.
  let token = "";
  let busy = false;
  let runs = 0;
  let lastRun = null;
  const defaults = {};

  const $ = (id) => document.getElementById(id);
  const FIELDS = [
    "op", "base", "suffix", "image", "command", "network", "memory", "start",
    "timeout", "signal", "tail", "stream", "timestamps", "all", "state",
    "name-filter", "label", "force",
  ];

  // ---- Reading the form ----

  function value(id) {
    const element = $(id);
    return element.type === "checkbox" ? element.checked : element.value;
  }

  function readForm() {
    return {
      op: value("op"),
      base: value("base").trim(),
      suffix: value("suffix"),
      image: value("image").trim(),
      // One argument per line, kept as typed: spaces inside one matter.
      command: value("command").split("\n").filter((line) => line !== ""),
      network: value("network").trim(),
      memory: value("memory").trim(),
      start: value("start"),
      timeout: value("timeout").trim(),
      signal: value("signal").trim(),
      tail: value("tail").trim(),
      stream: value("stream"),
      timestamps: value("timestamps"),
      all: value("all"),
      state: value("state"),
      nameFilter: value("name-filter").trim(),
      label: value("label").trim(),
      force: value("force"),
    };
  }

  // Whole numbers are sent as numbers and anything else as typed, so that
  // the gateway, not this page, reports what is wrong with a value.
  function number(text) {
    return /^-?[0-9]+$/.test(text) ? Number(text) : text;
  }

  // ---- Building the two requests ----

  function authHeader(headers) {
    if (token) headers.push(["Authorization", "Bearer " + token]);
    return headers;
  }

  function restExchange(form, ref) {
    const headers = [["Accept", "application/json"]];
    const query = new URLSearchParams();
    const target = "/containers/" + encodeURIComponent(ref);
    let method = "GET";
    let path = target;
    let body = null;

    if (form.op === "create") {
      method = "POST";
      path = "/containers";
      body = { image: form.image, name: ref };
      if (form.command.length) body.command = form.command;
      if (form.network) body.network = form.network;
      if (form.memory) body.limits = { memory: number(form.memory) };
      if (form.start) body.start = true;
    } else if (ACTIONS.includes(form.op)) {
      method = "POST";
      path = target + "/" + form.op;
      if ((form.op === "stop" || form.op === "restart") && form.timeout) {
        body = { timeout: number(form.timeout) };
      }
      if (form.op === "kill" && form.signal) body = { signal: form.signal };
    } else if (form.op === "logs") {
      path = target + "/logs";
      if (form.tail) query.set("tail", form.tail);
      if (form.timestamps) query.set("timestamps", "true");
      if (form.stream) query.set("stream", form.stream);
    } else if (form.op === "list") {
      path = "/containers";
      if (form.all) query.set("all", "true");
      if (form.state) query.set("state", form.state);
      if (form.label) query.set("label", form.label);
      if (form.nameFilter) query.set("name", form.nameFilter);
    } else if (form.op === "remove") {
      method = "DELETE";
      if (form.force) query.set("force", "true");
    }

    // Sent indented, so that the body shown is byte for byte the one sent.
    const text = body === null ? null : JSON.stringify(body, null, 2);
    if (text !== null) headers.push(["Content-Type", "application/json"]);

    const search = query.toString();
    return {
      protocol: "rest",
      method: method,
      url: API + path + (search ? "?" + search : ""),
      headers: authHeader(headers),
      body: text,
    };
  }

  // The SOAP arguments, in the order the WSDL's sequences declare them:
  // the service validates against the schema, and order is part of it.
  function soapArguments(form, ref) {
    const args = {};
    switch (form.op) {
      case "create":
        args.image = form.image;
        args.name = ref;
        if (form.command.length) args.command = form.command;
        if (form.memory) args.limits = { memory: form.memory };
        if (form.network) args.network = form.network;
        if (form.start) args.start = true;
        return args;
      case "list":
        if (form.all) args.all = true;
        if (form.state) args.state = form.state;
        if (form.label) args.label = [form.label];
        if (form.nameFilter) args.name = form.nameFilter;
        return args;
      case "stop":
      case "restart":
        args.container = ref;
        if (form.timeout) args.timeout = number(form.timeout);
        return args;
      case "kill":
        args.container = ref;
        if (form.signal) args.signal = form.signal;
        return args;
      case "logs":
        args.container = ref;
        if (form.tail) args.tail = form.tail;
        if (form.timestamps) args.timestamps = true;
        if (form.stream) args.stream = form.stream;
        return args;
      case "remove":
        args.container = ref;
        if (form.force) args.force = true;
        return args;
      default:
        args.container = ref;
        return args;
    }
  }

  function escapeText(text) {
    return String(text).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  }

  function escapeAttribute(text) {
    return escapeText(text).replace(/"/g, "&quot;");
  }

  // Arrays become repeated elements and objects nested ones, all in the
  // service's namespace (its schema is elementFormDefault="qualified").
  function xmlElements(args, depth) {
    const pad = "  ".repeat(depth);
    let out = "";
    for (const [name, item] of Object.entries(args)) {
      for (const occurrence of Array.isArray(item) ? item : [item]) {
        if (occurrence !== null && typeof occurrence === "object") {
          out += `${pad}<gw:${name}>\n${xmlElements(occurrence, depth + 1)}${pad}</gw:${name}>\n`;
        } else {
          out += `${pad}<gw:${name}>${escapeText(occurrence)}</gw:${name}>\n`;
        }
      }
    }
    return out;
  }

  function soapExchange(form, ref) {
    const operation = SOAP_OPERATIONS[form.op];
    const args = soapArguments(form, ref);
    const body =
      '<?xml version="1.0" encoding="utf-8"?>\n' +
      `<soap:Envelope xmlns:soap="${SOAP_ENV}" xmlns:gw="${GW_NS}">\n` +
      "  <soap:Body>\n" +
      `    <gw:${operation}>\n` +
      xmlElements(args, 3) +
      `    </gw:${operation}>\n` +
      "  </soap:Body>\n" +
      "</soap:Envelope>\n";
    const headers = [
      ["Content-Type", "text/xml; charset=utf-8"],
      ["SOAPAction", `"${operation}"`],
    ];
    return {
      protocol: "soap",
      method: "POST",
      url: SOAP_URL,
      headers: authHeader(headers),
      body: body,
      operation: operation,
      args: args,
    };
  }

  // ---- Sending ----

  function utf8Length(text) {
    return text === null ? 0 : new TextEncoder().encode(text).length;
  }

  // fetch does not expose the HTTP version, but resource timing does.
  function httpVersion(url) {
    const entries = performance.getEntriesByName(url, "resource");
    const entry = entries[entries.length - 1];
    const protocol = entry && entry.nextHopProtocol;
    if (!protocol) return "HTTP/1.1";
    return protocol === "h2" ? "HTTP/2" : protocol.toUpperCase();
  }

  async function send(exchange) {
    const started = performance.now();
    try {
      const response = await fetch(exchange.url, {
        method: exchange.method,
        headers: exchange.headers,
        body: exchange.body,
        cache: "no-store",
        credentials: "omit",
        referrerPolicy: "no-referrer",
      });
      const bytes = new Uint8Array(await response.arrayBuffer());
      exchange.latency = performance.now() - started;
      exchange.status = response.status;
      exchange.statusText = response.statusText;
      exchange.responseHeaders = Array.from(response.headers.entries());
      exchange.received = bytes.length;
      exchange.text = new TextDecoder().decode(bytes);
      exchange.version = httpVersion(exchange.url);
    } catch (error) {
      exchange.latency = performance.now() - started;
      exchange.error = String(error);
      exchange.version = "HTTP/1.1";
    }
    return exchange;
  }

  // ---- Reading the outcomes ----

  function parseJson(text) {
    try {
      return JSON.parse(text);
    } catch (error) {
      return null;
    }
  }

  function parseXml(text) {
    if (!text) return null;
    const doc = new DOMParser().parseFromString(text, "application/xml");
    return doc.getElementsByTagName("parsererror").length ? null : doc;
  }

  function plural(count, word) {
    return `${count} ${word}${count === 1 ? "" : "s"}`;
  }

  function restResult(op, data) {
    if (op === "remove") return "removed";
    if (!data) return "";
    if (op === "list") return plural(data.containers.length, "container");
    if (op === "logs") {
      return plural(data.lines.length, "line") + (data.truncated ? ", truncated" : "");
    }
    const container = data.container || data;
    const changed = "changed" in data ? `changed ${data.changed}; ` : "";
    return `${changed}${container.name} is ${container.state}`;
  }

  function soapResult(op, doc) {
    const all = (name) => doc.getElementsByTagNameNS(GW_NS, name);
    const first = (name) => (all(name)[0] ? all(name)[0].textContent : "");
    if (op === "remove") return first("removed") === "true" ? "removed" : "";
    if (op === "list") return plural(all("container").length, "container");
    if (op === "logs") {
      const cut = first("truncated") === "true" ? ", truncated" : "";
      return plural(all("lines").length, "line") + cut;
    }
    const changed = all("changed").length ? `changed ${first("changed")}; ` : "";
    return `${changed}${first("name")} is ${first("state")}`;
  }

  function analyse(exchange, op) {
    if (exchange.error) {
      exchange.ok = false;
      exchange.code = "no_response";
      exchange.result = exchange.error;
      return;
    }
    if (exchange.protocol === "rest") {
      const data = parseJson(exchange.text);
      exchange.ok = exchange.status >= 200 && exchange.status < 300;
      exchange.code = exchange.ok ? null : (data && data.code) || `http_${exchange.status}`;
      exchange.result = exchange.ok ? restResult(op, data) : (data && data.detail) || "";
      return;
    }
    const doc = parseXml(exchange.text);
    const fault = doc && doc.getElementsByTagNameNS(SOAP_ENV, "Fault")[0];
    exchange.ok = exchange.status === 200 && Boolean(doc) && !fault;
    if (fault) {
      const text = (name) => {
        const found = fault.getElementsByTagName(name)[0];
        return found ? found.textContent : "";
      };
      const code = fault.getElementsByTagNameNS(GW_NS, "code")[0];
      exchange.faultcode = text("faultcode");
      exchange.code = code ? code.textContent : exchange.faultcode;
      exchange.result = text("faultstring");
    } else if (exchange.ok) {
      exchange.code = null;
      exchange.result = soapResult(op, doc);
    } else {
      exchange.code = `http_${exchange.status}`;
      exchange.result = "";
    }
  }

  function agreement(rest, soap) {
    if (rest.ok && soap.ok) return { agree: true, text: "both succeeded" };
    if (!rest.ok && !soap.ok && rest.code === soap.code) {
      return { agree: true, text: `both failed with ${rest.code}` };
    }
    const outcome = (exchange) => (exchange.ok ? "succeeded" : `failed with ${exchange.code}`);
    return {
      agree: false,
      text: `REST ${outcome(rest)}, SOAP ${outcome(soap)}`,
    };
  }

  // ---- Showing the exchanges ----

  function maskedAuthorization() {
    return `Bearer ••••••  (${token.length} characters, hidden on this page)`;
  }

  function requestText(exchange) {
    const url = new URL(exchange.url);
    const lines = [`${exchange.method} ${url.pathname}${url.search} ${exchange.version}`];
    for (const [name, val] of exchange.headers) {
      lines.push(`${name}: ${name === "Authorization" ? maskedAuthorization() : val}`);
    }
    return lines.join("\n") + "\n\n" + (exchange.body || "");
  }

  function addedByBrowser(exchange) {
    const added = ["Host", "Connection"];
    if (exchange.body !== null) {
      added.push(`Content-Length: ${utf8Length(exchange.body)} (the body's UTF-8 bytes)`);
    } else if (exchange.method === "POST") {
      added.push("Content-Length: 0");
    }
    if (!exchange.headers.some(([name]) => name === "Accept")) added.push("Accept: */*");
    if (exchange.method !== "GET") added.push("Origin");
    added.push("User-Agent", "Accept-Encoding", "Accept-Language");
    return (
      "Added by the browser, which a page can neither set nor read: " +
      added.join(", ") +
      ", and the Sec-Fetch-* and Sec-CH-UA* hints."
    );
  }

  function prettyJson(text) {
    const data = parseJson(text);
    return data === null ? text : JSON.stringify(data, null, 2);
  }

  function prettyNode(node, depth, lines) {
    const pad = "  ".repeat(depth);
    const attrs = Array.from(node.attributes)
      .map((a) => ` ${a.name}="${escapeAttribute(a.value)}"`)
      .join("");
    const children = Array.from(node.childNodes);
    const elements = children.filter((child) => child.nodeType === Node.ELEMENT_NODE);
    if (!elements.length) {
      const text = node.textContent;
      lines.push(
        text === ""
          ? `${pad}<${node.nodeName}${attrs}/>`
          : `${pad}<${node.nodeName}${attrs}>${escapeText(text)}</${node.nodeName}>`
      );
      return;
    }
    lines.push(`${pad}<${node.nodeName}${attrs}>`);
    for (const child of children) {
      if (child.nodeType === Node.ELEMENT_NODE) {
        prettyNode(child, depth + 1, lines);
      } else if (child.nodeType === Node.TEXT_NODE && child.data.trim()) {
        lines.push(pad + "  " + escapeText(child.data.trim()));
      }
    }
    lines.push(`${pad}</${node.nodeName}>`);
  }

  function prettyXml(text) {
    const doc = parseXml(text);
    if (!doc) return text;
    const lines = [];
    const declaration = /^<\?xml[^>]*\?>/.exec(text);
    if (declaration) lines.push(declaration[0]);
    prettyNode(doc.documentElement, 0, lines);
    return lines.join("\n");
  }

  function responseText(exchange) {
    if (exchange.error) return `No response: ${exchange.error}`;
    const lines = [`${exchange.version} ${exchange.status} ${exchange.statusText}`.trim()];
    for (const [name, val] of exchange.responseHeaders) lines.push(`${name}: ${val}`);
    let body = exchange.text;
    if (!$("raw").checked) {
      body = exchange.protocol === "rest" ? prettyJson(exchange.text) : prettyXml(exchange.text);
    }
    return lines.join("\n") + "\n\n" + body;
  }

  // Fills a <pre> with text nodes only (never HTML), marking the status line
  // and the lines that carry the error code.
  function fillWire(pre, text, marked) {
    pre.textContent = "";
    const lines = text.split("\n");
    lines.forEach((line, index) => {
      const node = document.createTextNode(line + (index < lines.length - 1 ? "\n" : ""));
      if (marked(line, index)) {
        const mark = document.createElement("mark");
        mark.appendChild(node);
        pre.appendChild(mark);
      } else {
        pre.appendChild(node);
      }
    });
  }

  function statusClass(exchange) {
    if (exchange.error || exchange.status >= 500) return "bad";
    return exchange.status >= 400 ? "warn" : "good";
  }

  function renderResponse(exchange) {
    fillWire($(exchange.protocol + "-response"), responseText(exchange), (line, index) =>
      index === 0 || /"code":|faultcode>|:code>/.test(line)
    );
  }

  function renderPane(exchange) {
    const side = exchange.protocol;
    const status = $(side + "-status");
    status.textContent = exchange.error ? "no response" : `${exchange.status} ${exchange.statusText}`;
    status.className = "badge " + statusClass(exchange);
    const marked = "code" + (exchange.ok ? "" : " " + statusClass(exchange));
    $(side + "-code").textContent = exchange.code || "none";
    $(side + "-code").className = marked;
    if (side === "soap") {
      $("soap-fault").textContent = exchange.faultcode || "none";
      $("soap-fault").className = marked;
    }
    $(side + "-sent").textContent = plural(utf8Length(exchange.body), "byte") + " of body";
    $(side + "-received").textContent = exchange.error ? "–" : plural(exchange.received, "byte") + " of body";
    $(side + "-latency").textContent = `${exchange.latency.toFixed(1)} ms`;
    $(side + "-result").textContent = exchange.result || "–";
    fillWire($(side + "-request"), requestText(exchange), (line, index) => index === 0);
    $(side + "-added").textContent = addedByBrowser(exchange);
    renderResponse(exchange);
    $(side + "-curl").textContent = curlCommand(exchange);
    $(side + "-python").textContent = side === "rest" ? requestsSnippet(exchange) : zeepSnippet(exchange);
  }

  function renderVerdict(op, rest, soap, verdict) {
    const element = $("verdict");
    const side = (exchange) => {
      if (exchange.ok) return String(exchange.status);
      // The fault code without its namespace prefix, then the stable code.
      const fault = exchange.faultcode ? exchange.faultcode.replace(/^[^:]*:/, "") + " / " : "";
      return `${exchange.status || "–"} ${fault}${exchange.code}`;
    };
    element.textContent =
      `${op}: REST ${side(rest)}, SOAP ${side(soap)}. ` +
      (verdict.agree ? "The outcomes agree: " : "The outcomes differ: ") +
      verdict.text +
      ".";
    element.className = "verdict " + (verdict.agree ? "agree" : "differ");
    element.dataset.agree = String(verdict.agree);
  }

  function addHistory(op, targets, rest, soap, verdict, setup) {
    const body = $("history-table").tBodies[0];
    const row = body.insertRow(0);
    const side = (exchange) =>
      exchange.ok ? String(exchange.status) : `${exchange.status || "–"} ${exchange.code}`;
    const cells = [
      String(runs),
      op + (setup ? " (set-up)" : ""),
      targets,
      side(rest),
      side(soap),
      verdict.agree ? "agree" : "differ",
    ];
    for (const text of cells) row.insertCell().textContent = text;
    row.className = verdict.agree ? "agree" : "differ";
    while (body.rows.length > HISTORY_ROWS) body.deleteRow(-1);
  }

  // ---- Snippets ----

  function shellQuote(text) {
    return "'" + text.replace(/'/g, "'\\''") + "'";
  }

  function curlCommand(exchange) {
    const parts = ["curl -sS -i"];
    if (exchange.method !== "GET") parts.push("-X " + exchange.method);
    parts.push(shellQuote(exchange.url));
    for (const [name, val] of exchange.headers) {
      // The token stays out of the page: the command reads it from the shell.
      parts.push(
        name === "Authorization"
          ? '-H "Authorization: Bearer $GATEWAY_TOKEN"'
          : "-H " + shellQuote(`${name}: ${val}`)
      );
    }
    if (exchange.body !== null) parts.push("--data-binary " + shellQuote(exchange.body));
    const command = parts.join(" \\\n  ");
    return token ? "# Set GATEWAY_TOKEN to your token first.\n" + command : command;
  }

  function python(item) {
    if (Array.isArray(item)) return "[" + item.map(python).join(", ") + "]";
    if (item !== null && typeof item === "object") {
      const pairs = Object.entries(item).map(([key, val]) => `${JSON.stringify(key)}: ${python(val)}`);
      return "{" + pairs.join(", ") + "}";
    }
    if (typeof item === "boolean") return item ? "True" : "False";
    // A JSON string or number is also a valid Python literal.
    return JSON.stringify(item);
  }

  function requestsSnippet(exchange) {
    const headers = exchange.headers
      .filter(([name]) => name !== "Authorization")
      .map(([name, val]) => `${JSON.stringify(name)}: ${JSON.stringify(val)}`);
    if (token) headers.push('"Authorization": "Bearer " + os.environ["GATEWAY_TOKEN"]');
    const lines = [];
    if (token) lines.push("import os", "");
    lines.push("import requests", "", "response = requests.request(");
    lines.push(`    ${JSON.stringify(exchange.method)},`, `    ${JSON.stringify(exchange.url)},`);
    lines.push(`    headers={${headers.join(", ")}},`);
    if (exchange.body !== null) lines.push(`    data=${JSON.stringify(exchange.body)}.encode(),`);
    lines.push("    timeout=60,", ")", "print(response.status_code, response.reason)");
    lines.push("print(response.text)");
    return lines.join("\n");
  }

  function zeepSnippet(exchange) {
    const lines = [];
    if (token) lines.push("import os", "");
    lines.push("import zeep");
    if (token) lines.push("import requests", "from zeep.transports import Transport");
    lines.push("");

    const wsdl = JSON.stringify(SOAP_URL + "?wsdl");
    if (token) {
      lines.push(
        "session = requests.Session()",
        'session.headers["Authorization"] = "Bearer " + os.environ["GATEWAY_TOKEN"]',
        `client = zeep.Client(${wsdl}, transport=Transport(session=session))`
      );
    } else {
      lines.push(`client = zeep.Client(${wsdl})`);
    }

    // The WSDL's address is the gateway's configured public URL, which need
    // not be the address this page was loaded from.
    lines.push(
      "service = client.create_service(",
      `    "{${GW_NS}}ContainerGateway", ${JSON.stringify(SOAP_URL)}`,
      ")",
      "try:",
      `    result = service.${exchange.operation}(`
    );
    for (const [name, val] of Object.entries(exchange.args)) {
      lines.push(`        ${name}=${python(val)},`);
    }

    lines.push(
      "    )",
      "    print(result)",
      "except zeep.exceptions.Fault as fault:",
      "    print(fault.code, fault.message)",
      `    print(fault.detail.findtext(".//{${GW_NS}}code"))`
    );
    return lines.join("\n");
  }

  async function copySnippet(button) {
    const pre = $(button.dataset.copy);
    const note = button.parentElement.querySelector(".copied");
    if (!pre.textContent) {
      note.textContent = "Run an operation first.";
      return;
    }
    pre.closest("details").open = true;
    try {
      await navigator.clipboard.writeText(pre.textContent);
      note.textContent = "Copied to the clipboard.";
    } catch (error) {
      // The clipboard API is missing outside secure origins, or the browser
      // denied it. Selecting the text lets the user copy it instead.
      const range = document.createRange();
      range.selectNodeContents(pre);
      const selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
      note.textContent = "Selected below; copy it with Ctrl+C.";
    }
  }

  // ---- The container list ----

  function baseOf(name) {
    const match = /^(.*)-(rest|soap)$/.exec(name);
    return match ? match[1] : null;
  }

  function useContainer(name) {
    const base = baseOf(name);
    $("base").value = base === null ? name : base;
    $("suffix").checked = base !== null;
    if ($("op").value === "list" || $("op").value === "create") $("op").value = "inspect";
    update();
    $("op").focus();
  }

  function addContainerRow(table, container) {
    const row = table.insertRow();
    row.dataset.name = container.name;
    row.insertCell().textContent = container.name;

    const state = row.insertCell();
    state.textContent = container.state;
    state.className = "state state-" + container.state;
    row.insertCell().textContent = container.status;
    row.insertCell().textContent = container.image;
    row.insertCell().textContent = container.short_id;

    const button = document.createElement("button");
    button.type = "button";
    button.textContent = "Use";
    button.setAttribute("aria-label", `Use ${container.name} in the form`);
    button.addEventListener("click", () => useContainer(container.name));
    row.insertCell().appendChild(button);
  }

  async function refreshList() {
    const query = new URLSearchParams({ all: "true" });
    const filter = $("list-filter").value.trim();
    if (filter) query.set("name", filter);
    const table = $("container-table").tBodies[0];
    const status = $("list-status");

    let response;
    let data;
    try {
      response = await fetch(API + "/containers?" + query, {
        headers: authHeader([["Accept", "application/json"]]),
        cache: "no-store",
        credentials: "omit",
        referrerPolicy: "no-referrer",
      });
      data = parseJson(await response.text());
    } catch (error) {
      status.textContent = `Listing the containers failed: ${error}`;
      return;
    }

    table.textContent = "";
    if (!response.ok || !data) {
      const code = data && data.code ? data.code : "";
      const hint = response.status === 401 ? " Enter a bearer token above." : "";
      status.textContent = `Listing the containers failed: ${response.status} ${code}.${hint}`;
      return;
    }
    const containers = data.containers.slice().sort((a, b) => a.name.localeCompare(b.name));
    for (const container of containers.slice(0, LIST_ROWS)) addContainerRow(table, container);

    let summary = plural(containers.length, "container") + (filter ? ` matching "${filter}"` : "");
    if (containers.length > LIST_ROWS) {
      summary += `, the first ${LIST_ROWS} shown. Filter by name to see the others.`;
    }
    status.textContent = summary;
  }

  // ---- Running ----

  async function runOnce(setup) {
    const form = readForm();
    const error = $("form-error");
    error.textContent = "";
    if (form.op !== "list" && !form.base) {
      error.textContent = "Enter a container name.";
      $("base").focus();
      return;
    }
    const restRef = form.suffix ? form.base + "-rest" : form.base;
    const soapRef = form.suffix ? form.base + "-soap" : form.base;
    const rest = restExchange(form, restRef);
    const soap = soapExchange(form, soapRef);
    $("verdict").textContent = `Running ${form.op} through REST and SOAP…`;
    await Promise.all([send(rest), send(soap)]);
    performance.clearResourceTimings();
    analyse(rest, form.op);
    analyse(soap, form.op);
    const verdict = agreement(rest, soap);
    runs += 1;
    lastRun = { rest: rest, soap: soap };
    renderPane(rest);
    renderPane(soap);
    renderVerdict(form.op, rest, soap, verdict);
    let targets = form.suffix ? `${restRef}, ${soapRef}` : restRef;
    if (form.op === "list") targets = form.nameFilter ? `name contains ${form.nameFilter}` : "all";
    addHistory(form.op, targets, rest, soap, verdict, setup);
    await refreshList();
  }

  // Runs one task at a time. The results region's aria-busy and data-runs
  // attributes show when a run starts and ends, and the tests wait on them.
  async function exclusive(task) {
    if (busy) {
      $("verdict").textContent = "A run is still in progress.";
      return;
    }
    busy = true;
    const results = $("results");
    results.setAttribute("aria-busy", "true");
    try {
      await task();
    } finally {
      busy = false;
      results.setAttribute("aria-busy", "false");
      results.dataset.runs = String(runs);
    }
  }

  const EXAMPLES = {
    "not-found": (prefix) => [{ op: "inspect", base: prefix + "-missing" }],
    "name-conflict": (prefix) => [
      { op: "create", base: prefix + "-taken", setup: true },
      { op: "create", base: prefix + "-taken" },
    ],
    "invalid-state": (prefix) => [
      { op: "create", base: prefix + "-idle", setup: true },
      { op: "pause", base: prefix + "-idle" },
    ],
    "invalid-input": (prefix) => [
      { op: "create", base: prefix + "-bad", fields: { memory: "2.5g" } },
    ],
  };

  // Resets the form to its initial values, then applies one step's values.
  function applyStep(step) {
    for (const id of FIELDS) {
      const element = $(id);
      if (element.type === "checkbox") element.checked = defaults[id];
      else element.value = defaults[id];
    }
    $("op").value = step.op;
    $("base").value = step.base;
    for (const [id, val] of Object.entries(step.fields || {})) $(id).value = val;
    update();
  }

  async function runExample(name) {
    const prefix = $("prefix").value.trim() || "lab-demo";
    await exclusive(async () => {
      for (const step of EXAMPLES[name](prefix)) {
        applyStep(step);
        await runOnce(Boolean(step.setup));
      }
    });
  }

  function update() {
    const op = $("op").value;
    for (const element of document.querySelectorAll("[data-ops]")) {
      // Hidden fields also leave the tab order.
      element.hidden = !element.dataset.ops.split(" ").includes(op);
    }
    for (const echo of document.querySelectorAll(".base-echo")) {
      echo.textContent = $("base").value.trim() || "name";
    }
    for (const echo of document.querySelectorAll(".prefix-echo")) {
      echo.textContent = $("prefix").value.trim() || "lab-demo";
    }
  }

  function start() {
    for (const id of FIELDS) defaults[id] = value(id);
    $("op").addEventListener("change", update);
    $("base").addEventListener("input", update);
    $("prefix").addEventListener("input", update);
    $("token").addEventListener("input", (event) => {
      token = event.target.value.trim();
    });
    $("token").addEventListener("change", refreshList);
    $("op-form").addEventListener("submit", (event) => {
      event.preventDefault();
      exclusive(() => runOnce(false));
    });
    for (const button of document.querySelectorAll("[data-example]")) {
      button.addEventListener("click", () => runExample(button.dataset.example));
    }
    for (const button of document.querySelectorAll("[data-copy]")) {
      button.addEventListener("click", () => copySnippet(button));
    }
    $("raw").addEventListener("change", () => {
      if (lastRun) {
        renderResponse(lastRun.rest);
        renderResponse(lastRun.soap);
      }
    });
    $("refresh").addEventListener("click", refreshList);
    $("list-filter").addEventListener("change", refreshList);
    update();
    refreshList();
  }

  start();
})();

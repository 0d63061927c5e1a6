// Runs every operation of the gateway's SOAP service with node-soap, then
// one call that must fault, and prints what each returned as one JSON object.
//
//   node lifecycle.js WSDL ENDPOINT NAME IMAGE
//
// NAME is the container to create; it is removed again at the end. Exits 1
// when a call fails other than with the expected fault.
"use strict";

const soap = require("soap");

async function call(client, operation, args) {
  const [result] = await client[`${operation}Async`](args);
  return result;
}

async function main(argv) {
  const [wsdl, endpoint, name, image] = argv;
  if (!image) {
    throw new Error("usage: node lifecycle.js WSDL ENDPOINT NAME IMAGE");
  }
  const client = await soap.createClientAsync(wsdl);
  client.setEndpoint(endpoint);
  const ref = { container: name };
  const steps = {};

  const created = await call(client, "CreateContainer", {
    image,
    name,
    command: ["sh", "-c", "echo from-node; sleep 300"],
    labels: [{ key: "client", value: "node-soap" }],
    network: "none",
  });
  steps.create = created.container.state;
  steps.start = (await call(client, "StartContainer", ref)).result.container.state;
  steps.inspect = (await call(client, "InspectContainer", ref)).container.name;
  steps.pause = (await call(client, "PauseContainer", ref)).result.container.state;
  steps.unpause = (await call(client, "UnpauseContainer", ref)).result.container.state;
  const listed = await call(client, "ListContainers", { all: true, name });
  // node-soap returns a single repeated element as an object, several as an array.
  const found = [].concat(listed.containers.container);
  steps.list = found.map((container) => container.name);
  const logs = await call(client, "GetContainerLogs", { container: name, tail: "all" });
  steps.logs = [].concat(logs.logs.lines || []);
  const restarted = await call(client, "RestartContainer", { container: name, timeout: 0 });
  steps.restart = restarted.result.container.state;
  const killed = await call(client, "KillContainer", { container: name, signal: "SIGKILL" });
  steps.kill = killed.result.container.state;
  const stopped = await call(client, "StopContainer", { container: name, timeout: 0 });
  steps.stop = stopped.result.changed;
  steps.remove = (await call(client, "RemoveContainer", ref)).result.removed;

  try {
    await call(client, "InspectContainer", ref);
    steps.fault = null;
  } catch (error) {
    const fault = error.root && error.root.Envelope.Body.Fault;
    if (!fault) {
      throw error;
    }
    steps.fault = {
      status: error.response ? error.response.status : null,
      faultcode: fault.faultcode,
      code: fault.detail.GatewayFault.code,
    };
  }
  process.stdout.write(JSON.stringify(steps) + "\n");
}

main(process.argv.slice(2)).catch((error) => {
  process.stderr.write(`lifecycle: ${error && error.stack ? error.stack : error}\n`);
  process.exit(1);
});

// Loads the gateway's WSDL with node-soap, a WSDL consumer independent of
// zeep, and prints what it understood as one JSON object on stdout.
//
//   node check-wsdl.js WSDL [ENDPOINT REFERENCE]
//
// WSDL is a file path or an http URL. With ENDPOINT, InspectContainer is
// called there for container REFERENCE (one that does not exist), and the
// fault in the response is printed too. Exits 1 if loading or calling fails in
// any way other than a SOAP fault.
"use strict";

const soap = require("soap");

function faultOf(error) {
  const body = error && error.root && error.root.Envelope && error.root.Envelope.Body;
  const fault = body && body.Fault;
  if (!fault) {
    return null;
  }
  const detail = fault.detail && fault.detail.GatewayFault;
  return {
    status: error.response ? error.response.status : null,
    faultcode: fault.faultcode,
    code: detail ? detail.code : null,
  };
}

async function main(argv) {
  const [wsdl, endpoint, reference] = argv;
  if (!wsdl) {
    throw new Error("usage: node check-wsdl.js WSDL [ENDPOINT REFERENCE]");
  }
  const client = await soap.createClientAsync(wsdl);
  const services = client.describe();
  const result = { services: {} };
  for (const [service, ports] of Object.entries(services)) {
    result.services[service] = {};
    for (const [port, operations] of Object.entries(ports)) {
      result.services[service][port] = Object.keys(operations).sort();
    }
  }
  if (endpoint) {
    client.setEndpoint(endpoint);
    try {
      await client.InspectContainerAsync({ container: reference });
      result.call = { fault: null };
    } catch (error) {
      const fault = faultOf(error);
      if (!fault) {
        throw error;
      }
      result.call = { fault };
    }
  }
  process.stdout.write(JSON.stringify(result) + "\n");
}

main(process.argv.slice(2)).catch((error) => {
  process.stderr.write(`check-wsdl: ${error && error.stack ? error.stack : error}\n`);
  process.exit(1);
});

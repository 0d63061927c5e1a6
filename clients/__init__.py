"""Command-line clients of the container gateway, one per protocol.

:mod:`clients.rest` and :mod:`clients.soap` offer the same subcommands over
the REST API and the SOAP service, and :mod:`clients.compare` runs the same
operations through both and prints the outcomes side by side. The client
classes in :mod:`clients.rest_client` and :mod:`clients.soap_client` return
the REST API's JSON shapes, so callers can use either protocol the same way.
"""

"""The SOAP 1.1 service: document/literal wrapped, at ``/soap``."""

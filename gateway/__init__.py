"""Container Gateway: one Docker Engine backend served over REST and SOAP."""

__version__ = "0.1.0"

"""The REST API: JSON over HTTP under ``/api/v1``."""

from rest_service.views import api

__all__ = ["api"]

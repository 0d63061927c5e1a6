"""Tests against the live gateway and a real Docker Engine."""

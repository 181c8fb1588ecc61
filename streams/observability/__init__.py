"""Observability beyond the per-event metrics: consumer-group lag read from the broker."""

from streams.observability.lag import LagExporter, LagExporterService

__all__ = ["LagExporter", "LagExporterService"]

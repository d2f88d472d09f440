"""Support for the tablet board's benchmarks: settings, a bench-only URLconf and helpers.
Never part of the portal's production URLs."""

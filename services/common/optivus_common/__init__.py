"""Code every Optivus service shares: settings, gRPC bootstrap, errors,
media references, NATS helpers, logging and telemetry."""

"""gRPC channels to the services, one per configured address, created on
first use. round_robin balances per call across a headless Service's pods."""

from __future__ import annotations

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from optivus_common.telemetry import client_interceptors

from .config import GatewaySettings


class ServiceNotConfigured(Exception):
    def __init__(self, service: str) -> None:
        super().__init__(f"the {service} service is not deployed on this server")
        self.service = service


class Backends:
    def __init__(self, settings: GatewaySettings) -> None:
        self._settings = settings
        self._channels: dict[str, grpc.aio.Channel] = {}

    def address(self, service: str) -> str:
        return self._settings.address(service)

    def configured(self, service: str) -> bool:
        return bool(self.address(service))

    def channel(self, service: str) -> grpc.aio.Channel:
        if service not in self._channels:
            address = self.address(service)
            if not address:
                raise ServiceNotConfigured(service)
            options = [*self._settings.grpc_options, ("grpc.lb_policy_name", "round_robin")]
            self._channels[service] = grpc.aio.insecure_channel(
                address, options=options, interceptors=client_interceptors())
        return self._channels[service]

    async def health(self, service: str, timeout: float = 2.0) -> str:
        """SERVING, NOT_SERVING, UNREACHABLE or NOT_DEPLOYED."""
        if not self.configured(service):
            return "NOT_DEPLOYED"
        stub = health_pb2_grpc.HealthStub(self.channel(service))
        try:
            reply = await stub.Check(health_pb2.HealthCheckRequest(), timeout=timeout)
        except grpc.aio.AioRpcError:
            return "UNREACHABLE"
        return health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)

    async def close(self) -> None:
        for channel in self._channels.values():
            await channel.close()
        self._channels.clear()

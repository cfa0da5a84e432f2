"""The front door: socket.io on port 5000 speaking the first server's
protocol, backed by the gRPC services."""

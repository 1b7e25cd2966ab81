"""The HTTP server: ASGI app, routing, request context and the internal endpoints."""

"""The container runtime: one small backend interface, implemented over the Docker Engine API (and Podman's
Docker-compatible API). Nothing here knows about ECS or HTTP."""

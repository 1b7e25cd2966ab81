"""ECS operations grouped by resource; ``EcsProvider`` combines them into one provider class."""

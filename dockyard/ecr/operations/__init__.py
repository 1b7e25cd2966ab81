"""ECR operations grouped by resource; ``EcrProvider`` combines them into one provider class."""

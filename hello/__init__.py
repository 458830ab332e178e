"""Book chapter "Your first serverless app": the hello lambda."""

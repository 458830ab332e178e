"""Book chapter "Creating a REST API" and "Serverless GraphQL API": JSON items."""

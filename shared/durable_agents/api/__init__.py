"""The REST API: API Gateway proxy events in, JSON out (``durable_agents.api.app.handler``)."""

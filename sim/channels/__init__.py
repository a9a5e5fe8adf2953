"""Channel mechanics: the queues contacts wait in and the agents that serve them."""
